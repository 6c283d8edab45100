import Foundation
import Yams

/// A `filler:` as a file writes it, in a tool or in `pack.yaml`: `off`, a sentence, or
/// `{say, after}`. What a tool leaves out comes from its pack, then from ``ToolFiller/standard``.
struct FillerDeclaration: Sendable, Hashable {
    var off = false
    var say: String?
    var after: Duration?

    /// The filler this declaration makes over `base` (the pack's, or the standard one).
    func resolved(over base: ToolFiller?) -> ToolFiller? {
        guard !off else { return nil }
        let base = base ?? .standard
        return ToolFiller(say: say ?? base.say, after: after ?? base.after)
    }

    /// The longest filler sentence, in characters: a filler is a few words, not an answer.
    static let maximumLength = 200

    /// Reads `fields`' `filler`, when there is one.
    static func read(_ fields: YAMLFields) throws(PersonaProblem) -> FillerDeclaration? {
        guard let node = fields.node("filler") else { return nil }
        let line = fields.line(of: "filler")
        let shape = "'filler' must be off, a sentence, or {say: a sentence, after: a duration like 2s}"
        if let scalar = node.scalar {
            if scalar.style == .plain, ["off", "false", "no", "none"].contains(scalar.string.lowercased()) {
                return FillerDeclaration(off: true)
            }
            return FillerDeclaration(say: try sentence(scalar.string, fields: fields, line: line))
        }
        let entry = try YAMLFields(node, file: fields.file, context: "filler", what: shape)
        try entry.allowOnly(["say", "after"])
        var declaration = FillerDeclaration()
        if let text = try entry.text("say") {
            declaration.say = try sentence(text, fields: entry, line: entry.line(of: "say"))
        }
        if let after = entry.node("after") {
            guard let text = after.scalar?.string, let value = ToolFileParser.duration(text), value <= .seconds(60) else {
                throw entry.problem(at: after.line, "'filler.after' must be a duration up to 60s, like 2s or 1500ms")
            }
            declaration.after = value
        }
        return declaration
    }

    private static func sentence(_ text: String, fields: YAMLFields, line: Int) throws(PersonaProblem) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= maximumLength, !trimmed.contains("\"") else {
            throw fields.problem(at: line, "a filler is a sentence of 1 to \(maximumLength) characters without double quotes")
        }
        return trimmed
    }
}
