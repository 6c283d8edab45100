import CEspeakNG
import Dispatch

/// eSpeak NG in synchronous mode, behind one serial queue: the library keeps one voice and one
/// callback for the whole process, so every synthesis goes through ``shared`` one at a time.
final class EspeakEngine: Sendable {
    /// The process's one eSpeak NG.
    static let shared = EspeakEngine()

    private let queue = DispatchQueue(label: "switchboard.speech.espeak", qos: .userInitiated)
    /// Touched only on `queue`.
    private let state = EngineState()

    private init() {}

    /// `text` in `language` (a BCP 47 tag or an eSpeak NG voice name: "de", "fr-FR", "es") at
    /// `wordsPerMinute`.
    func synthesize(_ text: String, language: String, wordsPerMinute: Int) async throws -> SynthesizedAudio {
        let meter = CPUMeter.current
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { [state] in
                continuation.resume(with: Result { () throws(SpeechError) -> SynthesizedAudio in
                    let start = CPUMeter.threadTime()
                    defer { meter?.add(CPUMeter.threadTime() - start) }
                    return try state.synthesize(text, language: language, wordsPerMinute: wordsPerMinute)
                })
            }
        }
    }
}

/// Collects the samples the callback is handed during one `espeak_Synth`.
private final class SampleCollector {
    var samples: [Int16] = []
}

/// eSpeak NG's process-wide state, confined to the engine's queue (hence `@unchecked Sendable`).
private final class EngineState: @unchecked Sendable {
    /// Where the callback puts samples during the `espeak_Synth` under way. Not every callback
    /// carries the `user_data` given to `espeak_Synth` (a buffer whose only event is the list
    /// terminator has none), so the collector is found here instead; only the engine's queue
    /// touches it.
    nonisolated(unsafe) static var collector: SampleCollector?

    private var sampleRate: Int?
    private var voice: String?
    private var rate: Int?

    func synthesize(_ text: String, language: String, wordsPerMinute: Int) throws(SpeechError) -> SynthesizedAudio {
        let sampleRate = try initialize()
        try select(language)
        if rate != wordsPerMinute {
            _ = espeak_SetParameter(espeakRATE, Int32(wordsPerMinute), 0)
            rate = wordsPerMinute
        }
        let collector = SampleCollector()
        Self.collector = collector
        defer { Self.collector = nil }
        let bytes = text.utf8.count + 1
        let status = espeak_Synth(text, bytes, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil, nil)
        guard status == EE_OK else { throw .engineFailure("eSpeak NG could not synthesize (error \(status.rawValue))") }
        return SynthesizedAudio(samples: collector.samples, sampleRate: sampleRate)
    }

    private func initialize() throws(SpeechError) -> Int {
        if let sampleRate { return sampleRate }
        let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, 0)
        guard rate > 0 else { throw .engineFailure("eSpeak NG could not initialise (no espeak-ng-data?)") }
        espeak_SetSynthCallback { wave, count, _ in
            if let wave, count > 0 {
                EngineState.collector?.samples.append(contentsOf: UnsafeBufferPointer(start: wave, count: Int(count)))
            }
            return 0
        }
        sampleRate = Int(rate)
        return Int(rate)
    }

    /// Selects the voice for `language`: the whole tag as a voice name ("en-us"), then its
    /// language ("fr" for "fr-CA"), then any voice that lists the tag.
    private func select(_ language: String) throws(SpeechError) {
        let tag = language.lowercased().replacingUnderscores
        if voice == tag { return }
        let primary = String(tag.split(separator: "-").first ?? Substring(tag))
        for name in [tag, primary] where espeak_SetVoiceByName(name) == EE_OK {
            voice = tag
            return
        }
        var found = false
        tag.withCString { languages in
            var spec = espeak_VOICE()
            spec.languages = languages
            found = espeak_SetVoiceByProperties(&spec) == EE_OK
        }
        guard found else { throw .unknownVoice("eSpeak NG has no voice for \(language)") }
        voice = tag
    }
}

private extension String {
    var replacingUnderscores: String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
