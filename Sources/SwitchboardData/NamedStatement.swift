import Foundation

/// One SQL statement with named parameters (`:order_code`), as a pack declares it. Parsed
/// once: the parameter names and where they are, skipping string literals ('…', "…"),
/// dollar-quoted bodies ($$…$$), comments (-- and /* */) and PostgreSQL casts (`::date`).
/// Each engine renders it with its own placeholders; values are always bound, never spliced.
public struct NamedStatement: Sendable, Hashable, CustomStringConvertible {
    /// The statement as written.
    public let text: String
    /// The distinct parameter names, in order of first use.
    public let parameters: [String]
    /// Where each use is: the UTF-8 offsets of `:name` in `text`, and the index of the name in
    /// `parameters`.
    private let uses: [Use]

    private struct Use: Sendable, Hashable {
        var start: Int
        var end: Int
        var parameter: Int
    }

    /// Parses `text`. Throws `DataError.corrupt` for an unterminated literal or comment.
    public init(_ text: String) throws(DataError) {
        self.text = text
        let bytes = Array(text.utf8)
        var parameters: [String] = []
        var uses: [Use] = []
        var index = 0
        func isNameStart(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "_") || (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
        func isNameByte(_ byte: UInt8) -> Bool { isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                index += 1
                while true {
                    guard index < bytes.count else { throw DataError.corrupt("an unterminated quoted text in: \(text)") }
                    if bytes[index] == byte {
                        if index + 1 < bytes.count, bytes[index + 1] == byte { index += 2; continue }
                        index += 1
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while true {
                    guard index + 1 < bytes.count else { throw DataError.corrupt("an unterminated comment in: \(text)") }
                    if bytes[index] == UInt8(ascii: "*"), bytes[index + 1] == UInt8(ascii: "/") { index += 2; break }
                    index += 1
                }
            case UInt8(ascii: "$") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "$"):
                index += 2
                while true {
                    guard index + 1 < bytes.count else { throw DataError.corrupt("an unterminated $$ body in: \(text)") }
                    if bytes[index] == UInt8(ascii: "$"), bytes[index + 1] == UInt8(ascii: "$") { index += 2; break }
                    index += 1
                }
            case UInt8(ascii: ":"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ":") {
                    index += 2  // a cast
                    continue
                }
                let start = index
                index += 1
                guard index < bytes.count, isNameStart(bytes[index]) else { continue }
                while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                let name = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
                let position: Int
                if let existing = parameters.firstIndex(of: name) {
                    position = existing
                } else {
                    position = parameters.count
                    parameters.append(name)
                }
                uses.append(Use(start: start, end: index, parameter: position))
            default:
                index += 1
            }
        }
        self.parameters = parameters
        self.uses = uses
    }

    /// The text with each use of a parameter replaced by `placeholder(i)`, `i` being the
    /// parameter's 1-based position in `parameters` (`$1`, `?1`).
    public func rendered(placeholder: (Int) -> String) -> String {
        var bytes = Array(text.utf8)
        for use in uses.reversed() {
            bytes.replaceSubrange(use.start..<use.end, with: Array(placeholder(use.parameter + 1).utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The values for `parameters`, in order; a missing name is `NULL`.
    public func bindings(_ values: [String: SQLValue]) -> [SQLValue] {
        parameters.map { values[$0] ?? .null }
    }

    /// The first keyword, lowercased: `select`, `with`, `insert`, `update`, `delete`, …
    public var keyword: String { words.first?.word ?? "" }

    /// Whether the statement changes data: it starts with `insert`, `update`, `delete`,
    /// `replace` or `merge`, or is a `with` whose main statement is one of those.
    public var isWrite: Bool {
        let writes: Set<String> = ["insert", "update", "delete", "replace", "upsert", "merge"]
        let words = self.words
        guard let first = words.first?.word else { return false }
        if writes.contains(first) { return true }
        guard first == "with" else { return false }
        // The statement a WITH leads to: the first of these words outside the CTEs' parentheses.
        let main = words.dropFirst().first { $0.depth == 0 && (writes.contains($0.word) || $0.word == "select" || $0.word == "values") }
        return main.map { writes.contains($0.word) } ?? false
    }

    /// The statement's words outside literals, quoted names and comments, lowercased, with
    /// their depth in parentheses.
    private var words: [(word: String, depth: Int)] {
        var words: [(word: String, depth: Int)] = []
        var current = ""
        var depth = 0
        var characters = Array(text)[...]
        func flush() {
            if !current.isEmpty { words.append((current.lowercased(), depth)) }
            current = ""
        }
        while let character = characters.first {
            if character == "'" || character == "\"" {
                flush()
                characters = characters.dropFirst()
                while let next = characters.first, next != character { characters = characters.dropFirst() }
                characters = characters.dropFirst()
            } else if character == "-", characters.dropFirst().first == "-" {
                flush()
                while let next = characters.first, next != "\n" { characters = characters.dropFirst() }
            } else if character == "/", characters.dropFirst().first == "*" {
                flush()
                characters = characters.dropFirst(2)
                while !characters.isEmpty, !(characters.first == "*" && characters.dropFirst().first == "/") { characters = characters.dropFirst() }
                characters = characters.dropFirst(2)
            } else if character.isLetter || character == "_" || (!current.isEmpty && character.isNumber) {
                current.append(character)
                characters = characters.dropFirst()
            } else {
                flush()
                if character == "(" { depth += 1 }
                if character == ")" { depth = max(0, depth - 1) }
                characters = characters.dropFirst()
            }
        }
        flush()
        return words
    }

    public var description: String { text }
}

/// A schema or seed file: statements separated by `;` (outside literals, comments and $$
/// bodies). Lines starting with `-- postgres:` hold text only PostgreSQL runs, lines starting
/// with `-- sqlite:` text only SQLite runs; a statement whose first line is `-- sqlite only` or
/// `-- postgres only` runs on that engine alone.
public enum SQLScript {
    /// The statements of `script` for `engine` (`sqlite` or `postgres`), each with the 1-based
    /// line where it starts.
    public static func statements(_ script: String, engine: String) throws(DataError) -> [(line: Int, text: String)] {
        // Engine-specific lines become plain text for their engine, and vanish for the other.
        // (CRLF is one Character in Swift: a file saved with it would be one long line.)
        let script = script.replacingOccurrences(of: "\r\n", with: "\n")
        var lines: [String] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            var kept = String(line)
            for other in ["postgres", "sqlite"] where trimmed.hasPrefix("-- \(other):") {
                kept = other == engine ? String(trimmed.dropFirst("-- \(other):".count)) : ""
            }
            lines.append(kept)
        }
        let text = lines.joined(separator: "\n")
        let bytes = Array(text.utf8)
        var result: [(line: Int, text: String)] = []
        var start = 0
        var index = 0
        var line = 1
        var startLine = 1
        // Whether the statement so far holds anything but blanks and comments.
        var hasCode = false
        func flush(upTo end: Int) {
            let statement = String(decoding: bytes[start..<end], as: UTF8.self)
            if hasCode {
                let firstLine = statement.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                let only = ["sqlite", "postgres"].first { firstLine == "-- \($0) only" }
                if only == nil || only == engine {
                    // The line of the statement's first line of code (not blank, not a comment).
                    var skipped = 0
                    for piece in statement.split(separator: "\n", omittingEmptySubsequences: false) {
                        let trimmed = piece.trimmingCharacters(in: .whitespaces)
                        if !trimmed.isEmpty && !trimmed.hasPrefix("--") { break }
                        skipped += 1
                    }
                    result.append((startLine + skipped, statement.trimmingCharacters(in: .whitespacesAndNewlines)))
                }
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                hasCode = true
                index += 1
                while index < bytes.count, bytes[index] != byte {
                    if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                guard index < bytes.count else { throw DataError.corrupt("line \(startLine): an unterminated quoted text") }
                index += 1
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) {
                    if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                guard index + 1 < bytes.count else { throw DataError.corrupt("line \(startLine): an unterminated comment") }
                index += 2
            case UInt8(ascii: "$") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "$"):
                hasCode = true
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "$") && bytes[index + 1] == UInt8(ascii: "$")) {
                    if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                guard index + 1 < bytes.count else { throw DataError.corrupt("line \(startLine): an unterminated $$ body") }
                index += 2
            case UInt8(ascii: ";"):
                flush(upTo: index)
                index += 1
                start = index
                startLine = line
                hasCode = false
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            default:
                hasCode = true
                index += 1
            }
        }
        flush(upTo: bytes.count)
        return result
    }
}
