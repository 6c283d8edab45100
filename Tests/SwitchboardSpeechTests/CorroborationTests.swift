import Foundation
import Testing
@testable import SwitchboardSpeech

/// A grammar result is corroborated only when the language model heard the same words; a
/// grammar result taken on its fit alone, or a language-model result, is not, and a neural
/// recognizer hears such an utterance again.
@Suite struct CorroborationTests {
    func hypothesis(_ text: String, score: Int, posterior: Double = 1) -> DecoderHypothesis {
        DecoderHypothesis(words: text.split(separator: " ").map(String.init), pathScore: score, wordPosterior: posterior, frames: 200)
    }

    @Test func the_same_words_from_both_searches_are_corroborated() throws {
        let recognizer = try TestDomain.recognizer.get()
        let heard = recognizer.decide(grammar: hypothesis("is my flight on time", score: -1000),
                                      languageModel: hypothesis("is my flight on time", score: -1100, posterior: 0.8),
                                      decision: .init())
        #expect(heard.isUnderstood && heard.source == .grammar && heard.isCorroborated)
    }

    @Test func the_language_model_hearing_a_domain_utterance_alone_is_corroborated() throws {
        let recognizer = try TestDomain.recognizer.get()
        let heard = recognizer.decide(grammar: nil, languageModel: hypothesis("is my flight on time", score: -1000, posterior: 0.9),
                                      decision: .init())
        #expect(heard.isCorroborated)
    }

    @Test func a_grammar_result_on_its_fit_alone_is_not() throws {
        let recognizer = try TestDomain.recognizer.get()
        // The grammar's path scores far better per frame than the language model's different words.
        let heard = recognizer.decide(grammar: hypothesis("is my flight on time", score: 0),
                                      languageModel: hypothesis("what about the weather", score: -2000, posterior: 0.3),
                                      decision: .init())
        #expect(heard.isUnderstood && heard.source == .grammar)
        #expect(!heard.isCorroborated)
    }

    @Test func a_language_model_result_is_not() throws {
        let recognizer = try TestDomain.recognizer.get()
        let heard = recognizer.decide(grammar: hypothesis("is my flight on time", score: -5000),
                                      languageModel: hypothesis("my hotel breakfast", score: -1000, posterior: 0.95),
                                      decision: .init())
        #expect(heard.isUnderstood && heard.source == .languageModel)
        #expect(!heard.isCorroborated)
    }
}
