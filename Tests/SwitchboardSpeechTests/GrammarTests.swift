import Foundation
import Testing
@testable import SwitchboardSpeech

@Suite struct GrammarTests {
    @Test func grammar_is_well_formed_and_closed() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let grammar = model.grammar
        #expect(grammar.hasPrefix("#JSGF V1.0;"))
        #expect(grammar.contains("grammar switchboard;"))
        // Rules: each definition ends with ';', one is public, every reference is defined.
        let body = grammar.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("grammar ") }.joined(separator: "\n")
        let definitions = body.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        var defined = Set<String>()
        var referenced = Set<String>()
        var words = Set<String>()
        var publicRules = 0
        for definition in definitions {
            let parts = definition.components(separatedBy: " = ")
            #expect(parts.count == 2, "not a rule: \(definition)")
            var head = parts[0]
            if head.hasPrefix("public ") { publicRules += 1; head.removeFirst(7) }
            defined.insert(head)
            for token in parts[1].split(whereSeparator: { $0.isWhitespace || $0 == "|" }) {
                if token == "<NULL>" || token == "(" || token == ")" {
                    continue
                } else if token.hasPrefix("<") {
                    referenced.insert(String(token))
                } else if !(token.hasPrefix("/") && token.hasSuffix("/")) {  // a weight, /8/
                    words.insert(String(token))
                }
            }
        }
        #expect(publicRules == 1)
        #expect(referenced.isSubset(of: defined), "undefined: \(referenced.subtracting(defined))")
        let dictionaryWords = Set(model.dictionary.split(separator: "\n").map { String($0.prefix { $0 != " " && $0 != "(" }) })
        #expect(words.isSubset(of: dictionaryWords), "no pronunciation: \(words.subtracting(dictionaryWords))")
        // Codes are slots, not the demo's literal values.
        #expect(grammar.contains("<flight_number> = /1/ s. b. one one eight | "))
        #expect(grammar.contains(" | /8/ s. b. <digit> <digit> <digit>;"), "6 examples, two with a zero said two ways")
        #expect(grammar.contains("<hotel_confirmation> = "))
        #expect(grammar.contains("what's the status of flight"))
        #expect(!grammar.contains("SB204"))
    }

    @Test func the_public_rule_holds_every_utterance_once_at_the_same_probability() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let body = try #require(model.grammar.components(separatedBy: "public <utterance> = ").last?.components(separatedBy: ";").first)
        var parser = ExpansionParser(tokens: body.split(whereSeparator: \.isWhitespace).map(String.init))
        let parsed = parser.expansion()
        let expanded = try #require(parsed)
        #expect(parser.isAtEnd)
        let expected = model.corpus.utterances.map { pieces in
            pieces.map { piece in
                switch piece {
                case .word(let word): word
                case .slot(let name): "<\(name)>"
                }
            }.joined(separator: " ")
        }
        #expect(expanded.map(\.sentence).sorted() == expected.sorted())
        let probability = 1 / Double(expected.count)
        for (sentence, p) in expanded {
            #expect(abs(p - probability) < 1e-9, "\(sentence): \(p)")
        }
        // Utterances ending alike from their first slot share that ending: one copy per ending.
        #expect(body.components(separatedBy: "<date>").count - 1 < model.corpus.utterances.filter { $0.contains(.slot("date")) }.count)
    }

    @Test func the_corpus_tells_its_utterances_from_other_word_sequences() throws {
        let corpus = try SpeechModel(domain: try TestDomain.domain()).corpus
        func accepts(_ text: String) -> Bool { corpus.accepts(text.split(separator: " ").map(String.init)) }
        // Utterances, with their slots filled by a class alternative or any code of the kind.
        #expect(accepts("what's the status of flight s. b. two oh four"))
        #expect(accepts("what's the status of flight s. b. nine zero one"))
        #expect(accepts("move it to march the fifth"))
        #expect(accepts("move it to next tuesday"))
        #expect(accepts("yes please"))
        // Not utterances: a word short, a word too many, a code of the wrong kind, no words.
        #expect(!accepts("what's the status of flight s. b. two oh"))
        #expect(!accepts("what's the status of flight s. b. two oh four please"))
        #expect(!accepts("what's the status of flight h. two oh four five one eight"))
        #expect(!accepts("move it to march"))
        #expect(!accepts("please yes"))
        #expect(!corpus.accepts([]))
    }

    @Test func pocketsphinx_accepts_the_grammar_and_rejects_a_broken_one() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let configuration = SpeechRecognizer.Configuration()
        _ = try PocketSphinxDecoder.load(
            count: 1, grammar: model.grammar, languageModel: model.languageModel.arpa, dictionary: model.dictionary,
            configuration: configuration
        )
        // (sphinxbase lets a reference to an undefined rule pass: the closure test above checks
        // that.) A syntax error is refused.
        let broken = model.grammar.replacingOccurrences(of: "public <utterance> = ", with: "public <utterance> = ( ")
        #expect(broken != model.grammar)
        #expect(throws: SpeechError.engineFailure) {
            try PocketSphinxDecoder.load(
                count: 1, grammar: broken, languageModel: model.languageModel.arpa, dictionary: model.dictionary,
                configuration: configuration
            )
        }
    }

    @Test func dictionary_covers_the_vocabulary_from_cmudict() throws {
        let model = try SpeechModel(domain: try TestDomain.domain())
        let entries = Dictionary(grouping: model.dictionary.split(separator: "\n"), by: { String($0.prefix { $0 != " " && $0 != "(" }) })
        #expect(Set(entries.keys) == Set(model.vocabulary))
        #expect(entries["b."]?.first == "b. B IY")
        #expect(entries["flight"]?.first == "flight F L AY T")
        #expect(entries["the"]?.count ?? 0 >= 2, "variants are kept")
        #expect(model.warnings.isEmpty, "\(model.warnings)")
    }

    @Test func unknown_words_are_spelled_with_a_warning() throws {
        let model = try SpeechModel(domain: SpeechDomain(sentences: ["zzyzx flight"], phrases: [], templates: []))
        #expect(model.dictionary.contains("zzyzx Z IY Z IY W AY Z IY EH K S"))
        #expect(model.warnings.count == 1)
    }

    @Test func invalid_domains_are_refused() {
        #expect(throws: SpeechError.invalidDomain) { try SpeechModel(domain: SpeechDomain(sentences: [], phrases: [], templates: [])) }
        #expect(throws: SpeechError.invalidDomain) {
            try SpeechModel(domain: SpeechDomain(sentences: [], phrases: [], templates: ["my code is {code}"]))
        }
        #expect(throws: SpeechError.invalidDomain) {
            try SpeechModel(domain: SpeechDomain(codes: [SpokenCode(name: "flight", pattern: "SB###", examples: ["SB2040"])]))
        }
        #expect(throws: SpeechError.invalidDomain) {
            var classes = SpeechDomain.standardClasses
            classes["date"]!.append("the day before {date}")
            return try SpeechModel(domain: SpeechDomain(templates: ["{date}"], classes: classes))
        }
    }
}

