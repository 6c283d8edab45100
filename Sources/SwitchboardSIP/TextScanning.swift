// Small text helpers shared by the SIP and SDP parsers (no Foundation).

extension Character {
    /// SIP linear white space within a line: space or horizontal tab.
    var isSIPSpace: Bool { self == " " || self == "\t" }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmedSIP: Substring {
        var slice = self[...]
        while let first = slice.first, first.isSIPSpace { slice = slice.dropFirst() }
        while let last = slice.last, last.isSIPSpace { slice = slice.dropLast() }
        return Substring(slice)
    }

    /// Case-insensitive equality for ASCII tokens such as header names and methods.
    func equalsIgnoringCase(_ other: some StringProtocol) -> Bool {
        lowercased() == other.lowercased()
    }
}

/// Splits `text` at every `separator` that is outside double quotes and angle brackets.
func splitOutsideQuotes(_ text: Substring, separator: Character) -> [Substring] {
    var parts: [Substring] = []
    var inQuotes = false
    var angleDepth = 0
    var escaped = false
    var start = text.startIndex
    var index = text.startIndex
    while index < text.endIndex {
        let character = text[index]
        if escaped {
            escaped = false
        } else if inQuotes {
            if character == "\\" { escaped = true } else if character == "\"" { inQuotes = false }
        } else if character == "\"" {
            inQuotes = true
        } else if character == "<" {
            angleDepth += 1
        } else if character == ">" {
            angleDepth = max(0, angleDepth - 1)
        } else if character == separator && angleDepth == 0 {
            parts.append(text[start..<index])
            start = text.index(after: index)
        }
        index = text.index(after: index)
    }
    parts.append(text[start..<text.endIndex])
    return parts
}

/// Removes surrounding double quotes and backslash escapes from a quoted string.
func unquoted(_ text: Substring) -> String {
    guard text.count >= 2, text.first == "\"", text.last == "\"" else { return String(text) }
    var result = ""
    var escaped = false
    for character in text.dropFirst().dropLast() {
        if escaped {
            result.append(character)
            escaped = false
        } else if character == "\\" {
            escaped = true
        } else {
            result.append(character)
        }
    }
    return result
}

/// Decodes `%XX` escapes; invalid escapes are kept as written.
func percentDecoded(_ text: some StringProtocol) -> String {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    let utf8 = Array(text.utf8)
    var index = 0
    while index < utf8.count {
        if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
           let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2]) {
            bytes.append(high << 4 | low)
            index += 3
        } else {
            bytes.append(utf8[index])
            index += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// Random tokens for tags, branches and Call-IDs.
enum RandomToken {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// A random alphanumeric token of `length` characters.
    static func make(length: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A fresh RFC 3261 branch parameter (magic cookie plus random text).
    static func branch() -> String { "z9hG4bK" + make(length: 20) }
}
