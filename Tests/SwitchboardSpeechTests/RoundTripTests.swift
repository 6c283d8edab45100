import Foundation
import Testing
@testable import SwitchboardSpeech

/// Speech synthesized from domain sentences, recognized again.
@Suite struct RoundTripTests {
    /// A synthesizer voice for the round trip: a flite voice, or eSpeak NG's US English.
    enum Voice: String, CaseIterable, Sendable {
        case kal16, slt, rms, espeak
    }

    /// `text` synthesized by `voice`, at 16 kHz, with a little silence around it as a VAD cuts it.
    static func utterance(_ text: String, voice: Voice) async throws -> [Int16] {
        let synthesizer = SpeechSynthesizer()
        let audio = voice == .espeak
            ? try await synthesizer.synthesize(text, voice: nil, language: "en-US", engine: .espeak)
            : try await synthesizer.synthesize(text, voice: voice.rawValue, language: "en-US", engine: .flite)
        return AudioHelpers.padded(AudioHelpers.resample(audio.samples, from: audio.sampleRate, to: SpeechRecognizer.sampleRate))
    }

    @Test(arguments: Voice.allCases)
    func domain_sentences_are_recognised(voice: Voice) async throws {
        let recognizer = try TestDomain.recognizer.get()
        var errors = 0
        var words = 0
        var report: [String] = []
        var audioSeconds = 0.0
        var decoding = Duration.zero
        let clock = ContinuousClock()
        for item in RoundTripCorpus.cases {
            let samples = try await Self.utterance(item.spoken, voice: voice)
            audioSeconds += Double(samples.count) / Double(SpeechRecognizer.sampleRate)
            let start = clock.now
            let result = try await recognizer.recognize(samples)
            decoding += start.duration(to: clock.now)
            let reference = AudioHelpers.scoringWords(item.expected)
            let distance = AudioHelpers.editDistance(reference, AudioHelpers.scoringWords(result.text))
            errors += distance
            words += reference.count
            if distance > 0 {
                report.append("  \"\(item.expected)\" → \"\(result.text)\" (\(result.source.rawValue), \(String(format: "%.2f", result.confidence)), best guess \"\(result.bestGuess)\")")
            }
        }
        let wordErrorRate = Double(errors) / Double(words)
        let realTime = Double(decoding.components.seconds) + Double(decoding.components.attoseconds) / 1e18
        print("WER \(voice.rawValue): \(String(format: "%.1f", wordErrorRate * 100)) % (\(errors) errors in \(words) words, \(RoundTripCorpus.cases.count) sentences; decoding \(String(format: "%.2f", realTime / audioSeconds))× real time)"
            + (report.isEmpty ? "" : "\n" + report.joined(separator: "\n")))
        #expect(wordErrorRate <= 0.10)
    }

    @Test func codes_come_back_written() async throws {
        let recognizer = try TestDomain.recognizer.get()
        let checks = [
            ("Is flight S B two oh four on time?", "SB204"),
            ("My confirmation code is B K Q four three one.", "BKQ431"),
            ("It's H two oh four five one eight.", "H204518"),
            ("Flight S B one one eight.", "SB118"),
            // Codes the domain does not list as examples.
            ("Is flight S B four five six on time?", "SB456"),
            ("My confirmation number is H seven seven one two three four.", "H771234"),
            ("Flight SB377.", "SB377"),
        ]
        for (spoken, code) in checks {
            let result = try await recognizer.recognize(try await Self.utterance(spoken, voice: .kal16))
            #expect(result.isUnderstood)
            #expect(result.text.split(separator: " ").contains(Substring(code)), "\(spoken) → \(result.text)")
        }
    }

    @Test func utterances_outside_the_grammar_fall_back_to_the_language_model() async throws {
        let recognizer = try TestDomain.recognizer.get()
        let result = try await recognizer.recognize(try await Self.utterance("Can I change my hotel stay to Friday?", voice: .kal16))
        #expect(result.isUnderstood)
        #expect(result.source == .languageModel)
        #expect(result.text == "Can I change my hotel stay to Friday")
    }

    @Test func silence_and_noise_are_not_understood() async throws {
        let recognizer = try TestDomain.recognizer.get()
        let inputs: [(String, [Int16])] = [
            ("digital silence", [Int16](repeating: 0, count: 32_000)),
            ("empty", []),
            ("quiet noise", AudioHelpers.whiteNoise(seconds: 2, level: -60)),
            ("white noise", AudioHelpers.whiteNoise(seconds: 2, level: -30)),
            ("loud white noise", AudioHelpers.whiteNoise(seconds: 2, level: -15, seed: 7)),
        ]
        for (name, samples) in inputs {
            let result = try await recognizer.recognize(samples)
            #expect(!result.isUnderstood, "\(name) → \(result.bestGuess)")
            #expect(result.text.isEmpty, "\(name)")
        }
    }

    @Test func concurrent_recognitions_share_the_pool() async throws {
        let recognizer = try TestDomain.recognizer.get()
        let cases = Array(RoundTripCorpus.cases.prefix(6))
        var utterances: [[Int16]] = []
        for item in cases { utterances.append(try await Self.utterance(item.spoken, voice: .kal16)) }
        var sequential: [String] = []
        for samples in utterances { sequential.append(try await recognizer.recognize(samples).text) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, samples) in utterances.enumerated() {
                group.addTask { (index, try await recognizer.recognize(samples).text) }
            }
            return try await group.reduce(into: [String](repeating: "", count: utterances.count)) { $0[$1.0] = $1.1 }
        }
        #expect(concurrent == sequential)
    }
}
