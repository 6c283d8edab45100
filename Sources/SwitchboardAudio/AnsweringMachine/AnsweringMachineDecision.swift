/// What an ``AnsweringMachineDetector`` has concluded about who answered an outbound call.
///
/// Times are milliseconds of call audio since the detector started (the moment the call was
/// answered, or the time of the first frame fed).
///
/// The decisions follow one another in this order: `undecided`, then one of `human`, `silence`
/// or `machine`; after `machine`, one of `beep(at:)` or `greetingEnded(at:)`. `human`,
/// `silence`, `beep` and `greetingEnded` are final: the detector ignores audio after them.
public enum AnsweringMachineDecision: Sendable, Hashable, CustomStringConvertible {
    /// Not enough audio yet.
    case undecided
    /// A person answered: a short greeting ("Hello?") followed by silence while they wait.
    case human
    /// An answering machine or voicemail answered: a long, continuous greeting (or a beep). The
    /// detector keeps listening for the end of the greeting.
    case machine
    /// The machine's beep has sounded: the message can be left from `at`, where the tone ended.
    case beep(at: Int)
    /// The machine's greeting ended without a beep being heard: its last voice ended at `at`,
    /// and the line has been silent since (or the greeting ran past the longest one allowed, and
    /// `at` is when the detector gave up waiting).
    case greetingEnded(at: Int)
    /// Dead air: nobody said anything for ``AnsweringMachineDetector/Configuration/initialSilenceMs``
    /// (or by the end of the analysis).
    case silence

    /// Whether the detector has stopped listening.
    public var isFinal: Bool {
        switch self {
        case .undecided, .machine: false
        case .human, .beep, .greetingEnded, .silence: true
        }
    }

    /// Whether the decision says a machine answered (`machine`, `beep`, `greetingEnded`).
    public var isMachine: Bool {
        switch self {
        case .machine, .beep, .greetingEnded: true
        case .undecided, .human, .silence: false
        }
    }

    public var description: String {
        switch self {
        case .undecided: "undecided"
        case .human: "human"
        case .machine: "machine"
        case .beep(let at): "beep(at: \(at))"
        case .greetingEnded(let at): "greetingEnded(at: \(at))"
        case .silence: "silence"
        }
    }
}

extension AnsweringMachineDetector {
    /// Why the detector decided as it did, in the terms of Asterisk's `app_amd` causes.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// No voice within the initial silence (`silence`).
        case initialSilence
        /// Voice (from the first word) reached the greeting length (`machine`).
        case longGreeting
        /// The greeting held the maximum number of words (`machine`).
        case maximumWords
        /// One word lasted the maximum word length (`machine`).
        case maximumWordLength
        /// A beep was heard before anything else decided (`machine`), or after (`beep`).
        case beep
        /// A short greeting, then the after-greeting silence (`human`).
        case afterGreetingSilence
        /// The total analysis time ran out with voice heard but nothing decided: taken for a
        /// person, so the caller speaks rather than waits (`human`); or no voice at all (`silence`).
        case totalAnalysisTime
        /// The machine's greeting was followed by the message-end silence (`greetingEnded`).
        case silenceAfterGreeting
        /// The machine's greeting went on past the longest greeting allowed (`greetingEnded`).
        case maximumGreetingLength
    }

    /// One decision as the detector made it.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        /// The decision.
        public var decision: AnsweringMachineDecision
        /// When it was made: the end of the frame that decided it, in ms of call audio.
        public var decidedAtMs: Int
        /// Why.
        public var reason: Reason

        public init(decision: AnsweringMachineDecision, decidedAtMs: Int, reason: Reason) {
            self.decision = decision
            self.decidedAtMs = decidedAtMs
            self.reason = reason
        }

        public var description: String { "\(decision) at \(decidedAtMs) ms (\(reason.rawValue))" }
    }
}
