import Foundation
import Testing
@testable import SwitchboardSpeech

/// The decoders are shared by every session: what one utterance is heard as must not depend on
/// what the decoder heard before it.
@Suite struct DecoderStateTests {
    @Test func an_utterance_is_heard_the_same_after_loud_noise() async throws {
        var configuration = SpeechRecognizer.Configuration()
        configuration.decoders = 1
        let recognizer = try SpeechRecognizer(domain: try TestDomain.domain(), configuration: configuration)
        let synthesizer = SpeechSynthesizer()
        let noise = AudioHelpers.whiteNoise(seconds: 2, level: -10)
        // A first utterance: a decoder's very first one scores a little differently.
        _ = try await recognizer.hypotheses(noise, decision: .init())
        for text in ["Is flight S B two oh four on time?", "What time is check-in at the hotel?"] {
            let audio = try await synthesizer.synthesize(text, voice: "en-us", language: "en-US", engine: .espeak)
            let utterance = AudioHelpers.padded(AudioHelpers.resample(audio.samples, from: audio.sampleRate, to: 16_000))
            let before = try await recognizer.hypotheses(utterance, decision: .init())
            // Another caller's loud line, twice.
            _ = try await recognizer.hypotheses(noise, decision: .init())
            _ = try await recognizer.hypotheses(noise, decision: .init())
            let after = try await recognizer.hypotheses(utterance, decision: .init())
            #expect(after.languageModel == before.languageModel, "\(text)")
            #expect(after.grammar == before.grammar, "\(text)")
        }
    }
}
