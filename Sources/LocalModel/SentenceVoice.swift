import Logging
import RealtimeProtocol
import Synchronization
import SwitchboardSpeech

/// The voice a local model's answers are spoken in, sentence by sentence: an external voice
/// when one is configured (a neural voice over Wyoming), else flite. Every spoken path (answers,
/// out-of-band and verbatim responses, fillers) goes through it.
///
/// The external voice never breaks a session: a sentence it fails (server down, timeout, bad
/// audio) is spoken by flite instead. A warning is logged at the first failure of a burst; for
/// ``retryAfter`` after a failure sentences go straight to flite (a hung server would otherwise
/// cost each sentence a timeout), then the external voice is tried again. Its audio goes out as
/// it comes, converted to the response's format by the same encoder as flite's.
final class SentenceVoice: Sendable {
    let synthesizer: SpeechSynthesizer
    let external: LocalRealtimeModel.ExternalVoice?
    /// How long after a failure the external voice is left alone.
    let retryAfter: Duration
    private let logger: Logger
    /// When the external voice last failed, while it is failing.
    private let failedAt = Mutex<ContinuousClock.Instant?>(nil)

    init(synthesizer: SpeechSynthesizer, external: LocalRealtimeModel.ExternalVoice?, retryAfter: Duration = .seconds(10), logger: Logger) {
        self.synthesizer = synthesizer
        self.external = external
        self.retryAfter = retryAfter
        self.logger = logger
    }

    /// The external voice spoke no audio for a sentence.
    struct Silence: Error, CustomStringConvertible {
        var description: String { "no audio for a sentence" }
    }

    /// Speaks `text` sentence by sentence in `format`: `deliver` gets each piece of audio as it
    /// is ready (base64 deltas and their sample count), with the sentence's text on its first
    /// piece and "" on the others.
    func speak(_ text: String, voice: String?, format: AudioFormat,
               deliver: (_ sentence: String, _ audio: [String], _ sampleCount: Int) -> Void) async throws {
        let encoder = OutputAudioEncoder(format: format)
        for sentence in synthesizer.sentences(in: text) {
            try Task.checkCancellation()
            // Whether the sentence's text has gone out with some of its audio.
            var said = false
            // A sentence of punctuation alone has nothing for a voice to say: flite's silence.
            if let external, sentence.contains(where: { $0.isLetter || $0.isNumber }), isAvailable() {
                do {
                    try await external(synthesizer.spokenForm(sentence)) { samples, sampleRate in
                        let (audio, count) = try encoder.encode(samples, sampleRate: sampleRate, endsSentence: false)
                        guard count > 0 else { return }
                        deliver(said ? "" : sentence, audio, count)
                        said = true
                    }
                    let (tail, count) = encoder.endSentence()
                    guard said || count > 0 else { throw Silence() }
                    if count > 0 { deliver(said ? "" : sentence, tail, count) }
                    recovered()
                    continue
                } catch {
                    if Task.isCancelled { throw CancellationError() }
                    encoder.abandonSentence()
                    failed(error)
                    // flite says the whole sentence, even when part of it was heard already:
                    // better its start twice than its end never.
                }
            }
            let audio = try await synthesizer.synthesize(sentence, voice: voice, language: "en-US")
            let (pieces, count) = try encoder.encode(audio.samples, sampleRate: audio.sampleRate)
            deliver(said ? "" : sentence, pieces, count)
        }
    }

    private func isAvailable() -> Bool {
        failedAt.withLock { failedAt in
            guard let failedAt else { return true }
            return ContinuousClock.now - failedAt >= retryAfter
        }
    }

    private func failed(_ error: any Error) {
        let first = failedAt.withLock { failedAt in
            defer { failedAt = .now }
            return failedAt == nil
        }
        if first {
            logger.warning("the external voice failed; flite speaks instead until it answers again", metadata: ["error": "\(error)"])
        } else {
            logger.debug("the external voice failed again", metadata: ["error": "\(error)"])
        }
    }

    private func recovered() {
        let wasFailing = failedAt.withLock { failedAt in
            defer { failedAt = nil }
            return failedAt != nil
        }
        if wasFailing { logger.notice("the external voice speaks again") }
    }
}
