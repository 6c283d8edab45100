/// Several requests in one utterance, in the order said: "Is AB204 on time, and can you also
/// tell me when you open?" is two.
///
/// An utterance is cut at sentence ends (`.`, `?`, `!`, `;`) and before words that start
/// another request: "and also", "and then", "also", "plus", and "and" followed by a question
/// word or a request verb ("and can you", "and what", "and cancel"). A piece with no content
/// word of its own ("Hi.", "and then") joins the next one, so small talk or a lone connector is
/// never a request.
public enum Clauses {
    /// The requests in `text`, in order; one (the whole text, trimmed) when it holds no cut.
    public static func split(_ text: String) -> [String] {
        var clauses: [String] = []
        for sentence in text.split(whereSeparator: { ".?!;".contains($0) }) {
            let words = sentence.split(whereSeparator: \.isWhitespace).map(String.init)
            var current: [String] = []
            for (index, word) in words.enumerated() {
                let plain = normalized(word)
                let next = index + 1 < words.count ? normalized(words[index + 1]) : ""
                let cuts = (plain == "and" && starters.contains(next)) || (index > 0 && (plain == "also" || plain == "plus") && !current.isEmpty
                    && normalized(current.last ?? "") != "and")
                if cuts, !current.isEmpty {
                    clauses.append(current.joined(separator: " "))
                    current = []
                }
                current.append(word)
            }
            if !current.isEmpty { clauses.append(current.joined(separator: " ")) }
        }
        // Pieces with nothing of their own join the next (or, at the end, the previous) one.
        var merged: [String] = []
        var carried = ""
        for clause in clauses {
            let joined = carried.isEmpty ? clause : carried + " " + clause
            if hasContent(clause) {
                merged.append(trimmed(joined))
                carried = ""
            } else {
                carried = joined
            }
        }
        if !carried.isEmpty {
            if let last = merged.popLast() { merged.append(trimmed(last + " " + carried)) } else { merged.append(trimmed(carried)) }
        }
        return merged.isEmpty ? [trimmed(text)] : merged
    }

    /// Words after "and" that start another request.
    static let starters: Set<String> = [
        "also", "then", "can", "could", "would", "will", "what", "whats", "is", "are", "does", "do", "did", "how", "when",
        "where", "which", "who", "tell", "let", "please", "book", "cancel", "check", "move", "change", "add", "list",
        "show", "find", "make", "give", "send", "push", "shift", "extend", "whether",
    ]

    private static func normalized(_ word: String) -> String {
        word.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let first = text.first, first.isWhitespace || first == "," { text.removeFirst() }
        while let last = text.last, last.isWhitespace || last == "," { text.removeLast() }
        return String(text)
    }

    /// Whether `clause` has a word that is not a connector, a courtesy or a filler.
    private static func hasContent(_ clause: String) -> Bool {
        TextTokenizer.words(clause).contains { !filler.contains($0) && TextTokenizer.term($0) != nil }
    }

    private static let filler: Set<String> = [
        "and", "also", "then", "plus", "hi", "hello", "hey", "ok", "okay", "um", "uh", "erm", "oh", "well", "so", "thanks",
        "thank", "please", "yes", "yeah", "no", "right", "great", "good", "morning", "afternoon", "evening", "sorry",
        "actually", "just", "like",
    ]
}
