import Dispatch
import Synchronization
import SwitchboardAgents
import SwitchboardSpeech

/// The local model's ears and voice: one speech recognizer for the domain and one synthesizer,
/// shared by every session of a model (and, through ``shared(for:)``, by every model of the
/// process built for the same domain).
///
/// The recognizer is expensive (a language model generated from the domain, then PocketSphinx
/// decoders that load the acoustic model): it is built lazily, on a background thread, the first
/// time a session needs it (its first audio), never at start-up, so a hub that never hears audio
/// never pays for it. The recognizer lends its decoders to one recognition at a time, and the
/// synthesizer runs each engine behind its own serial queue: both are safe to share.
public final class LocalSpeech: Sendable {
    /// What callers are expected to say.
    public let domain: SpeechDomain
    /// How the recognizer is built.
    public let configuration: SpeechRecognizer.Configuration
    /// The voice.
    public let synthesizer: SpeechSynthesizer
    private let building = Mutex<Task<SpeechRecognizer, any Error>?>(nil)

    /// Speech for `domain`; nothing is built until ``recognizer()`` or ``warmUp()``.
    public init(
        domain: SpeechDomain, configuration: SpeechRecognizer.Configuration = SpeechRecognizer.Configuration(),
        synthesizer: SpeechSynthesizer = SpeechSynthesizer()
    ) {
        self.domain = domain
        self.configuration = configuration
        self.synthesizer = synthesizer
    }

    /// The recognizer, built on first use (on a background thread; later callers wait for the
    /// same build).
    public func recognizer() async throws -> SpeechRecognizer {
        try await buildTask().value
    }

    /// Starts building the recognizer if nobody has yet, without waiting for it.
    public func warmUp() {
        _ = buildTask()
    }

    private func buildTask() -> Task<SpeechRecognizer, any Error> {
        let domain = domain
        let configuration = configuration
        return building.withLock { task in
            if let task { return task }
            let started = Task<SpeechRecognizer, any Error> {
                try await withCheckedThrowingContinuation { continuation in
                    // Loading decoders blocks for about a second each: not on the cooperative pool.
                    DispatchQueue.global(qos: .userInitiated).async {
                        continuation.resume(with: Result { try SpeechRecognizer(domain: domain, configuration: configuration) })
                    }
                }
            }
            task = started
            return started
        }
    }

    /// The pack's domain: `catalog`'s routing examples (the sentences callers are expected to
    /// say), the common phrases and templates, and the pack's spoken codes and templates.
    public static func domain(for catalog: PersonaCatalog, extraSentences: [String] = []) -> SpeechDomain {
        var seen = Set<String>()
        let sentences = (catalog.personas.flatMap(\.routingExamples) + extraSentences).filter { seen.insert($0).inserted }
        // Each vocabulary is a word class templates name, and may be said on its own.
        var classes = SpeechDomain.standardClasses
        var templates = SpeechDomain.commonTemplates + catalog.speech.templates
        for vocabulary in catalog.speech.vocabularies {
            classes[vocabulary.name] = catalog.speech.words[vocabulary.name] ?? []
            templates.append("{\(vocabulary.name)}")
        }
        return SpeechDomain(
            sentences: sentences,
            templates: templates,
            codes: catalog.speech.codes.map { SpokenCode(name: $0.name, pattern: $0.pattern, examples: $0.examples) },
            classes: classes
        )
    }

    private static let cache = Mutex<[[String]: LocalSpeech]>([:])

    /// One `LocalSpeech` per domain for the whole process: hubs started one
    /// after another (tests start many) share one recognizer instead of building it each time.
    public static func shared(for catalog: PersonaCatalog, extraSentences: [String] = []) -> LocalSpeech {
        let domain = domain(for: catalog, extraSentences: extraSentences)
        return cache.withLock { cache in
            let key = domain.sentences + ["\u{0}"] + domain.templates + domain.codes.map { "\u{0}\($0.name)=\($0.pattern):\($0.examples)" }
                + domain.classes.sorted { $0.key < $1.key }.map { "\u{1}\($0.key)=\($0.value)" }
            if let speech = cache[key] { return speech }
            let speech = LocalSpeech(domain: domain)
            cache[key] = speech
            return speech
        }
    }
}
