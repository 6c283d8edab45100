import Foundation
import RealtimeProtocol

/// A pack's speech vocabulary for the embedded recognizer: the codes callers spell out and
/// sentence templates with slots. Declared in `pack.yaml` under `speech:`; codes not declared
/// there are derived from the tools' parameter patterns.
public struct PackSpeech: Sendable, Hashable {
    /// A kind of code callers spell letter by letter and digit by digit.
    public struct Code: Sendable, Hashable {
        /// The slot's name in templates (`{booking_code}`).
        public var name: String
        /// One character per spoken token: an uppercase letter or digit stands for itself, `@`
        /// for any letter, `#` for any digit.
        public var pattern: String
        /// Codes callers are likely to say.
        public var examples: [String]

        public init(name: String, pattern: String, examples: [String] = []) {
            self.name = name
            self.pattern = pattern
            self.examples = examples
        }
    }

    /// Names callers say that the pack's data holds (its dentists, restaurants, menu items): a
    /// query whose first column lists them, run when the data opens.
    public struct Vocabulary: Sendable, Hashable {
        /// The word class's name in templates (`{dentist}`), and the tool parameter it fills.
        public var name: String
        public var sql: String
        public var line: Int

        public init(name: String, sql: String, line: Int = 1) {
            self.name = name
            self.sql = sql
            self.line = line
        }
    }

    public var codes: [Code]
    /// Utterances with slots: a code's name, a vocabulary's or a word class (`{date}`, `{number}`, …).
    public var templates: [String]
    public var vocabularies: [Vocabulary]
    /// Each vocabulary's values as the data gave them, by name (empty until the data opens).
    public var words: [String: [String]]

    public init(codes: [Code] = [], templates: [String] = [], vocabularies: [Vocabulary] = [], words: [String: [String]] = [:]) {
        self.codes = codes
        self.templates = templates
        self.vocabularies = vocabularies
        self.words = words
    }

    /// A short text in the business's words for a neural recognizer's initial prompt (Whisper
    /// conditions its decoding on it): the pack's title, a few of each code's examples and the
    /// vocabularies' first values, at most `maximumWords` words in all (a long prompt makes
    /// Whisper echo words nobody said).
    public func recognizerPrompt(title: String, maximumWords: Int = 60) -> String {
        var phrases = [title]
        for code in codes { phrases += code.examples.prefix(3) }
        for vocabulary in vocabularies { phrases += (words[vocabulary.name] ?? []).prefix(10) }
        var kept: [String] = []
        var count = 0
        for phrase in phrases {
            let size = phrase.split(separator: " ").count
            guard size > 0, count + size <= maximumWords else { continue }
            kept.append(phrase)
            count += size
        }
        return kept.joined(separator: ", ") + (kept.isEmpty ? "" : ".")
    }

    /// The recognizer's own word classes, which a vocabulary may not be named after.
    public static let wordClasses: Set<String> = ["date", "weekday", "month", "ordinal", "number"]

    /// The most values one vocabulary keeps, and the most words in one value: a vocabulary is
    /// names people say, not a table's contents.
    public static let maximumValues = 500
    public static let maximumWordsPerValue = 6

    /// The values of a vocabulary as callers say them: letters, digits and apostrophes, other
    /// characters as spaces; empty, over-long and repeated values left out, at most
    /// ``maximumValues`` kept, in the data's order.
    public static func vocabularyValues(_ raw: [String]) -> [String] {
        var seen = Set<String>()
        var values: [String] = []
        for value in raw {
            let kept = String(value.map { (character: Character) -> Character in
                character.isLetter || character.isNumber || character == "'" ? character : " "
            })
            let words = kept.split(separator: " ").map(String.init)
            guard !words.isEmpty, words.count <= maximumWordsPerValue else { continue }
            let spoken = words.joined(separator: " ")
            guard seen.insert(spoken.lowercased()).inserted else { continue }
            values.append(spoken)
            if values.count == maximumValues { break }
        }
        return values
    }

    /// The spoken patterns a JSON-schema `pattern` allows, when it is a simple sequence of
    /// literal letters and digits, `[A-Z]`, `[0-9]` or `\d`, each with an optional `{n}` or
    /// `{n,m}` count (at most 4 variants); `nil` for anything else.
    public static func spokenPatterns(regex: String) -> [String]? {
        var text = Substring(regex)
        if text.hasPrefix("^") { text = text.dropFirst() }
        if text.hasSuffix("$") { text = text.dropLast() }
        var variants = [""]
        while let first = text.first {
            var unit: String
            if text.hasPrefix("[A-Z]") {
                unit = "@"
                text = text.dropFirst(5)
            } else if text.hasPrefix("[0-9]") {
                unit = "#"
                text = text.dropFirst(5)
            } else if text.hasPrefix("\\d") {
                unit = "#"
                text = text.dropFirst(2)
            } else if first.isASCII, first.isUppercase || first.isNumber {
                unit = String(first)
                text = text.dropFirst()
            } else {
                return nil
            }
            var low = 1
            var high = 1
            if text.first == "{" {
                guard let close = text.firstIndex(of: "}") else { return nil }
                let counts = text[text.index(after: text.startIndex)..<close].split(separator: ",", omittingEmptySubsequences: false)
                guard let lower = counts.first.flatMap({ Int($0) }) else { return nil }
                low = lower
                high = counts.count > 1 ? (Int(counts[1]) ?? -1) : lower
                guard low >= 1, high >= low, high <= 12 else { return nil }
                text = text[text.index(after: close)...]
            }
            var next: [String] = []
            for variant in variants {
                for count in low...high { next.append(variant + String(repeating: unit, count: count)) }
            }
            guard next.count <= 4 else { return nil }
            variants = next
        }
        // Every variant 2 to 16 characters: a one-character code would make every lone digit a code.
        guard variants.allSatisfy({ (2...16).contains($0.count) }) else { return nil }
        return variants
    }

    /// Codes for the tools' string parameters with a simple `pattern`, named after the
    /// parameter, for those not declared in `declared`.
    public static func derivedCodes(from tools: [ToolDefinition], declared: [Code]) -> [Code] {
        var codes: [Code] = []
        var names = Set(declared.map(\.name))
        for tool in tools {
            guard let properties = tool.parameters.objectValue?["properties"]?.objectValue else { continue }
            for (name, schema) in properties.members {
                guard !names.contains(name), let regex = schema.objectValue?["pattern"]?.stringValue,
                      let patterns = spokenPatterns(regex: regex) else { continue }
                names.insert(name)
                for (index, pattern) in patterns.enumerated() {
                    codes.append(Code(name: index == 0 ? name : "\(name)_\(index + 1)", pattern: pattern))
                }
            }
        }
        return codes
    }
}
