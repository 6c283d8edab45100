import Foundation
import Testing
@testable import SwitchboardSpeech

@Suite(.serialized) struct SynthesizerTests {
    private static let sentence = "This is the Switchboard Air flight desk. How can I help with your flight?"
    private static let wordCount = 14

    /// Seconds per word of `samples` at `rate`, and the level of the loudest 100 ms.
    private func measure(_ samples: [Int16], rate: Int) -> (secondsPerWord: Double, peakLevel: Double) {
        let window = rate / 10
        var peak = -Double.infinity
        var start = 0
        while start + window <= samples.count {
            peak = max(peak, SpeechRecognizer.level(Array(samples[start..<(start + window)])))
            start += window
        }
        return (Double(samples.count) / Double(rate) / Double(Self.wordCount), peak)
    }

    @Test(arguments: ["kal16", "slt", "rms", "awb", "alloy", "verse", "shimmer", nil] as [String?])
    func flite_speaks_english(voice: String?) async throws {
        let audio = try await SpeechSynthesizer().synthesize(Self.sentence, voice: voice, language: "en-US")
        #expect(audio.sampleRate == 16_000)
        let (perWord, peak) = measure(audio.samples, rate: audio.sampleRate)
        print("flite \(voice ?? "default") → \(VoiceCatalog.fliteVoice(for: voice)): \(audio.samples.count) samples at \(audio.sampleRate) Hz, \(Int(perWord * 1000)) ms a word")
        #expect(perWord > 0.15 && perWord < 0.6, "\(perWord) s a word")
        #expect(peak > -30, "audible: loudest 100 ms at \(peak) dBFS")
    }

    @Test(arguments: ["en", "de", "fr-FR", "es"])
    func espeak_speaks_other_languages(language: String) async throws {
        let texts = [
            "en": Self.sentence, "de": "Das ist der Flugschalter von Switchboard Air. Wie kann ich Ihnen mit Ihrem Flug helfen?",
            "fr-FR": "Ici le comptoir des vols de Switchboard Air. Comment puis-je vous aider avec votre vol?",
            "es": "Este es el mostrador de vuelos de Switchboard Air. ¿Cómo puedo ayudarle con su vuelo?",
        ]
        let text = try #require(texts[language])
        let synthesizer = SpeechSynthesizer()
        let engine: SpeechSynthesizer.Engine = language == "en" ? .espeak : .automatic
        let audio = try await synthesizer.synthesize(text, voice: "alloy", language: language, engine: engine)
        #expect(audio.sampleRate == 22_050)
        let words = text.split(separator: " ").count
        let perWord = Double(audio.samples.count) / Double(audio.sampleRate) / Double(words)
        print("espeak-ng \(language): \(audio.samples.count) samples at \(audio.sampleRate) Hz, \(Int(perWord * 1000)) ms a word")
        #expect(perWord > 0.15 && perWord < 0.6, "\(perWord) s a word")
        #expect(measure(audio.samples, rate: audio.sampleRate).peakLevel > -30)
    }

