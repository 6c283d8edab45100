import Foundation
import Testing
@testable import SwitchboardSpeech

/// A parsed ARPA file: the header counts and each section's lines.
private struct ParsedARPA {
    var declaredCounts: [Int: Int] = [:]
    var sections: [Int: [(words: [String], logProbability: Double, logBackoff: Double?)]] = [:]
    var probabilities: [[String]: Double] = [:]
    var backoffs: [[String]: Double] = [:]
    var ended = false

    init(_ text: String) throws {
        var section = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line == "\\data\\" { section = 0; continue }
            if line == "\\end\\" { ended = true; continue }
            if line.hasPrefix("ngram ") {
                let parts = line.dropFirst(6).split(separator: "=")
                declaredCounts[Int(parts[0])!] = Int(parts[1])!
                continue
            }
            if line.hasPrefix("\\"), line.hasSuffix("-grams:") {
                section = Int(line.dropFirst().prefix { $0.isNumber })!
                continue
            }
            let fields = line.split(separator: "\t")
            let words = fields[1].split(separator: " ").map(String.init)
            let probability = try #require(Double(fields[0]))
            let backoff = fields.count > 2 ? Double(fields[2]) : nil
            #expect(words.count == section, "a \(section)-gram line with \(words.count) words: \(line)")
            sections[section, default: []].append((words, probability, backoff))
            probabilities[words] = probability
            if let backoff { backoffs[words] = backoff }
        }
    }

    /// log10 p(word | history) by the ARPA back-off rule.
    func logProbability(_ word: String, after history: [String]) -> Double {
        if let value = probabilities[history + [word]] { return value }
        if history.isEmpty { return -99 }
        return (backoffs[history] ?? 0) + logProbability(word, after: Array(history.dropFirst()))
    }
}

@Suite struct LanguageModelTests {
    @Test func witten_bell_matches_hand_computed_values() throws {
        let model = ARPALanguageModel(sentences: [["a", "b"], ["a", "c"]], order: 2)
        // Unigrams: a 2, b 1, c 1, </s> 2 → 6 tokens, 4 types, λ = 0.6, uniform share 0.4 / 4.
        #expect(abs(model.probability(of: "a", after: []) - 0.3) < 1e-12)
        #expect(abs(model.probability(of: "b", after: []) - 0.2) < 1e-12)
        // After "a": 2 tokens, 2 types, λ = 0.5.
        #expect(abs(model.probability(of: "b", after: ["a"]) - (0.5 * 0.5 + 0.5 * 0.2)) < 1e-12)
        #expect(abs(model.probability(of: "</s>", after: ["a"]) - 0.5 * 0.3) < 1e-12)
        let arpa = try ParsedARPA(model.arpa)
        #expect(abs(try #require(arpa.backoffs[["a"]]) - log10(0.5)) < 1e-6)
        #expect(arpa.probabilities[["<s>"]] == -99)
    }

    @Test func domain_model_is_a_valid_arpa_file() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let arpa = try ParsedARPA(model.languageModel.arpa)
        #expect(arpa.ended)
        #expect(arpa.declaredCounts.keys.sorted() == [1, 2, 3])
        for (order, count) in arpa.declaredCounts {
            #expect(arpa.sections[order]?.count == count, "ngram \(order)=\(count) in the header")
        }
        let vocabulary = Set(arpa.sections[1, default: []].map { $0.words[0] })
        #expect(vocabulary.isSuperset(of: model.vocabulary))
        for (order, lines) in arpa.sections {
            for line in lines {
                #expect(line.logProbability <= 0)
                #expect((line.logBackoff ?? 0) <= 0)
                #expect(line.words.allSatisfy(vocabulary.contains))
                if order > 1 {
                    #expect(arpa.probabilities[Array(line.words.dropLast())] != nil, "prefix of \(line.words) missing")
                }
            }
        }
        // The file's back-off arithmetic gives proper distributions.
        let predicted = vocabulary.subtracting(["<s>"])
        for history in [[], ["<s>"], ["my"], ["<s>", "is"], ["flight", "s."], ["what's", "the"], ["no", "such"]] {
            let total = predicted.reduce(0.0) { $0 + pow(10, arpa.logProbability($1, after: history)) }
            #expect(abs(total - 1) < 1e-3, "p(· | \(history)) sums to \(total)")
        }
        print("language model: \(arpa.declaredCounts.sorted { $0.key < $1.key }.map { "\($0.key)-grams \($0.value)" }) from \(model.trainingSentenceCount) sentences, \(model.vocabulary.count) words")
    }

    @Test func the_generated_model_loads_in_pocketsphinx_and_a_broken_one_does_not() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let configuration = SpeechRecognizer.Configuration()
        let decoders = try PocketSphinxDecoder.load(
            count: 1, grammar: model.grammar, languageModel: model.languageModel.arpa, dictionary: model.dictionary,
            configuration: configuration
        )
        #expect(decoders.count == 1)
        // (A header whose counts overstate a section is not caught by sphinxbase: it reads past
        // the section and crashes. A file without its \data\ mark is refused cleanly.)
        let broken = model.languageModel.arpa.replacingOccurrences(of: "\\data\\", with: "\\dta\\")
        #expect(broken != model.languageModel.arpa)
        #expect(throws: SpeechError.engineFailure) {
            try PocketSphinxDecoder.load(
                count: 1, grammar: model.grammar, languageModel: broken, dictionary: model.dictionary,
                configuration: configuration
            )
        }
    }
}
