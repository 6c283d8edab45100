import Foundation
import Yams

/// What a pack wants to know about each call once it ends (`analysis:` in pack.yaml): a summary
/// and typed fields, like a post-call form. On the embedded model each field is filled from
/// what happened in the call (the tools that ran, their arguments and outputs, the caller's
/// words); a configured chat model fills them from the transcript instead.
///
/// ```yaml
/// analysis:
///   summary: true
///   fields:
///     - name: refunded
///       type: boolean
///       description: Whether an order was refunded.
///       from: {tool: refund_order, outcome: refunded}
///     - name: order_code
///       type: text
///       from: {argument: order_code}
///     - name: amount
///       type: number
///       from: {output: amount}
///     - name: wants_callback
///       type: boolean
///       from: {said: [call me back, callback]}
///     - name: topic
///       type: enum
///       values:
///         - {value: refund, tools: [refund_order]}
///         - {value: delivery, said: [where is my order]}
///         - {value: other}
/// ```
public struct AnalysisPlan: Sendable, Equatable {
    public var summary: Bool
    public var fields: [Field]

    public init(summary: Bool = true, fields: [Field] = []) {
        self.summary = summary
        self.fields = fields
    }

    public struct Field: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable, CaseIterable { case text, number, boolean, `enum` }
        public var name: String
        public var kind: Kind
        public var description: String
        /// Where the embedded model finds the value; `nil` for an enum (its values say).
        public var source: Source?
        /// An enum's values, each with what picks it; the first that matches wins, a value
        /// with nothing to match is the fallback.
        public var values: [EnumValue]

        public init(name: String, kind: Kind, description: String = "", source: Source? = nil, values: [EnumValue] = []) {
            self.name = name
            self.kind = kind
            self.description = description
            self.source = source
            self.values = values
        }
    }

    /// Where a field's value comes from in a call.
    public enum Source: Sendable, Equatable {
        /// Whether the tool ran (with this outcome of its output, when given).
        case tool(String, outcome: String?)
        /// The last value a tool was called with for this argument.
        case argument(String)
        /// The last value of this field in a tool's output.
        case output(String)
        /// Whether the caller said any of these phrases (whole words, any case).
        case said([String])
    }

    public struct EnumValue: Sendable, Equatable {
        public var value: String
        /// Picked when one of these tools ran, or the caller said one of these phrases.
        public var tools: [String]
        public var said: [String]
        public init(value: String, tools: [String] = [], said: [String] = []) {
            self.value = value
            self.tools = tools
            self.said = said
        }
    }

    /// Reads `fields`' `analysis`.
    static func read(_ fields: YAMLFields) throws(PersonaProblem) -> AnalysisPlan? {
        guard let node = fields.node("analysis") else { return nil }
        let entry = try YAMLFields(node, file: fields.file, context: "analysis", what: "'analysis' must be a mapping {summary, fields}")
        try entry.allowOnly(["summary", "fields"])
        var plan = AnalysisPlan(summary: try entry.flag("summary") ?? true)
        guard let list = entry.node("fields") else { return plan }
        guard let items = list.sequence, items.count <= 50 else {
            throw entry.problem(at: list.line, "'analysis.fields' must be a list of at most 50 fields {name, type, description, from}")
        }
        for item in items {
            let field = try YAMLFields(item, file: fields.file, context: "analysis field", what: "each analysis field must be a mapping {name, type, description, from, values}")
            try field.allowOnly(["name", "type", "description", "from", "values"])
            let name = try field.text("name", required: true) ?? ""
            if name.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) == nil {
                throw field.problem(at: field.line(of: "name"), "an analysis field's 'name' must be lowercase letters, digits and '_' (got '\(name.prefix(64))')")
            }
            if plan.fields.contains(where: { $0.name == name }) || name == "summary" {
                throw field.problem(at: field.line(of: "name"), "analysis field '\(name)' appears twice (or is 'summary')")
            }
            guard let kind = try field.choice("type", of: Field.Kind.self, choices: Field.Kind.allCases) else {
                throw field.problem(at: field.line, "analysis field '\(name)' needs 'type': text, number, boolean or enum")
            }
            var result = Field(name: name, kind: kind, description: try field.text("description") ?? "")
            if kind == .enum {
                if field.node("from") != nil { throw field.problem(at: field.line(of: "from"), "an enum field is filled by its 'values', not 'from'") }
                result.values = try readValues(field)
            } else {
                if field.node("values") != nil { throw field.problem(at: field.line(of: "values"), "'values' is only for type: enum") }
                guard let from = field.node("from") else {
                    throw field.problem(at: field.line, "analysis field '\(name)' needs 'from': {tool}, {argument}, {output} or {said}")
                }
                result.source = try readSource(YAMLFields(from, file: fields.file, context: "from", what: "'from' must be a mapping: {tool, outcome}, {argument}, {output} or {said}"),
                                               kind: kind)
            }
            plan.fields.append(result)
        }
        return plan
    }

    private static func readSource(_ from: YAMLFields, kind: Field.Kind) throws(PersonaProblem) -> Source {
        try from.allowOnly(["tool", "outcome", "argument", "output", "said"])
        let given = from.keys.filter { $0 != "outcome" }
        guard given.count == 1, let key = given.first else {
            throw from.problem(at: from.line, "'from' names one source: tool (with an outcome), argument, output or said")
        }
        switch key {
        case "tool", "said":
            guard kind == .boolean else { throw from.problem(at: from.line(of: key), "'from.\(key)' gives a boolean; use it for type: boolean") }
            if key == "tool" { return .tool(try from.text("tool", required: true) ?? "", outcome: try from.text("outcome")) }
            if from.node("outcome") != nil { throw from.problem(at: from.line(of: "outcome"), "'outcome' goes with 'tool'") }
            return .said(try from.phrases("said", each: "phrase", plural: "phrases") ?? [])
        default:
            if from.node("outcome") != nil { throw from.problem(at: from.line(of: "outcome"), "'outcome' goes with 'tool'") }
            guard kind != .boolean else { throw from.problem(at: from.line(of: key), "a boolean comes from 'tool' or 'said'") }
            let name = try from.text(key, required: true) ?? ""
            return key == "argument" ? .argument(name) : .output(name)
        }
    }

    private static func readValues(_ field: YAMLFields) throws(PersonaProblem) -> [EnumValue] {
        guard let list = field.node("values"), let items = list.sequence, !items.isEmpty, items.count <= 50 else {
            throw field.problem(at: field.line(of: "values"), "an enum field needs 'values': a list of 1 to 50 {value, tools, said}")
        }
        var values: [EnumValue] = []
        for item in items {
            if let scalar = item.scalar?.string, !scalar.isEmpty {
                values.append(EnumValue(value: scalar))
                continue
            }
            let entry = try YAMLFields(item, file: field.file, context: "value", what: "each value is a word or {value, tools, said}")
            try entry.allowOnly(["value", "tools", "said"])
            values.append(EnumValue(value: try entry.text("value", required: true) ?? "",
                                    tools: try entry.phrases("tools", each: "tool name", plural: "tool names") ?? [],
                                    said: try entry.phrases("said", each: "phrase", plural: "phrases") ?? []))
        }
        let names = values.map(\.value)
        if Set(names).count != names.count { throw field.problem(at: list.line, "an enum's values must differ") }
        return values
    }
}