/// Expands the JSGF subset the grammar's public rule uses (weighted alternatives, groups,
/// `<NULL>`, words and rule references kept as tokens) into its sentences and their probabilities.
private struct ExpansionParser {
    var tokens: [String]
    var position = 0

    var isAtEnd: Bool { position == tokens.count }

    /// alternatives := [weight] sequence ( "|" [weight] sequence )*
    mutating func expansion() -> [(sentence: String, probability: Double)]? {
        var branches: [(weight: Double, sentences: [(String, Double)])] = []
        repeat {
            if position < tokens.count, tokens[position] == "|" { position += 1 }
            var weight = 1.0
            if position < tokens.count, tokens[position].hasPrefix("/"), tokens[position].hasSuffix("/") {
                guard let value = Double(tokens[position].dropFirst().dropLast()) else { return nil }
                weight = value
                position += 1
            }
            guard let sentences = sequence() else { return nil }
            branches.append((weight, sentences))
        } while position < tokens.count && tokens[position] == "|"
        let total = branches.reduce(0) { $0 + $1.weight }
        return branches.flatMap { branch in branch.sentences.map { ($0.0, $0.1 * branch.weight / total) } }
    }

    /// sequence := ( word | <rule> | <NULL> | "(" alternatives ")" )+
    mutating func sequence() -> [(String, Double)]? {
        var sentences: [(String, Double)] = [("", 1)]
        while position < tokens.count, tokens[position] != "|", tokens[position] != ")" {
            let token = tokens[position]
            position += 1
            var items: [(String, Double)]
            if token == "(" {
                guard let inner = expansion(), position < tokens.count, tokens[position] == ")" else { return nil }
                position += 1
                items = inner
            } else if token == "<NULL>" {
                items = [("", 1)]
            } else {
                items = [(token, 1)]
            }
            sentences = sentences.flatMap { head in
                items.map { item in ([head.0, item.0].filter { !$0.isEmpty }.joined(separator: " "), head.1 * item.1) }
            }
        }
        return sentences
    }
}
