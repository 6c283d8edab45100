/// Text to speech: flite for English, eSpeak NG for every other language.
///
/// Both engines are process-wide and not thread-safe, so each runs behind its own serial queue:
/// syntheses from every session queue up per engine (flite is far faster than real time, so the
/// queue stays short). Synthesis never runs on Swift's cooperative threads.
///
/// flite's voices speak at 16 kHz (`kal` at 8 kHz), eSpeak NG at 22.05 kHz: every result says its
/// rate, and the caller resamples to what the channel needs. Codes such as "SB204" or "BKQ431"
/// are read letter by letter and digit by digit ("S B two oh four") unless
/// ``Configuration/spellsCodes`` is off.
public final class SpeechSynthesizer: Sendable {
    /// Which engine speaks.
    public enum Engine: String, Sendable, Hashable {
        /// flite for English (`en`, `en-US`, …), eSpeak NG for other languages.
        case automatic
        /// flite, whatever the language (flite speaks only English).
        case flite
        /// eSpeak NG, whatever the language.
        case espeak
    }

    /// How the synthesizer speaks.
    public struct Configuration: Sendable {
        /// flite's pace: durations are multiplied by this (1 is the voice's own pace, 1.2 slower).
        public var durationStretch = 1.0
        /// eSpeak NG's pace in words per minute (80 … 450).
        public var wordsPerMinute = 165
        /// Whether codes ("SB204") are read letter by letter and digit by digit.
        public var spellsCodes = true
        /// A sentence longer than this many characters is split at commas for streaming.
        public var maximumChunkLength = 160

        /// The defaults.
        public init() {}
    }

    /// The configuration it speaks with.
    public let configuration: Configuration

    /// A synthesizer speaking with `configuration`.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// `text` spoken in `language` (a BCP 47 tag: "en", "en-US", "de", "fr-FR") by `voice` (an
    /// OpenAI voice name, mapped by ``VoiceCatalog``; ignored by eSpeak NG), as PCM16 mono.
    public func synthesize(_ text: String, voice: String?, language: String) async throws -> (samples: [Int16], sampleRate: Int) {
        try await synthesize(text, voice: voice, language: language, engine: .automatic)
    }

    /// `text` spoken by `engine`.
    public func synthesize(
        _ text: String, voice: String?, language: String, engine: Engine
    ) async throws -> (samples: [Int16], sampleRate: Int) {
        let audio = try await speak(spoken(text), voice: voice, language: language, engine: engine)
        return (audio.samples, audio.sampleRate)
    }

    /// `text` spoken sentence by sentence: each chunk comes as soon as its sentence is
    /// synthesized, so the first audio is ready long before the whole text is. Cancelling the
    /// consuming task stops synthesis after the sentence under way.
    public func stream(
        _ text: String, voice: String?, language: String, engine: Engine = .automatic
    ) -> AsyncThrowingStream<SpeechChunk, any Error> {
        let sentences = self.sentences(in: text)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SpeechChunk.self)
        let task = Task { [self] in
            do {
                for sentence in sentences {
                    try Task.checkCancellation()
                    let audio = try await speak(spoken(sentence), voice: voice, language: language, engine: engine)
                    continuation.yield(SpeechChunk(text: sentence, samples: audio.samples, sampleRate: audio.sampleRate))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The sentences ``stream(_:voice:language:engine:)`` speaks `text` in, one after another.
    public func sentences(in text: String) -> [String] {
        SpokenText.sentences(in: text, maximumLength: configuration.maximumChunkLength)
    }

    /// What a voice is given to read for `text`: its codes spelled out, unless
    /// ``Configuration/spellsCodes`` is off. For a voice outside this synthesizer.
    public func spokenForm(_ text: String) -> String {
        spoken(text)
    }

    /// Whether `language` is English, which flite speaks.
    public static func isEnglish(_ language: String) -> Bool {
        let primary = language.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first ?? ""
        return primary == "en" || primary == "eng" || primary == "english"
    }

    private func speak(_ text: String, voice: String?, language: String, engine: Engine) async throws -> SynthesizedAudio {
        let useFlite = switch engine {
        case .automatic: Self.isEnglish(language)
        case .flite: true
        case .espeak: false
        }
        if text.allSatisfy({ $0.isWhitespace }) {
            return SynthesizedAudio(samples: [], sampleRate: useFlite ? 16_000 : 22_050)
        }
        if useFlite {
            return try await FliteEngine.shared.synthesize(
                text, voice: VoiceCatalog.fliteVoice(for: voice), durationStretch: configuration.durationStretch
            )
        }
        return try await EspeakEngine.shared.synthesize(
            text, language: Self.isEnglish(language) && engine == .espeak ? "en-us" : language,
            wordsPerMinute: configuration.wordsPerMinute
        )
    }

    private func spoken(_ text: String) -> String {
        configuration.spellsCodes ? SpokenText.spellingCodes(in: text) : text
    }
}

/// A piece of synthesized speech: one sentence's audio.
public struct SpeechChunk: Sendable, Hashable {
    /// The sentence it says.
    public var text: String
    /// PCM16 mono.
    public var samples: [Int16]
    /// The samples' rate in Hz.
    public var sampleRate: Int

    /// A chunk of `samples` saying `text`.
    public init(text: String, samples: [Int16], sampleRate: Int) {
        self.text = text
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// How long it plays, in seconds.
    public var duration: Double {
        sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0
    }
}
