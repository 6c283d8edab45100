/// Text prepared for the synthesizers: codes spelled out, sentences split for streaming.
public enum SpokenText {
    /// `text` with every code (uppercase letters and digits mixed, "SB204", "BKQ431", "H204518",
    /// "14C") spelled out character by character, "S B 2 0 4", which every engine reads as letter
    /// and digit names in its own language.
    public static func spellingCodes(in text: String) -> String {
        var result = ""
        var token = ""
        func flush() {
            result += spelled(token) ?? token
            token = ""
        }
        for character in text {
            if character.isWhitespace {
                flush()
                result.append(character)
            } else {
                token.append(character)
            }
        }
        flush()
        return result
    }

    /// `token` spelled, or nil when it is not a code. Punctuation around it is kept.
    private static func spelled(_ token: String) -> String? {
        let leading = token.prefix { !($0.isLetter || $0.isNumber) }
        let rest = token.dropFirst(leading.count)
        let core = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let trailing = rest.dropFirst(core.count)
        guard core.count >= 3, trailing.allSatisfy({ !($0.isLetter || $0.isNumber) }),
              core.contains(where: \.isLetter), core.contains(where: \.isNumber),
              core.allSatisfy({ $0.isNumber || $0.isUppercase }) else { return nil }
        return leading + core.map(String.init).joined(separator: " ") + trailing
    }

    /// `text` cut into sentences (after `.`, `!`, `?`, `;` or a line break followed by a space),
    /// a sentence longer than `maximumLength` characters cut again after commas. Abbreviations
    /// such as "Mr." and decimals do not end a sentence.
    public static func sentences(in text: String, maximumLength: Int = 160) -> [String] {
        var sentences: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            let atBoundary = next == nil || next!.isWhitespace
            let ends: Bool
            switch character {
            case "\n": ends = true
            case "!", "?", ";": ends = atBoundary
            case ".": ends = atBoundary && !endsWithAbbreviation(current)
            default: ends = false
            }
            if ends {
                append(current, to: &sentences, maximumLength: maximumLength)
                current = ""
            }
        }
        append(current, to: &sentences, maximumLength: maximumLength)
        return sentences
    }

    private static let abbreviations: Set<String> = ["mr.", "mrs.", "ms.", "dr.", "st.", "e.g.", "i.e.", "etc.", "vs.", "no."]

    private static func endsWithAbbreviation(_ text: String) -> Bool {
        let last = text.split(whereSeparator: \.isWhitespace).last.map { $0.lowercased() } ?? ""
        return abbreviations.contains(last)
    }

    private static func append(_ sentence: String, to sentences: inout [String], maximumLength: Int) {
        let trimmed = sentence.trimmingSpaces
        guard !trimmed.isEmpty else { return }
        guard trimmed.count > maximumLength else {
            sentences.append(trimmed)
            return
        }
        // Cut after the commas that keep pieces at most `maximumLength` long where possible.
        var piece = ""
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let candidate = piece.isEmpty ? String(part) : piece + "," + part
            if !piece.isEmpty && candidate.count > maximumLength {
                sentences.append((piece + ",").trimmingSpaces)
                piece = String(part)
            } else {
                piece = candidate
            }
        }
        if !piece.trimmingSpaces.isEmpty { sentences.append(piece.trimmingSpaces) }
    }
}

private extension String {
    var trimmingSpaces: String {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }
}
