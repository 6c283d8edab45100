/// Tells, from the first seconds of an outbound call's audio, whether a person or an answering
/// machine picked up, and for a machine when its greeting is over (its beep has sounded) so a
/// message can be left.
///
/// A pure, deterministic state machine with no I/O: feed it the call's 8 kHz PCM16 (or G.711)
/// frames as they arrive, with their times, and read ``decision``. The method is Asterisk's
/// `app_amd`, on the hub's own voice activity detector, plus a beep detector:
///
/// - **Words.** The ``VoiceActivityDetector`` (adaptive noise floor, spectral shape) marks voice
///   every 10 ms; a word is voice lasting ``Configuration/minimumWordMs``, and words are
///   separated by ``Configuration/betweenWordsSilenceMs`` of silence.
/// - **Person.** A greeting shorter than ``Configuration/greetingMs`` of voice followed by
///   ``Configuration/afterGreetingSilenceMs`` of silence: "Hello?", then waiting.
/// - **Machine.** Voice from the first word reaching ``Configuration/greetingMs``, or
///   ``Configuration/maximumWords`` words, or one word of ``Configuration/maximumWordMs``, or a
///   beep: a machine talks on ("Hi, you've reached Sam, I can't come to the phone…").
/// - **Dead air.** No voice within ``Configuration/initialSilenceMs``.
/// - **Undecided at ``Configuration/totalAnalysisMs``.** A person if any voice was heard, dead
///   air if none.
/// - **End of the greeting.** After `machine`, a beep (``BeepDetector``: a pure tone in
///   ``Configuration/beepLowHz`` … ``Configuration/beepHighHz`` held for
///   ``Configuration/minimumBeepMs``) gives ``AnsweringMachineDecision/beep(at:)`` with the time
///   the tone ended; ``Configuration/messageEndSilenceMs`` of silence after the last voice gives
///   ``AnsweringMachineDecision/greetingEnded(at:)``.
///
/// **Time.** Frames carry the time they start at, in ms of call audio (RTP timestamp or
/// Media Streams `timestamp`, relative to the answer). A frame starting where the previous one
/// ended (within ``Configuration/timeToleranceMs``) continues the stream; a later one leaves a gap
/// that is analysed as silence (up to ``Configuration/maximumConcealmentMs``, then the clock
/// jumps); an earlier one (late, duplicated or reordered) has the part already covered dropped.
/// Times are clamped to 0 … ``maximumTimeMs``. Any sample values, any frame sizes (empty
/// included) and any times are accepted: nothing traps.
///
/// Once the decision is final (``AnsweringMachineDecision/isFinal``) audio only moves the clock.
public struct AnsweringMachineDetector: Sendable {
    /// The sample rate of the audio fed in: the telephone network's 8 kHz.
    public static let sampleRate = 8_000
    /// The analysis frame, in milliseconds.
    public static let frameMs = 10
    /// The latest time a frame can carry, in ms (about 35 years); later times are clamped to it.
    public static let maximumTimeMs = 1 << 40

    static let hop = sampleRate * frameMs / 1000
    private static let samplesPerMs = sampleRate / 1000

    /// The settings in force (validated).
    public let configuration: Configuration
    /// The latest decision.
    public private(set) var decision: AnsweringMachineDecision = .undecided
    /// Every decision made so far, in order (at most two: a classification, then for a machine
    /// the end of its greeting).
    public private(set) var reports: [Report] = []
    /// The beep heard, if any.
    public private(set) var beep: Beep?

    /// Words counted so far.
    public private(set) var words = 0
    /// Where the first word began, ms.
    public private(set) var firstVoiceMs: Int?
    /// Voice heard since the first word until the last frame analysed, ms.
    public var voiceMs: Int { finishedVoiceMs + currentWordMs }
    /// Samples dropped because their time was already covered (late, duplicated or reordered
    /// frames).
    public private(set) var droppedSamples = 0
    /// Silence inserted for gaps in the frames' times, in samples.
    public private(set) var concealedSamples = 0

    /// Milliseconds of call audio accounted for: the end of the last frame.
    public var processedMs: Int { clock / Self.samplesPerMs }

    private var vad: VoiceActivityDetector
    private var vadSamples = 0
    private var beepDetector: BeepDetector
    private var hopBuffer: [Int16]
    private var hopFill = 0
    private var decoded: [Int16] = []
    /// Samples accounted for (analysed, concealed, skipped over).
    private var clock = 0

    private var speaking = false
    private var wordOnsetMs = 0
    private var finishedVoiceMs = 0
    private var lastVoiceEndMs: Int?
    private var machineAtMs = 0
    /// The end of the last frame analysed (the clock runs on after a final decision).
    private var analysedMs = 0

