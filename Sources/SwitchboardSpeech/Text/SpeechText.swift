import Foundation

/// One element of an utterance as the recognizer hears it: a word, or a slot that stands for any
/// phrase of a word class or any code of a kind.
enum SpeechPiece: Hashable, Sendable {
    case word(String)
    case slot(String)
}

/// Turns written text into the words a speaker says: lowercase, punctuation dropped, hyphenated
/// words split ("carry-on" → "carry on"), numbers, prices and times in words, codes of a known
/// kind as their slot (or spelled, with ``spelledCodes``), other codes and acronyms spelled.
struct SpeechText {
    /// The code kinds recognised in text.
    var codes: [SpokenCode]
    /// Whether codes of a known kind are spelled out instead of becoming slots.
    var spelledCodes = false

    /// `text` as words and slots. `{name}` is a slot.
    func pieces(_ text: String) -> [SpeechPiece] {
        var pieces: [SpeechPiece] = []
        for raw in text.split(whereSeparator: { $0.isWhitespace }) {
            pieces += self.pieces(ofToken: String(raw))
        }
        return pieces
    }

    /// `text` as words only; slots are not expected and are dropped.
    func words(_ text: String) -> [String] {
        pieces(text).compactMap { piece in
            if case .word(let word) = piece { return word }
            return nil
        }
    }

    private static let edgePunctuation: Set<Character> = [
        ".", ",", "?", "!", ";", ":", "\"", "(", ")", "[", "]", "“", "”", "‘", "’", "'", "…", "–", "—", "-", "*",
    ]

    private func pieces(ofToken raw: String) -> [SpeechPiece] {
        if let open = raw.firstIndex(of: "{"), let close = raw[open...].firstIndex(of: "}") {
            let name = String(raw[raw.index(after: open)..<close])
            return pieces(ofToken: String(raw[..<open])) + [.slot(name)] + pieces(ofToken: String(raw[raw.index(after: close)...]))
        }
        var token = Substring(raw)
        while let first = token.first, Self.edgePunctuation.contains(first) { token = token.dropFirst() }
        while let last = token.last, Self.edgePunctuation.contains(last) { token = token.dropLast() }
        guard !token.isEmpty else { return [] }
        let word = String(token).replacingOccurrences(of: "’", with: "'")

        if word.contains("-") || word.contains("/") {
            return word.split(whereSeparator: { $0 == "-" || $0 == "/" }).flatMap { pieces(ofToken: String($0)) }
        }
        if word == "&" { return [.word("and")] }
        if word.hasPrefix("$") {
            return money(String(word.dropFirst())).map(SpeechPiece.word)
        }
        if let code = codes.first(where: { $0.matches(written: word) }) {
            return spelledCodes ? SpokenCode.spoken(word).map(SpeechPiece.word) : [.slot(code.name)]
        }
        if let words = number(word) { return words.map(SpeechPiece.word) }
        if word == "I" || word == "OK" { return [.word(word == "I" ? "i" : "okay")] }
        let letters = word.filter { $0.isLetter }
        let digits = word.filter { $0.isNumber }
        let isAcronym = letters.count >= 2 && letters.allSatisfy { $0.isUppercase } && !word.contains("'")
        if (!digits.isEmpty && !letters.isEmpty) || isAcronym {
            return SpokenCode.spoken(word, zero: "zero").map(SpeechPiece.word)
        }
        let kept = word.filter { $0.isLetter || $0.isNumber || $0 == "'" }
        return kept.isEmpty ? [] : [.word(kept.lowercased())]
    }

    /// "27" → "twenty seven", "27th" → "twenty seventh", "2026" → "twenty twenty six",
    /// "8:15" → "eight fifteen", "3pm" → "three p. m."; nil when `word` is not a number.
    private func number(_ word: String) -> [String]? {
        if let colon = word.firstIndex(of: ":"), let hour = Int(word[..<colon]), let minute = Int(word[word.index(after: colon)...]),
           (0...23).contains(hour), (0...59).contains(minute) {
            return SpokenWords.time(hour: hour, minute: minute)
        }
        let lower = word.lowercased()
        for suffix in ["st", "nd", "rd", "th"] where lower.hasSuffix(suffix) {
            if let value = Int(lower.dropLast(2)), value > 0, value < 100 { return SpokenWords.ordinal(value) }
        }
        for suffix in ["am", "pm"] where lower.hasSuffix(suffix) {
            if let value = Int(lower.dropLast(2)), (1...12).contains(value) {
                return SpokenWords.cardinal(value) + SpokenCode.spoken(String(suffix))
            }
        }
        let plain = word.replacingOccurrences(of: ",", with: "")
        if let value = Int(plain), value >= 0 {
            if plain.count == 4, (1900...2099).contains(value) { return SpokenWords.year(value) }
            if value < 1_000_000 { return SpokenWords.cardinal(value) }
            return plain.compactMap { $0.wholeNumberValue.map { SpokenWords.digitNames[$0] } }
        }
        if plain.contains("."), let value = Double(plain), value >= 0, value < 1_000_000 {
            let parts = plain.split(separator: ".", maxSplits: 1)
            let whole = SpokenWords.cardinal(Int(parts[0]) ?? 0)
            let fraction = parts.count > 1 ? parts[1].compactMap { $0.wholeNumberValue.map { SpokenWords.digitNames[$0] } } : []
            return whole + ["point"] + fraction
        }
        return nil
    }

    /// "75" → "seventy five dollars", "75.50" → "seventy five dollars fifty".
    private func money(_ amount: String) -> [String] {
        let parts = amount.replacingOccurrences(of: ",", with: "").split(separator: ".", maxSplits: 1)
        guard let dollars = parts.first.flatMap({ Int($0) }), dollars < 1_000_000 else { return [] }
        var words = SpokenWords.cardinal(dollars) + [dollars == 1 ? "dollar" : "dollars"]
        if parts.count > 1, let cents = Int(parts[1]), cents > 0, cents < 100 {
            words += SpokenWords.cardinal(cents)
        }
        return words
    }
}
