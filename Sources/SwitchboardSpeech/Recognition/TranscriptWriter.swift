/// Writes the recognizer's words as text for the agent: spelled codes joined into their written
/// form ("s. b. two oh four" → "SB204", "b. k. q. four three one" → "BKQ431"), other spelled
/// letters as capitals ("j. f. k." → "JFK"), proper nouns and "I" capitalised as the domain
/// writes them, and the first letter a capital.
struct TranscriptWriter: Sendable {
    /// The code kinds, longest pattern first, so "H" and six digits wins over a shorter match.
    private let codes: [SpokenCode]
    private let casing: [String: String]

    init(corpus: SpeechCorpus) {
        codes = corpus.codes.values.sorted { ($0.pattern.count, $0.name) > ($1.pattern.count, $1.name) }
        casing = corpus.casing
    }

    /// The codes spelled in `words`, in their written form.
    func codes(in words: [String]) -> [String] {
        var found: [String] = []
        var index = 0
        while index < words.count {
            if let match = codes.lazy.compactMap({ $0.match(words, at: index) }).first {
                found.append(match.written)
                index += match.length
            } else {
                index += 1
            }
        }
        return found
    }

    /// `words` as text.
    func text(_ words: [String]) -> String {
        var written: [String] = []
        var index = 0
        var spelled = ""
        func flushSpelled() {
            if !spelled.isEmpty { written.append(spelled) }
            spelled = ""
        }
        while index < words.count {
            if let match = codes.lazy.compactMap({ $0.match(words, at: index) }).first {
                flushSpelled()
                written.append(match.written)
                index += match.length
                continue
            }
            let word = words[index]
            index += 1
            if let letter = SpokenWords.letter(of: word) {
                spelled.append(letter)
                continue
            }
            flushSpelled()
            written.append(casing[word] ?? word)
        }
        flushSpelled()
        var text = written.joined(separator: " ")
        if let first = text.first, first.isLowercase {
            text = first.uppercased() + text.dropFirst()
        }
        return text
    }
}