    /// A detector with `configuration` (checked: see ``Configuration/validated``).
    public init(configuration: Configuration = .init()) {
        let checked = configuration.validated
        self.configuration = checked
        vad = VoiceActivityDetector(
            sampleRate: Self.sampleRate,
            configuration: VoiceActivityConfiguration(
                threshold: checked.voiceThreshold,
                prefixPaddingMs: 0,
                silenceDurationMs: checked.betweenWordsSilenceMs,
                minimumSpeechMs: checked.minimumWordMs,
                minimumLevelDBFS: checked.minimumVoiceLevelDBFS
            )
        )
        beepDetector = BeepDetector(configuration: checked)
        hopBuffer = [Int16](repeating: 0, count: Self.hop)
    }

    /// Starts over for a new call with the same configuration.
    public mutating func reset() {
        self = AnsweringMachineDetector(configuration: configuration)
    }

    // MARK: Feeding

    /// Feeds 8 kHz PCM16 `samples` starting at `startMs` ms of call audio (nil: right after the
    /// previous frame); returns the decision after them.
    @discardableResult
    public mutating func feed(_ samples: UnsafeBufferPointer<Int16>, atMs startMs: Int? = nil) -> AnsweringMachineDecision {
        var samples = samples
        if let startMs {
            let start = min(max(startMs, 0), Self.maximumTimeMs) * Self.samplesPerMs
            let expected = clock
            let tolerance = configuration.timeToleranceMs * Self.samplesPerMs
            if start > Self.adding(expected, tolerance) {
                advance(silentSamples: start - expected)
            } else if start < expected - tolerance {
                // Part (or all) of the frame is already covered: keep what comes after.
                let covered = min(expected - start, samples.count)
                droppedSamples = Self.adding(droppedSamples, covered)
                samples = UnsafeBufferPointer(rebasing: samples[covered...])
            }
        }
        analyse(samples)
        return decision
    }

    /// Feeds 8 kHz PCM16 `samples` starting at `startMs` (nil: right after the previous frame).
    @discardableResult
    public mutating func feed(_ samples: [Int16], atMs startMs: Int? = nil) -> AnsweringMachineDecision {
        samples.withUnsafeBufferPointer { feed($0, atMs: startMs) }
    }

    /// Feeds G.711 `codes` (one byte a sample, 8 kHz) in `law`, starting at `startMs` (nil: right
    /// after the previous frame): a Twilio Media Streams payload (μ-law) or an RTP payload
    /// (PCMU or PCMA) as it arrives.
    @discardableResult
    public mutating func feed(g711 codes: UnsafeRawBufferPointer, law: G711Law, atMs startMs: Int? = nil) -> AnsweringMachineDecision {
        var buffer = decoded
        decoded = []
        buffer.removeAll(keepingCapacity: true)
        law.decode(codes, appendingTo: &buffer)
        let result = feed(buffer, atMs: startMs)
        decoded = buffer
        return result
    }

    /// Feeds G.711 `codes` in `law`, starting at `startMs` (nil: right after the previous frame).
    @discardableResult
    public mutating func feed(g711 codes: [UInt8], law: G711Law, atMs startMs: Int? = nil) -> AnsweringMachineDecision {
        codes.withUnsafeBytes { feed(g711: $0, law: law, atMs: startMs) }
    }

    // MARK: Analysis

    private mutating func analyse(_ samples: UnsafeBufferPointer<Int16>) {
        var offset = 0
        while offset < samples.count {
            if decision.isFinal {
                // Nothing more to decide: account for the rest and stop.
                clock = Self.adding(clock, samples.count - offset)
                return
            }
            let take = min(Self.hop - hopFill, samples.count - offset)
            let fill = hopFill
            hopBuffer.withUnsafeMutableBufferPointer { hop in
                for index in 0..<take { hop[fill + index] = samples[offset + index] }
            }
            hopFill += take
            offset += take
            clock = Self.adding(clock, take)
            if hopFill == Self.hop {
                hopFill = 0
                processHop()
            }
        }
    }

    /// A gap of `count` samples in the frames' times: analysed as silence up to the concealment
    /// limit, then skipped.
    private mutating func advance(silentSamples count: Int) {
        guard !decision.isFinal else {
            clock = Self.adding(clock, count)
            return
        }
        let concealed = min(count, configuration.maximumConcealmentMs * Self.samplesPerMs)
        concealedSamples = Self.adding(concealedSamples, concealed)
        var remaining = concealed
        let zeros = [Int16](repeating: 0, count: Self.hop)
        zeros.withUnsafeBufferPointer { zeros in
            while remaining > 0, !decision.isFinal {
                let take = min(remaining, Self.hop - hopFill)
                analyse(UnsafeBufferPointer(rebasing: zeros[..<take]))
                remaining -= take
            }
        }
        let skipped = count - concealed + remaining
        guard skipped > 0 else { return }
        clock = Self.adding(clock, skipped)
        guard !decision.isFinal else { return }
        // The analysis resumes on a hop boundary after the jump; the partial hop is dropped.
        hopFill = 0
        let now = processedMs
        analysedMs = now
        if let found = beepDetector.interrupt(atMs: now) { heard(found, atMs: now) }
        if speaking {
            // The voice cannot be known to go on through a gap this long: the word ends where
            // the audio did.
            speaking = false
            let end = now - skipped / Self.samplesPerMs
            finishedVoiceMs = Self.adding(finishedVoiceMs, max(end - wordOnsetMs, 0))
            lastVoiceEndMs = end
        }
        evaluate(nowMs: now)
    }

