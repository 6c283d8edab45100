import Foundation
import Yams

/// What the agent does when the caller goes quiet on a voice session (`idle:` in pack.yaml):
/// after `repromptAfter` of silence it asks whether they are still there; after `hangUpAfter`
/// more it says goodbye and the hub hangs up. Silence counts only while nobody speaks: the
/// clock waits while the agent's audio plays.
///
/// ```yaml
/// idle:
///   reprompt_after: 15s
///   reprompt: Are you still there?
///   hang_up_after: 15s
///   goodbye: I haven't heard from you, so I'll end the call now. Goodbye!
/// ```
/// `idle: off` turns it off. Phone calls have it by default; browser voice sessions when the
/// pack writes it.
public struct IdlePolicy: Sendable, Equatable {
    public var repromptAfter: Duration
    public var reprompt: String
    public var hangUpAfter: Duration
    public var goodbye: String

    public init(repromptAfter: Duration = .seconds(15), reprompt: String = "Are you still there?", hangUpAfter: Duration = .seconds(15),
                goodbye: String = "I haven't heard from you, so I'll end the call now. Goodbye!") {
        self.repromptAfter = repromptAfter
        self.reprompt = reprompt
        self.hangUpAfter = hangUpAfter
        self.goodbye = goodbye
    }

    /// The phone calls' default.
    public static let standard = IdlePolicy()

    /// Reads `fields`' `idle`: `nil` when absent, `.some(nil)` for `off`.
    static func read(_ fields: YAMLFields) throws(PersonaProblem) -> IdlePolicy?? {
        guard let node = fields.node("idle") else { return nil }
        if let scalar = node.scalar, scalar.style == .plain, ["off", "false", "no", "none"].contains(scalar.string.lowercased()) {
            return .some(nil)
        }
        let entry = try YAMLFields(node, file: fields.file, context: "idle", what: "'idle' must be off or a mapping {reprompt_after, reprompt, hang_up_after, goodbye}")
        try entry.allowOnly(["reprompt_after", "reprompt", "hang_up_after", "goodbye"])
        var policy = IdlePolicy.standard
        for (key, keyPath) in [("reprompt_after", \IdlePolicy.repromptAfter), ("hang_up_after", \IdlePolicy.hangUpAfter)] {
            guard let value = entry.node(key) else { continue }
            guard let text = value.scalar?.string, let duration = ToolFileParser.duration(text), duration >= .seconds(3), duration <= .seconds(600) else {
                throw entry.problem(at: value.line, "'idle.\(key)' must be a duration from 3s to 600s, like 15s")
            }
            policy[keyPath: keyPath] = duration
        }
        for (key, keyPath) in [("reprompt", \IdlePolicy.reprompt), ("goodbye", \IdlePolicy.goodbye)] {
            guard let text = try entry.text(key) else { continue }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= 200, !trimmed.contains("\"") else {
                throw entry.problem(at: entry.line(of: key), "'idle.\(key)' must be a sentence of at most 200 characters without double quotes")
            }
            policy[keyPath: keyPath] = trimmed
        }
        return .some(policy)
    }
}
