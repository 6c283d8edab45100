import Foundation

/// The syntax of answer templates: `{{field}}`, `{{a.b}}`, `{{list.0.field}}` (an element by
/// position), `{{field | date}}` and list sections `{{#list}}…{{/list}}`. Checked when personas
/// load, so a broken template is a `file:line` problem at start-up and never a garbled answer in
/// a call. (The embedded model renders them; this only checks them.)
public enum TemplateSyntax {
    /// The filters a value may pass through: `date` speaks an ISO date ("Friday, November 27").
    public static let filters: Set<String> = ["date"]

    /// The names a template reads, in order: plain fields and section names (`bookings`,
    /// `order_code`, `a.b`), without filters.
    public static func fieldNames(in template: String) -> [String] {
        (try? tags(in: template).map(\.name)) ?? []
    }

    /// What is wrong with `template`, or `nil` when it is well formed: every `{{` closed by
    /// `}}`, every tag a field path with at most one known filter, every section closed in order.
    public static func problem(in template: String) -> String? {
        do {
            var open: [String] = []
            for tag in try tags(in: template) {
                switch tag.kind {
                case .field:
                    break
                case .sectionStart:
                    open.append(tag.name)
                case .sectionEnd:
                    guard let last = open.popLast() else { return "'{{/\(tag.name)}}' closes a section that was never opened" }
                    guard last == tag.name else { return "'{{/\(tag.name)}}' closes the section '{{#\(last)}}'" }
                }
            }
            if let unclosed = open.last { return "unclosed section '{{#\(unclosed)}}'" }
            return nil
        } catch {
            return error.message
        }
    }

    enum Kind { case field, sectionStart, sectionEnd }

    struct Tag {
        var kind: Kind
        var name: String
    }

    struct SyntaxError: Error {
        var message: String
    }

    static func tags(in template: String) throws(SyntaxError) -> [Tag] {
        var tags: [Tag] = []
        var rest = Substring(template)
        while true {
            let open = rest.range(of: "{{")
            let close = rest.range(of: "}}")
            guard let open else {
                if close != nil { throw SyntaxError(message: "'}}' without an opening '{{'") }
                return tags
            }
            if let close, close.lowerBound < open.lowerBound { throw SyntaxError(message: "'}}' without an opening '{{'") }
            let afterOpen = rest[open.upperBound...]
            guard let end = afterOpen.range(of: "}}") else { throw SyntaxError(message: "'{{' is never closed with '}}'") }
            let body = afterOpen[..<end.lowerBound]
            if body.contains("{{") { throw SyntaxError(message: "'{{' is never closed with '}}'") }
            tags.append(try tag(String(body)))
            rest = afterOpen[end.upperBound...]
        }
    }

    private static func tag(_ body: String) throws(SyntaxError) -> Tag {
        let text = body.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("#") || text.hasPrefix("/") {
            let name = String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
            guard isPath(name) else { throw SyntaxError(message: "'{{\(text)}}' must name a list field") }
            return Tag(kind: text.hasPrefix("#") ? .sectionStart : .sectionEnd, name: name)
        }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let name = parts.first, isPath(name) else { throw SyntaxError(message: "'{{\(body)}}' must name a field") }
        guard parts.count <= 2 else { throw SyntaxError(message: "'{{\(body)}}' has more than one filter") }
        if parts.count == 2, !filters.contains(parts[1]) {
            throw SyntaxError(message: "unknown filter '\(parts[1])' in '{{\(body)}}' (known: \(filters.sorted().joined(separator: ", ")))")
        }
        return Tag(kind: .field, name: name)
    }

    /// `field`, `a.b`, `results.0.title`: a field name, then names or list positions.
    private static func isPath(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, isIdentifier(first) else { return false }
        return parts.dropFirst().allSatisfy { isIdentifier($0) || (!$0.isEmpty && $0.allSatisfy(\.isNumber)) }
    }

    private static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }
}
