import Foundation

/// One searchable piece of a knowledge document: a section under a heading, or part of a long one.
public struct KnowledgeChunk: Sendable, Hashable {
    /// The document it came from, relative to the knowledge directory (`clinic/hours.md`).
    public var source: String
    /// The document's own title (its first `#` heading), or its file name.
    public var documentTitle: String
    /// The section heading.
    public var title: String
    /// The section's text as plain sentences, markdown markers removed: what an agent can say.
    public var text: String

    public init(source: String, documentTitle: String, title: String, text: String) {
        self.source = source
        self.documentTitle = documentTitle
        self.title = title
        self.text = text
    }
}

/// Cuts a markdown document into chunks by heading; a section longer than `maximumWords` is
/// split between paragraphs.
public struct MarkdownChunker: Sendable {
    /// The longest chunk, in words, before a section is split (a single longer paragraph stays whole).
    public var maximumWords: Int

    public init(maximumWords: Int = 120) {
        self.maximumWords = maximumWords
    }

    /// The chunks of `text`, read from `source`.
    public func chunks(of text: String, source: String) -> [KnowledgeChunk] {
        var documentTitle: String?
        var sections: [(title: String, lines: [String])] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let (level, heading) = Self.heading(line) {
                if level == 1, documentTitle == nil { documentTitle = heading }
                sections.append((heading, []))
            } else if sections.isEmpty {
                sections.append((Self.fileTitle(source), [line]))
            } else {
                sections[sections.count - 1].lines.append(line)
            }
        }
        let docTitle = documentTitle ?? Self.fileTitle(source)
        var chunks: [KnowledgeChunk] = []
        for section in sections {
            for text in split(Self.paragraphs(section.lines)) {
                chunks.append(KnowledgeChunk(source: source, documentTitle: docTitle, title: section.title, text: text))
            }
        }
        return chunks
    }

    /// Groups paragraphs into pieces of at most `maximumWords` words.
    private func split(_ paragraphs: [String]) -> [String] {
        var pieces: [String] = []
        var current: [String] = []
        var words = 0
        for paragraph in paragraphs {
            let count = paragraph.split(separator: " ").count
            if !current.isEmpty, words + count > maximumWords {
                pieces.append(current.joined(separator: " "))
                current = []
                words = 0
            }
            current.append(paragraph)
            words += count
        }
        if !current.isEmpty { pieces.append(current.joined(separator: " ")) }
        return pieces
    }

    /// `## Checked bags` → (2, "Checked bags").
    static func heading(_ line: String) -> (Int, String)? {
        let level = line.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(level) else { return nil }
        let rest = line.dropFirst(level)
        guard rest.first == " " else { return nil }
        let title = rest.trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : (level, title)
    }

    /// Paragraphs as plain text: blank lines separate paragraphs, each list item is its own
    /// paragraph, emphasis and code markers are dropped.
    static func paragraphs(_ lines: [String]) -> [String] {
        var paragraphs: [String] = []
        var current: [String] = []
        func flush() {
            if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
            current = []
        }
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { flush(); continue }
            if let item = listItem(line) {
                flush()
                current = [plain(item)]
            } else {
                current.append(plain(line))
            }
        }
        flush()
        return paragraphs
    }

    /// The text of a list item (`- text`, `* text`, `1. text`), or `nil`.
    private static func listItem(_ line: String) -> String? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") || line.hasPrefix("+ ") { return String(line.dropFirst(2)) }
        let digits = line.prefix(while: \.isNumber)
        if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
            return String(line.dropFirst(digits.count + 2))
        }
        return nil
    }

    private static func plain(_ text: String) -> String {
        text.replacingOccurrences(of: "**", with: "")
            .replacingOccurrences(of: "__", with: "")
            .replacingOccurrences(of: "`", with: "")
            .trimmingCharacters(in: .whitespaces)
    }

    /// `clinic/parking.md` → "parking".
    private static func fileTitle(_ source: String) -> String {
        let name = source.split(separator: "/").last.map(String.init) ?? source
        return name.hasSuffix(".md") ? String(name.dropLast(3)) : name
    }
}
