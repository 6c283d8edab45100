import Foundation
import Testing
@testable import SwitchboardSpeech

@Suite struct Diagnostics3Tests {
    @Test func letters() async throws {
        let recognizer = try TestDomain.recognizer.get()
        let synthesizer = SpeechSynthesizer()
        for text in ["My confirmation code is A I Q four three one.", "My confirmation code is AIQ431.", "My confirmation code is A. I. Q. four three one.", "It's flight SB204.", "It's AEU105."] {
            for engine in [SpeechSynthesizer.Engine.flite, .espeak] {
                let audio = try await synthesizer.synthesize(text, voice: "kal16", language: "en", engine: engine)
                let r = try await recognizer.recognize(AudioHelpers.padded(AudioHelpers.resample(audio.samples, from: audio.sampleRate, to: 16_000)))
                print("LET \(engine) \(text) -> \(r.bestGuess) \(r.isUnderstood) \(r.words)")
            }
        }
    }
}
