/// Turns text into index terms: lowercase words split on anything that is not a letter or digit,
/// stopwords dropped, light English stemming so "bags", "checked" and "checking" meet "bag" and
/// "check". Used by both the knowledge base and the router, so a query and the text it should
/// find are always cut the same way.
public enum TextTokenizer {
    /// The lowercased words of `text`, split on every character that is not a letter or a digit.
    /// Nothing is dropped or stemmed.
    public static func words(_ text: String) -> [String] {
        text.lowercased()
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber })
            .map(String.init)
    }

    /// Whether `words` holds `run` contiguously; each word equals the run's or is its plural
    /// ("gates" matches "gate"). Matched on words, not stems, so "planned" never meets "plane".
    static func contains(_ words: [String], run: [String]) -> Bool {
        guard !run.isEmpty, words.count >= run.count else { return false }
        return (0...(words.count - run.count)).contains { start in
            zip(words[start..<(start + run.count)], run).allSatisfy { $0 == $1 || $0 == $1 + "s" }
        }
    }

    /// The index terms of `text`: its words without stopwords and single letters, stemmed.
    /// Hyphenated words also give their joined form ("check-in" → "checkin"), so "check-in" and
    /// "check-out" stay apart even though their parts are stopwords or shared.
    public static func terms(_ text: String) -> [String] {
        words(text).compactMap(term) + compounds(text)
    }

    /// The joined forms of hyphenated words: "check-in" → "checkin", "carry-on" → "carryon".
    static func compounds(_ text: String) -> [String] {
        text.lowercased()
            .split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" })
            .filter { $0.contains("-") }
            .map { $0.split(separator: "-").joined() }
            .filter { $0.count > 2 }
    }

    /// The index term for one lowercased word, or `nil` when the word carries no content
    /// (a stopword, a single letter).
    public static func term(_ word: String) -> String? {
        if stopwords.contains(word) { return nil }
        if word.count == 1, word.first?.isLetter == true { return nil }
        return stem(word)
    }

    /// A light suffix-stripping stemmer after Porter's: plurals, `-ing`, `-ed` and `-ation`, a
    /// doubled final consonant, and a final silent `e` ("change", "changed" and "changing" all
    /// become "chang", while "date", "dated" and "dates" stay "date" and "plane" never meets
    /// "planned"). Words with digits are left alone ("sb204", "2nd").
    public static func stem(_ word: String) -> String {
        guard word.count > 3, word.allSatisfy(\.isLetter) else { return word }
        var w = Array(word)
        // Plurals: "policies" → "policy", "classes" → "class", "bags" → "bag"; not "status", "this".
        if w.ends(with: "ies"), w.count > 4 {
            w = w.dropLast(3) + ["y"]
        } else if w.ends(with: "sses") {
            w.removeLast(2)
        } else if w.ends(with: "s"), !w.ends(with: "ss"), !w.ends(with: "us"), !w.ends(with: "is") {
            w.removeLast()
        }
        // Verb and noun endings, kept only when a stem with a vowel is left.
        for suffix in ["ation", "ing", "ed"] where w.ends(with: suffix) {
            let base = Array(w.dropLast(suffix.count))
            guard base.count >= 3, (0..<base.count).contains(where: { !isConsonant(base, $0) }) else { break }
            if let undoubled = undoubled(base) {
                w = undoubled
            } else if measure(base) == 1, endsConsonantVowelConsonant(base) {
                w = base + ["e"]  // "dated" → "date", "hoping" → "hope"
            } else {
                w = base
            }
            break
        }
        // A final silent e goes, except after a short consonant-vowel-consonant stem ("date", "plane").
        if w.count > 3, w.last == "e", w[w.count - 2] != "e" {
            let base = Array(w.dropLast())
            if measure(base) > 1 || (measure(base) == 1 && !endsConsonantVowelConsonant(base)) { w = base }
        }
        return String(w)
    }

    /// Words that say nothing about what a text is about.
    public static let stopwords: Set<String> = [
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
        "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "ever",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
        "herself", "him", "himself", "his", "how", "i", "if", "im", "in", "into", "is", "it", "its", "itself",
        "just", "let", "ll", "may", "me", "might", "more", "most", "must", "my", "myself",
        "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
        "ourselves", "out", "over", "own", "please", "re", "s", "same", "shall", "she", "should", "so", "some",
        "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
        "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "ve", "very",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
        "with", "would", "you", "your", "yours", "yourself", "yourselves",
    ]

    /// Whether `word[index]` is a consonant; "y" is one at the start or after a vowel.
    private static func isConsonant(_ word: [Character], _ index: Int) -> Bool {
        switch word[index] {
        case "a", "e", "i", "o", "u": return false
        case "y": return index == 0 || !isConsonant(word, index - 1)
        default: return true
        }
    }

    /// Porter's measure: how many vowel-consonant runs `word` has ("tree" 0, "trouble" 1, "private" 2).
    private static func measure(_ word: [Character]) -> Int {
        var count = 0
        var previousVowel = false
        for index in word.indices {
            let consonant = isConsonant(word, index)
            if consonant, previousVowel { count += 1 }
            previousVowel = !consonant
        }
        return count
    }

    /// Whether `word` ends consonant, vowel, consonant, the last not w, x or y ("hop", "dat").
    private static func endsConsonantVowelConsonant(_ word: [Character]) -> Bool {
        let n = word.count
        guard n >= 3, let last = word.last, !"wxy".contains(last) else { return false }
        return isConsonant(word, n - 1) && !isConsonant(word, n - 2) && isConsonant(word, n - 3)
    }

    /// "stopp" → "stop", "cancell" → "cancel"; `nil` when the word does not end in a doubled
    /// consonant that should go (a double s or z stays, and so does the ll of a short word: "call").
    private static func undoubled(_ word: [Character]) -> [Character]? {
        let n = word.count
        guard n >= 4, let last = word.last, word[n - 2] == last, isConsonant(word, n - 1), !"sz".contains(last) else { return nil }
        if last == "l", n <= 4 { return nil }
        return Array(word.dropLast())
    }
}

private extension Array where Element == Character {
    func ends(with suffix: String) -> Bool {
        self.suffix(suffix.count).elementsEqual(suffix)
    }
}
