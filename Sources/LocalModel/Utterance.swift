import Foundation

/// What a caller said, split into the lowercase words the local model reasons about.
///
/// Apostrophes are dropped ("don't" → "dont"), every other character that is not a letter or a
/// digit separates words, except a hyphen between two digits ("2026-11-27" stays one word).
public struct Utterance: Sendable, Hashable {
    /// The text as it was said.
    public let text: String
    /// Lowercase words, in order.
    public let words: [String]

    /// Splits `text` into words.
    public init(_ text: String) {
        self.text = text
        self.words = Self.words(of: text)
    }

    /// Whether nothing was said.
    public var isEmpty: Bool { words.isEmpty }

    /// Whether `phrase` (a trigger) occurs in the utterance, word for word, its last word
    /// possibly inflected: "change" matches "changed" and "changes", "delay" matches "delaying",
    /// "on time" matches "is it on time"; "gate" does not match "navigate", nor "late" "later".
    public func contains(phrase: String) -> Bool {
        let phraseWords = Self.words(of: phrase)
        guard let last = phraseWords.last, words.count >= phraseWords.count else { return false }
        let head = phraseWords.dropLast()
        for start in 0...(words.count - phraseWords.count)
        where words[start..<(start + head.count)].elementsEqual(head) && Self.inflects(last, as: words[start + head.count]) {
            return true
        }
        return false
    }

    /// Whether the words `phrase` occur here as whole words, in order and next to each other.
    public func contains(words phrase: String) -> Bool {
        let phraseWords = Self.words(of: phrase)
        guard !phraseWords.isEmpty else { return false }
        return " \(words.joined(separator: " ")) ".contains(" \(phraseWords.joined(separator: " ")) ")
    }

    /// Whether any word carries meaning beyond greetings, politeness, fillers, yes/no, numbers
    /// and dates: "the 29th" or "next Friday" alone ask nothing.
    public var hasContentWords: Bool {
        words.contains { word in
            !Self.functionWords.contains(word) && !Self.dateWords.contains(word) && DatePhrases.weekdays[word] == nil
                && DatePhrases.months[word] == nil && SpokenNumber.value(in: [word], at: 0) == nil && CalendarDay(iso: word) == nil
        }
    }

    /// A yes or a no, when the caller gave one. A no wins over a yes ("yes… no, don't"); doubt
    /// ("I'm not sure") is neither; a weak yes ("ok", "sure") counts only when nothing else was
    /// asked ("ok, what's the fee?" is not a yes).
    public var agreement: Agreement? {
        let plain = Utterance(Self.harmlessNoPhrases.reduce(" \(words.joined(separator: " ")) ") {
            $0.replacingOccurrences(of: " \($1) ", with: " ")
        })
        if Self.doubtPhrases.contains(where: { plain.contains(words: $0) }) { return nil }
        if Self.noPhrases.contains(where: { plain.contains(words: $0) }) { return .no }
        if Self.yesPhrases.contains(where: { plain.contains(words: $0) }) { return .yes }
        if !plain.hasContentWords, Self.weakYesPhrases.contains(where: { plain.contains(words: $0) }) { return .yes }
        return nil
    }

    /// Whether `word` is `base` or `base` with a plural or tense ending.
    static func inflects(_ base: String, as word: String) -> Bool {
        if word == base { return true }
        guard word.hasPrefix(base) else {
            // "change" → "changing"
            return base.hasSuffix("e") && word == base.dropLast() + "ing"
        }
        return ["s", "es", "d", "ed", "ing"].contains(String(word.dropFirst(base.count)))
    }

