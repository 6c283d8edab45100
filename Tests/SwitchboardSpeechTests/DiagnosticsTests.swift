import Foundation
import Testing
@testable import SwitchboardSpeech

@Suite struct DiagnosticsTests {
    static let outOfGrammar = [
        "Can I change my hotel stay to Friday?", "Is my flight to London on time?", "What time does breakfast start at the hotel?",
        "I want to bring my cat on the flight.", "Do you have parking for my car?", "How much is the change fee for my hotel?",
    ]

    @Test(arguments: ["kal16", "slt", "espeak"])
    func explore(_ voice: String) async throws {
        let recognizer = try TestDomain.recognizer.get()
        let synthesizer = SpeechSynthesizer()
        var lines: [String] = []
        let texts = RoundTripCorpus.cases.map(\.spoken) + Self.outOfGrammar
        for text in texts {
            let audio = try await synthesizer.synthesize(text, voice: voice == "espeak" ? nil : voice, language: "en", engine: voice == "espeak" ? .espeak : .flite)
            let samples = AudioHelpers.padded(AudioHelpers.resample(audio.samples, from: audio.sampleRate, to: 16_000))
            let (g, l) = try await recognizer.hypotheses(SpeechRecognizer.addingNoise(to: samples, level: -66))
            let result = recognizer.decide(grammar: g, languageModel: l)
            let gain = Double(g.pathScore - l.pathScore) / Double(max(1, l.frames))
            lines.append(String(format: "%@ | gain %.2f | G [%@] | L %.2f [%@] | -> %@ %.2f %@", voice, gain,
                g.words.joined(separator: " "), l.wordPosterior, l.words.joined(separator: " "),
                result.source.rawValue, result.confidence, result.bestGuess))
        }
        print(lines.joined(separator: "\n"))
    }
}
