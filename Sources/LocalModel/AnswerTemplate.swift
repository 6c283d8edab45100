import Foundation
import RealtimeProtocol

/// An answer template from a persona, filled only from a tool's output.
///
/// - `{{field}}`, `{{a.b}}` and `{{list.0.field}}` insert a value (a list of plain values is
///   spoken as a list);
/// - `{{field | date}}` speaks an ISO date: "2026-11-27" → "Friday, November 27";
/// - `{{#list}}…{{/list}}` repeats its body for each element of `list` (the element's fields
///   come first, then the output's), joined with ", " and " and " before the last.
///
/// A template that needs a field the output lacks renders as `nil`: the caller says its
/// fallback instead of inventing a fact.
public struct AnswerTemplate: Sendable, Hashable {
    /// Why a template cannot be read.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    indirect enum Node: Sendable, Hashable {
        case text(String)
        case value(path: [String], filters: [String])
        case section(path: [String], body: [Node])
    }

    /// The template's text.
    public let text: String
    let nodes: [Node]

    /// Parses a template; throws on an unclosed or mismatched section, an empty tag or an
    /// unknown filter.
    public init(_ text: String) throws(Invalid) {
        self.text = text
        var parser = Parser(text: text)
        self.nodes = try parser.parse(until: nil)
    }

    /// The answer filled from `output`, or `nil` when a field it needs is missing.
    public func render(_ output: JSONObject) -> String? {
        Self.render(nodes, scopes: [output])
    }

    /// Renders `template` from `output`: `nil` when the template is invalid or a field is missing.
    public static func render(_ template: String, with output: JSONObject) -> String? {
        (try? AnswerTemplate(template))?.render(output)
    }

    /// The filters a value may pass through.
    public static let filters: Set<String> = ["date"]

    private static func render(_ nodes: [Node], scopes: [JSONObject]) -> String? {
        var out = ""
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .value(let path, let filters):
                guard let value = lookup(path, in: scopes), let spoken = speak(value, filters: filters) else { return nil }
                out += spoken
            case .section(let path, let body):
                guard let value = lookup(path, in: scopes) else { return nil }
                let elements: [JSONValue]
                switch value {
                case .array(let array): elements = array
                case .object, .string, .number: elements = [value]
                case .bool(let flag): elements = flag ? [value] : []
                case .null: return nil
                }
                var parts: [String] = []
                for element in elements {
                    let inner = element.objectValue.map { [$0] + scopes } ?? scopes
                    guard let part = render(body, scopes: inner) else { return nil }
                    parts.append(part)
                }
                out += spokenList(parts)
            }
        }
        return out
    }

    private static func lookup(_ path: [String], in scopes: [JSONObject]) -> JSONValue? {
        for scope in scopes {
            guard var value = scope[path[0]] else { continue }
            for key in path.dropFirst() {
                if case .array(let elements) = value, let position = Int(key), elements.indices.contains(position) {
                    value = elements[position]
                } else if let next = value[key] {
                    value = next
                } else {
                    return nil
                }
            }
            return value.isNull ? nil : value
        }
        return nil
    }

    private static func speak(_ value: JSONValue, filters: [String]) -> String? {
        switch value {
        case .string(let text):
            guard filters == ["date"] else { return filters.isEmpty ? text : nil }
            return CalendarDay(iso: String(text.prefix(10))).map(\.spoken)
        case .number(let text):
            return filters.isEmpty ? text : nil
        case .bool(let flag):
            return filters.isEmpty ? (flag ? "yes" : "no") : nil
        case .array(let elements):
            let parts = elements.compactMap { speak($0, filters: filters) }
            return parts.count == elements.count && !parts.isEmpty ? spokenList(parts) : nil
        case .object, .null:
            return nil
        }
    }

    /// "a", "a and b", "a, b and c".
    static func spokenList(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
        }
    }
}

extension AnswerTemplate {
    /// Reads `{{…}}` tags into nodes.
    struct Parser {
        let text: String
        var index: String.Index

        init(text: String) {
            self.text = text
            self.index = text.startIndex
        }

        mutating func parse(until closing: [String]?) throws(Invalid) -> [Node] {
            var nodes: [Node] = []
            while index < text.endIndex {
                guard let open = text.range(of: "{{", range: index..<text.endIndex) else {
                    nodes.append(.text(String(text[index...])))
                    index = text.endIndex
                    break
                }
                if open.lowerBound > index { nodes.append(.text(String(text[index..<open.lowerBound]))) }
                guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else {
                    throw Invalid(message: "a tag opened with '{{' is never closed")
                }
                let tag = String(text[open.upperBound..<close.lowerBound]).trimmingWhitespace
                index = close.upperBound
                if tag.hasPrefix("#") {
                    let path = try Self.path(String(tag.dropFirst()))
                    nodes.append(.section(path: path, body: try parse(until: path)))
                } else if tag.hasPrefix("/") {
                    let path = try Self.path(String(tag.dropFirst()))
                    guard path == closing else {
                        throw Invalid(message: "'{{\(tag)}}' closes a section that is not open")
                    }
                    return nodes
                } else {
                    let parts = tag.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
                    let filters = Array(parts.dropFirst())
                    if let unknown = filters.first(where: { !AnswerTemplate.filters.contains($0) }) {
                        throw Invalid(message: "unknown filter '\(unknown)' in '{{\(tag)}}'")
                    }
                    nodes.append(.value(path: try Self.path(parts[0]), filters: filters))
                }
            }
            if let closing {
                throw Invalid(message: "the section '{{#\(closing.joined(separator: "."))}}' is never closed")
            }
            return nodes
        }

        private static func path(_ text: String) throws(Invalid) -> [String] {
            let path = text.trimmingWhitespace.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
                throw Invalid(message: "'{{\(text)}}' does not name a field")
            }
            return path
        }
    }
}
