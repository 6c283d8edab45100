/// Codes as callers say them: "A B two oh four", "X Y Z 4 3 1", "K one double-oh one",
/// "A B one nineteen", "ab204". Read back as the written code a tool parameter's `pattern`
/// matches ("AB204", "XYZ431", "K1001", "AB119").
public enum SpokenCodes {
    /// `text` as pieces a code can be joined from: letters and digits uppercased, punctuation
    /// dropped, digits said as words written as digits ("oh" is zero, "double four" is "44",
    /// "nineteen" is "19", "twenty one" is "21").
    public static func pieces(of text: String) -> [String] {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0 == "-" }).compactMap { piece -> String? in
            let kept = piece.filter { $0.isLetter || $0.isNumber }
            return kept.isEmpty ? nil : kept
        }
        var pieces: [String] = []
        var index = 0
        var paused = false
        while index < words.count {
            let word = words[index].lowercased()
            // Hesitations are no part of a code; a piece said again after one is a restart
            // ("A B three, uh, three one two").
            if fillers.contains(word) {
                paused = true
                index += 1
                continue
            }
            defer { paused = false }
            if paused, let last = pieces.last, let again = digit(word) ?? teens[word], again == last {
                index += 1
                continue
            }
            let next = index + 1 < words.count ? words[index + 1].lowercased() : nil
            if let times = repeats[word], let next, let digit = digit(next) {
                pieces.append(String(repeating: digit, count: times))
                index += 2
            } else if let tens = tens[word], let next, let unit = units[next], unit != "0" {
                pieces.append(tens + unit)
                index += 2
            } else if let number = tens[word].map({ $0 + "0" }) ?? teens[word] ?? digit(word) {
                pieces.append(number)
                index += 1
            } else {
                pieces.append(words[index].uppercased())
                index += 1
            }
        }
        return pieces
    }

    /// The first piece, or run of up to ten neighbouring pieces joined, that `pattern` (a
    /// regular expression) matches whole; single pieces are tried before joined ones. `nil` when
    /// none does, or the pattern is not a valid expression.
    ///
    /// When the caller corrects themselves ("AB204, no sorry, AB205"), the last code said wins.
    public static func token(matching pattern: String, in text: String) -> String? {
        guard let regex = try? Regex(pattern) else { return nil }
        let pieces = pieces(of: text)
        func matches(_ candidate: String) -> Bool {
            (try? regex.wholeMatch(in: candidate)) != nil
        }
        let repaired = corrects(text)
        let singles = pieces.filter(matches)
        if let single = repaired ? singles.last : singles.first { return single }
        var found: String? = nil
        for start in pieces.indices {
            var candidate = pieces[start]
            for end in (start + 1)..<min(pieces.count, start + 10) {
                candidate += pieces[end]
                if matches(candidate) {
                    if !repaired { return candidate }
                    found = candidate
                    break
                }
            }
        }
        return found
    }

    /// Whether `text` may hold a code: a digit, or a digit said as a word.
    public static func mayHoldCode(_ text: String) -> Bool {
        text.contains(where: \.isNumber) || TextTokenizer.words(text).contains { digit($0) != nil }
    }

    /// Whether `text` holds a self-correction: "no", "sorry", "I mean", "actually", "rather".
    static func corrects(_ text: String) -> Bool {
        let words = " " + TextTokenizer.words(text).joined(separator: " ") + " "
        return [" no ", " sorry ", " i mean ", " actually ", " rather ", " no wait ", " correction "].contains { words.contains($0) }
    }

    /// Sounds of hesitation, never part of a code.
    static let fillers: Set<String> = ["uh", "um", "er", "erm", "ah", "hmm", "mm", "uhm", "umm", "uhh"]

    private static func digit(_ word: String) -> String? {
        units[word] ?? (word == "oh" ? "0" : nil)
    }

    private static let units: [String: String] = [
        "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
        "eight": "8", "nine": "9",
    ]
    private static let teens: [String: String] = [
        "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
        "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
    ]
    private static let tens: [String: String] = [
        "twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7", "eighty": "8", "ninety": "9",
    ]
    private static let repeats: [String: Int] = ["double": 2, "triple": 3]
}
