import Foundation
import Yams

/// Whether a pack's phone calls are recorded (`recording:` in pack.yaml), and how the caller
/// is told and may refuse. A recorded call starts with `notice`, said word for word; a caller
/// whose words contain one of `refusals` (whole words, any case) is not recorded: the
/// recording stops and its file is deleted.
///
/// ```yaml
/// recording:
///   enabled: true
///   notice: This call is recorded for quality. Say 'do not record' if you'd rather not.
///   refusals: [do not record, don't record, no recording, i do not consent, i don't consent]
/// ```
/// `recording: off` (or no `recording:`) records nothing.
public struct RecordingPolicy: Sendable, Equatable {
    public var notice: String
    public var refusals: [String]

    public static let standardNotice = "This call is recorded for quality. Say 'do not record' if you'd rather not."
    public static let standardRefusals = ["do not record", "don't record", "no recording", "i do not consent", "i don't consent"]

    public init(notice: String = RecordingPolicy.standardNotice, refusals: [String] = RecordingPolicy.standardRefusals) {
        self.notice = notice
        self.refusals = refusals
    }

    /// Whether `utterance` contains one of the refusals as whole words, in any case
    /// (`Please DO NOT record this.` refuses; `do not recorder` does not).
    public func isRefusal(_ utterance: String) -> Bool {
        let said = " " + Self.words(utterance).joined(separator: " ") + " "
        return refusals.contains { phrase in
            let words = Self.words(phrase)
            return !words.isEmpty && said.contains(" " + words.joined(separator: " ") + " ")
        }
    }

    /// Lowercased words: letters, digits and apostrophes (typographic ones made straight).
    static func words(_ text: String) -> [String] {
        text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'").replacingOccurrences(of: "\u{2018}", with: "'")
            .split { !($0.isLetter || $0.isNumber || $0 == "'") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
            .filter { !$0.isEmpty }
    }

    /// Reads `fields`' `recording`: `nil` when absent, off or `enabled: false`.
    static func read(_ fields: YAMLFields) throws(PersonaProblem) -> RecordingPolicy? {
        guard let node = fields.node("recording") else { return nil }
        let what = "'recording' must be off or a mapping {enabled, notice, refusals}"
        if let scalar = node.scalar, scalar.style == .plain {
            if ["off", "false", "no", "none"].contains(scalar.string.lowercased()) { return nil }
            throw fields.problem(at: node.line, what)
        }
        let entry = try YAMLFields(node, file: fields.file, context: "recording", what: what)
        try entry.allowOnly(["enabled", "notice", "refusals"])
        guard let enabled = try entry.flag("enabled") else {
            throw entry.problem(at: entry.line, "'recording' needs 'enabled: true' (or write recording: off)")
        }
        var policy = RecordingPolicy()
        if let text = try entry.text("notice") {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= 300, !trimmed.contains("\"") else {
                throw entry.problem(at: entry.line(of: "notice"), "'recording.notice' must be a sentence of at most 300 characters without double quotes")
            }
            policy.notice = trimmed
        }
        if let refusals = try entry.phrases("refusals", each: "phrase", plural: "phrases") {
            guard (1...50).contains(refusals.count) else {
                throw entry.problem(at: entry.line(of: "refusals"), "'recording.refusals' must be a list of 1 to 50 phrases")
            }
            for phrase in refusals where words(phrase).isEmpty || phrase.count > 100 {
                throw entry.problem(at: entry.line(of: "refusals"), "each of 'recording.refusals' must be words, at most 100 characters (got '\(phrase.prefix(100))')")
            }
            policy.refusals = refusals.map { words($0).joined(separator: " ") }
        }
        return enabled ? policy : nil
    }
}
