import Foundation

/// The pronunciations of a vocabulary, taken from the CMU pronouncing dictionary and written in
/// PocketSphinx's dictionary format (`word PH PH …`, variants as `word(2) …`).
///
/// Spelled-letter tokens (`b.`) get the letters' names. A word the CMU dictionary lacks is said
/// letter by letter (a possessive `'s` as its word plus Z), with a warning: such a word is
/// probably misspelled in the domain.
struct PronunciationDictionary: Sendable {
    /// Each word with its pronunciations, in vocabulary order.
    let entries: [(word: String, pronunciations: [String])]
    /// Words that were not in the CMU dictionary.
    let warnings: [String]

    /// The pronunciations of `vocabulary` from the CMU dictionary at `path`.
    init(vocabulary: [String], cmudict path: String) throws(SpeechError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .missingModel("cannot read the pronunciation dictionary \(path)")
        }
        let wanted = Set(vocabulary)
        var found: [String: [String]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let space = line.firstIndex(of: " ") else { continue }
            var head = line[..<space]
            if head.last == ")", let open = head.lastIndex(of: "(") { head = head[..<open] }
            let word = String(head)
            guard wanted.contains(word) else { continue }
            var phones = String(line[line.index(after: space)...])
            if let comment = phones.firstIndex(of: "#") { phones = String(phones[..<comment]) }
            phones = phones.split(separator: " ").joined(separator: " ")
            if !phones.isEmpty { found[word, default: []].append(phones) }
        }
        var entries: [(word: String, pronunciations: [String])] = []
        var warnings: [String] = []
        for word in vocabulary {
            if let letter = SpokenWords.letter(of: word) {
                entries.append((word, [SpokenWords.letterPhones[Character(letter.lowercased())]!]))
            } else if let pronunciations = found[word] {
                entries.append((word, pronunciations))
            } else if word.hasSuffix("'s"), let base = found[String(word.dropLast(2))] {
                entries.append((word, base.map { $0 + " Z" }))
            } else {
                let letters = word.filter { $0.isASCII && $0.isLetter }.lowercased()
                guard !letters.isEmpty else {
                    warnings.append("'\(word)' is not in the pronunciation dictionary and has no letters; left out")
                    continue
                }
                let spelled = letters.compactMap { SpokenWords.letterPhones[$0] }.joined(separator: " ")
                entries.append((word, [spelled]))
                warnings.append("'\(word)' is not in the pronunciation dictionary; it is said letter by letter")
            }
        }
        self.entries = entries
        self.warnings = warnings
    }

    /// The words that have a pronunciation.
    var words: Set<String> {
        Set(entries.map(\.word))
    }

    /// The dictionary in PocketSphinx's format.
    var text: String {
        var lines: [String] = []
        for (word, pronunciations) in entries {
            for (index, phones) in pronunciations.enumerated() {
                lines.append(index == 0 ? "\(word) \(phones)" : "\(word)(\(index + 1)) \(phones)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