    @Test func unknown_language_is_an_error() async {
        await #expect(throws: SpeechError.unknownVoice) {
            try await SpeechSynthesizer().synthesize("Hello", voice: nil, language: "xx-nowhere")
        }
        await #expect(throws: SpeechError.unknownVoice) {
            try await FliteEngine.shared.synthesize("Hello", voice: "nobody", durationStretch: 1)
        }
    }

    @Test func empty_text_is_empty_audio() async throws {
        let audio = try await SpeechSynthesizer().synthesize("  ", voice: nil, language: "en")
        #expect(audio.samples.isEmpty)
    }

    @Test func voices_sound_different() async throws {
        let synthesizer = SpeechSynthesizer()
        let alloy = try await synthesizer.synthesize("How can I help?", voice: "alloy", language: "en")
        let shimmer = try await synthesizer.synthesize("How can I help?", voice: "shimmer", language: "en")
        #expect(alloy.samples != shimmer.samples)
    }

    @Test func slower_pace_gives_longer_audio() async throws {
        var slow = SpeechSynthesizer.Configuration()
        slow.durationStretch = 1.5
        let normal = try await SpeechSynthesizer().synthesize(Self.sentence, voice: nil, language: "en")
        let stretched = try await SpeechSynthesizer(configuration: slow).synthesize(Self.sentence, voice: nil, language: "en")
        #expect(Double(stretched.samples.count) > 1.3 * Double(normal.samples.count))
        // The voice's features were restored: the default pace is back.
        let again = try await SpeechSynthesizer().synthesize(Self.sentence, voice: nil, language: "en")
        #expect(again.samples.count == normal.samples.count)
    }

    @Test(arguments: [SpeechSynthesizer.Engine.flite, .espeak])
    func stream_yields_a_chunk_per_sentence_before_the_end(engine: SpeechSynthesizer.Engine) async throws {
        let text = """
            Sure. I can move booking BKQ431 from Friday the twentieth to flight SB204 on Saturday the twenty first, \
            departing at 8:15 in the morning from gate B12 at San Francisco International Airport. \
            The change fee for your economy fare is $75 and the fare difference is $20, so the total comes to $95 \
            and will be charged to the card you booked with. Your seat, 14C by the aisle, stays the same on the new flight. \
            Shall I go ahead and make the change for you now, or would you like to hear about other flights first?
            """
        let synthesizer = SpeechSynthesizer()
        let clock = ContinuousClock()
        // Warm up (eSpeak NG loads the voice), then time the whole text in one piece.
        _ = try await synthesizer.synthesize("Sure.", voice: "verse", language: "en", engine: engine)
        let wholeStart = clock.now
        let whole = try await synthesizer.synthesize(text, voice: "verse", language: "en", engine: engine)
        let wholeTime = wholeStart.duration(to: clock.now)
        let start = clock.now
        var arrivals: [Duration] = []
        var chunks: [SpeechChunk] = []
        for try await chunk in synthesizer.stream(text, voice: "verse", language: "en", engine: engine) {
            arrivals.append(start.duration(to: clock.now))
            chunks.append(chunk)
        }
        let done = start.duration(to: clock.now)
        #expect(chunks.map(\.text) == SpokenText.sentences(in: text))
        #expect(chunks.count >= 5)
        #expect(chunks.first?.text == "Sure.")
        #expect(chunks.allSatisfy { !$0.samples.isEmpty })
        let first = try #require(arrivals.first)
        print("\(engine) stream: first chunk after \(first), all \(chunks.count) after \(done) (the whole text in one piece: \(wholeTime)); first chunk \(chunks[0].duration) s of \(chunks.map(\.duration).reduce(0, +)) s")
        // The first sentence arrives before the last is synthesized (how much earlier is a speed
        // figure, printed above, not asserted: the machine may be busy).
        #expect(first < done)
        let streamed = chunks.map(\.samples.count).reduce(0, +)
        #expect(abs(Double(streamed) / Double(whole.samples.count) - 1) < 0.25)
    }

    @Test func cancelling_the_consumer_stops_the_stream() async throws {
        let text = Array(repeating: "This sentence is here to take some time to say.", count: 40).joined(separator: " ")
        let task = Task {
            var count = 0
            for try await _ in SpeechSynthesizer().stream(text, voice: nil, language: "en") {
                count += 1
                if count == 2 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return count
        }
        let count = try await task.value
        #expect(count < 40)
    }

    @Test func concurrent_syntheses_are_serialised_safely() async throws {
        let synthesizer = SpeechSynthesizer()
        let reference = try await synthesizer.synthesize(Self.sentence, voice: "slt", language: "en")
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    if index % 2 == 0 {
                        return try await synthesizer.synthesize(Self.sentence, voice: "slt", language: "en").samples.count
                    }
                    return try await synthesizer.synthesize("Guten Tag", voice: nil, language: "de").samples.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == reference.samples.count }.count == 4)
    }
}
