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
                if token.hasPrefix("<") {
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
        #expect(grammar.contains("what's the status of flight <flight_number>"))
        #expect(!grammar.contains("SB204"))
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
