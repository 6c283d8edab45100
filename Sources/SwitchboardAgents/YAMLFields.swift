import Foundation
import Yams

/// The fields of one YAML mapping in a persona file, with their lines, for checked reading:
/// every read either returns a value of the right type or throws a `PersonaProblem` that points
/// at the offending line.
struct YAMLFields {
    /// The file, for problems.
    let file: String
    /// Where the mapping is, for messages: `nil` at the top of the file, `"routing"`,
    /// `"tool 'cancel_appointment'"`.
    var context: String?
    /// The mapping's own line.
    let line: Int
    private let entries: [(key: String, line: Int, value: Node)]

    /// The fields of `node`, which must be a mapping; `what` says what it should be in the
    /// problem otherwise.
    init(_ node: Node, file: String, context: String?, what: String) throws(PersonaProblem) {
        guard let mapping = node.mapping else {
            throw PersonaProblem(file: file, line: node.line, message: what)
        }
        self.file = file
        self.context = context
        self.line = node.line
        var entries: [(key: String, line: Int, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string, !name.isEmpty else {
                throw PersonaProblem(file: file, line: key.line, message: "a field name must be plain text\(Self.suffix(context))")
            }
            if entries.contains(where: { $0.key == name }) {
                throw PersonaProblem(file: file, line: key.line, message: "field '\(name)' appears twice\(Self.suffix(context))")
            }
            entries.append((name, key.line, value))
        }
        self.entries = entries
    }

    /// The field names, in file order.
    var keys: [String] { entries.map(\.key) }

    /// Throws for the first field not in `known`.
    func allowOnly(_ known: Set<String>) throws(PersonaProblem) {
        for entry in entries where !known.contains(entry.key) {
            throw problem(at: entry.line, "unknown field '\(entry.key)'\(Self.suffix(context))")
        }
    }

    /// The value of `key`, if present.
    func node(_ key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    /// The line of `key`'s name, or the mapping's line when it is absent.
    func line(of key: String) -> Int {
        entries.first { $0.key == key }?.line ?? line
    }

    /// Every field with its line, in file order.
    var all: [(key: String, line: Int, value: Node)] { entries }

    /// Non-empty text, or `nil` when absent (a problem when `required`).
    func text(_ key: String, required: Bool = false) throws(PersonaProblem) -> String? {
        guard let value = node(key) else {
            if required { throw problem(at: line, "missing required field '\(label(key))'") }
            return nil
        }
        guard let text = value.scalar?.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw problem(at: value.line, "'\(label(key))' must be non-empty text")
        }
        return text
    }

    /// `true` or `false`, or `nil` when absent.
    func flag(_ key: String) throws(PersonaProblem) -> Bool? {
        guard let value = node(key) else { return nil }
        guard value.scalar != nil, let flag = value.bool else {
            throw problem(at: value.line, "'\(label(key))' must be true or false")
        }
        return flag
    }

    /// A list of non-empty phrases, or `nil` when absent.
    func phrases(_ key: String, each: String, plural: String) throws(PersonaProblem) -> [String]? {
        guard let value = node(key) else { return nil }
        guard let sequence = value.sequence else {
            throw problem(at: value.line, "'\(label(key))' must be a list of \(plural)")
        }
        var phrases: [String] = []
        for item in sequence {
            guard let phrase = item.scalar?.string, !phrase.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw problem(at: item.line, "each item of '\(label(key))' must be a \(each)")
            }
            phrases.append(phrase)
        }
        return phrases
    }

    /// One of `choices` (an enum's raw values), or `nil` when absent.
    func choice<Value: RawRepresentable>(_ key: String, of type: Value.Type, choices: [Value]) throws(PersonaProblem) -> Value?
    where Value.RawValue == String {
        guard let value = node(key) else { return nil }
        let names = choices.map(\.rawValue)
        let allowed = names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
        guard let text = value.scalar?.string, let choice = Value(rawValue: text) else {
            throw problem(at: value.line, "'\(label(key))' must be \(allowed) (got '\(value.scalar?.string ?? "a list or mapping")')")
        }
        return choice
    }

    /// The field's name as messages show it: `routing.examples`.
    func label(_ key: String) -> String {
        guard let context, !context.contains(" ") else { return key }
        return "\(context).\(key)"
    }

    func problem(at line: Int, _ message: String) -> PersonaProblem {
        PersonaProblem(file: file, line: line, message: message)
    }

    private static func suffix(_ context: String?) -> String {
        context.map { " in \($0.contains(" ") ? $0 : "'\($0)'")" } ?? ""
    }
}

extension Node {
    /// The node's line in its file (1-based), or 1 when unknown.
    var line: Int { mark?.line ?? 1 }
}