    private mutating func processHop() {
        let now = processedMs
        analysedMs = now
        // The voice activity detector's own clock runs on the samples it was given; events are
        // dated on the detector's clock from the difference.
        let vadOffsetMs = now - (vadSamples + Self.hop) / Self.samplesPerMs
        var didStart = false
        var didStop = false
        hopBuffer.withUnsafeBufferPointer { hop in
            vad.process(hop) { event in
                switch event {
                case .speechStarted: didStart = true
                case .speechStopped: didStop = true
                case .speechPaused: break
                }
            }
        }
        vadSamples = Self.adding(vadSamples, Self.hop)
        // One hop is one of the detector's frames: at most one event, and the detector's
        // properties describe it.
        let started = didStart ? (vad.speechOnsetMs ?? 0) + vadOffsetMs : nil
        let stopped = didStop ? (vad.speechEndMs ?? 0) + vadOffsetMs : nil
        if let end = stopped, speaking {
            speaking = false
            finishedVoiceMs = Self.adding(finishedVoiceMs, max(end - wordOnsetMs, 0))
            lastVoiceEndMs = end
        }
        if let onset = started {
            speaking = true
            wordOnsetMs = min(onset, now)
            words += 1
            if firstVoiceMs == nil { firstVoiceMs = wordOnsetMs }
        }
        let found = hopBuffer.withUnsafeBufferPointer { beepDetector.process($0, endMs: now) }
        if let found { heard(found, atMs: now) }
        evaluate(nowMs: now)
    }

    private var currentWordMs: Int { speaking ? max(analysedMs - wordOnsetMs, 0) : 0 }

    private mutating func heard(_ found: BeepDetector.Beep, atMs now: Int) {
        guard !decision.isFinal else { return }
        if decision == .undecided { report(.machine, at: now, .beep) }
        beep = found
        report(.beep(at: found.endMs), at: now, .beep)
    }

    private mutating func evaluate(nowMs now: Int) {
        let settings = configuration
        switch decision {
        case .undecided:
            guard firstVoiceMs != nil else {
                if now >= settings.initialSilenceMs {
                    report(.silence, at: now, .initialSilence)
                } else if now >= settings.totalAnalysisMs {
                    report(.silence, at: now, .totalAnalysisTime)
                }
                return
            }
            if voiceMs >= settings.greetingMs {
                report(.machine, at: now, .longGreeting)
            } else if words >= settings.maximumWords {
                report(.machine, at: now, .maximumWords)
            } else if currentWordMs >= settings.maximumWordMs {
                report(.machine, at: now, .maximumWordLength)
            } else if !speaking, let end = lastVoiceEndMs, now - end >= settings.afterGreetingSilenceMs {
                report(.human, at: now, .afterGreetingSilence)
            } else if now >= settings.totalAnalysisMs {
                report(.human, at: now, .totalAnalysisTime)
            }
        case .machine:
            // A tone under way may be the beep: wait for it to end.
            guard !beepDetector.isToneActive else { return }
            if !speaking, let end = lastVoiceEndMs, now - end >= settings.messageEndSilenceMs {
                report(.greetingEnded(at: end), at: now, .silenceAfterGreeting)
            } else if now - machineAtMs >= settings.maximumGreetingMs {
                report(.greetingEnded(at: now), at: now, .maximumGreetingLength)
            }
        case .human, .beep, .greetingEnded, .silence:
            return
        }
    }

    private mutating func report(_ decision: AnsweringMachineDecision, at now: Int, _ reason: Reason) {
        self.decision = decision
        if decision == .machine { machineAtMs = now }
        reports.append(Report(decision: decision, decidedAtMs: now, reason: reason))
    }

    /// A beep heard: where the tone started and ended, in ms of call audio, and its frequency.
    public struct Beep: Sendable, Hashable {
        public var startMs: Int
        public var endMs: Int
        public var frequencyHz: Double

        public init(startMs: Int, endMs: Int, frequencyHz: Double) {
            self.startMs = startMs
            self.endMs = endMs
            self.frequencyHz = frequencyHz
        }
    }

    /// `a + b` for counts that only grow, saturating instead of overflowing.
    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