    static func words(of text: String) -> [String] {
        var words: [String] = []
        var current = ""
        let characters = Array(text.lowercased())
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == "'" || character == "’" {
                continue
            } else if character == "-", let last = current.last, last.isNumber,
                      index + 1 < characters.count, characters[index + 1].isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static let noPhrases = ["no", "nope", "nah", "dont", "do not", "cancel that", "never mind", "nevermind", "not now",
                            "not yet", "stop", "keep it", "leave it"]
    static let yesPhrases = ["yes", "yeah", "yep", "yup", "please do", "go ahead", "confirm", "do it", "sounds good",
                             "absolutely", "of course", "thats right", "lets do it"]
    /// Yes only when said on its own.
    static let weakYesPhrases = ["sure", "ok", "okay", "correct", "right", "fine", "alright", "great", "perfect"]
    static let doubtPhrases = ["not sure", "dont know", "do not know", "maybe", "perhaps", "unsure", "let me think"]
    /// Words of date phrases besides weekday and month names and numbers.
    static let dateWords: Set<String> = ["today", "tonight", "tomorrow", "day", "days", "week", "weeks", "after", "next", "coming", "instead"]
    /// Phrases with "no" in them that decline nothing.
    static let harmlessNoPhrases = ["no problem", "no worries"]

    /// Words that carry no request by themselves.
    static let functionWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "about", "from", "by",
        "i", "im", "me", "my", "mine", "we", "us", "our", "you", "your", "it", "its", "this", "that", "these", "those",
        "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "have", "has", "had", "can", "could",
        "would", "will", "shall", "should", "may", "might", "must", "what", "whats", "please", "thanks", "thank",
        "hello", "hi", "hey", "hiya", "good", "morning", "afternoon", "evening", "there", "bye", "goodbye", "cheers",
        "yes", "yeah", "yep", "yup", "sure", "no", "nope", "nah", "ok", "okay", "um", "uh", "er", "erm", "hmm", "mm",
        "ah", "oh", "well", "just", "like", "right", "great", "fine", "cool", "alright", "dont", "not", "switchboard",
        "go", "ahead", "never", "mind", "nevermind", "correct", "absolutely", "course", "sounds", "lets", "perfect",
        "problem", "worries", "thats", "yet", "now",
    ]
}


/// A caller's answer to a yes-or-no question.
public enum Agreement: Sendable, Hashable {
    case yes
    case no
}

/// Spoken numbers: digits, "three", "twenty one", "27th", "twenty-seventh".
enum SpokenNumber {
    /// The number the words at `index` say, with how many words it took.
    static func value(in words: [String], at index: Int) -> (value: Int, length: Int, ordinal: Bool)? {
        guard index < words.count else { return nil }
        let word = words[index]
        if let number = digits(word) { return (number.value, 1, number.ordinal) }
        if let tens = tensWords[word] {
            if index + 1 < words.count {
                if let unit = unitWords[words[index + 1]], unit < 10, unit > 0 { return (tens + unit, 2, false) }
                if let unit = unitOrdinals[words[index + 1]], unit < 10 { return (tens + unit, 2, true) }
            }
            return (tens, 1, false)
        }
        if let ordinalTens = tensOrdinals[word] { return (ordinalTens, 1, true) }
        if let unit = unitWords[word] { return (unit, 1, false) }
        if let unit = unitOrdinals[word] { return (unit, 1, true) }
        return nil
    }

    /// "27", "27th", "1st", "22nd", "3rd".
    private static func digits(_ word: String) -> (value: Int, ordinal: Bool)? {
        let digits = word.prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 9, let value = Int(digits) else { return nil }
        let suffix = word.dropFirst(digits.count)
        if suffix.isEmpty { return (value, false) }
        return ["st", "nd", "rd", "th"].contains(String(suffix)) ? (value, true) : nil
    }

    static let unitWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
        "seventeen": 17, "eighteen": 18, "nineteen": 19,
    ]
    static let unitOrdinals: [String: Int] = [
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
        "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
        "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    ]
    static let tensWords: [String: Int] = ["twenty": 20, "thirty": 30]
    static let tensOrdinals: [String: Int] = ["twentieth": 20, "thirtieth": 30]
}
