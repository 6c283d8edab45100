import Foundation
import OpenAIRealtime
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls

/// Works out a pack's post-call analysis (``AnalysisPlan``) from a call's record, by rules: a
/// summary of who handled the call, what ran and how it ended, and each field from the tools
/// that ran, their arguments and outputs, and the caller's words. Deterministic: the same
/// record always gives the same analysis.
enum CallAnalyzer {
    /// `{"summary": …, "fields": {…}, "method": "rules"}`; a field with nothing to go on is `null`.
    static func analyze(_ record: CallRecord, plan: AnalysisPlan?) -> JSONValue {
        let plan = plan ?? AnalysisPlan()
        var members: [(String, JSONValue)] = []
        if plan.summary { members.append(("summary", .string(summary(record)))) }
        let facts = Facts(record)
        members.append(("fields", .object(JSONObject(plan.fields.map { ($0.name, value(of: $0, facts: facts)) }))))
        members.append(("method", .string("rules")))
        return .object(JSONObject(members))
    }

    /// The analysis by a chat model: the summary and fields it answered, each checked against
    /// its declared type (a value of the wrong type, or an enum value not declared, is `null`);
    /// `method: "model"`. When the model fails, the rules' analysis with `model_error`.
    static func analyze(_ record: CallRecord, plan: AnalysisPlan?, analyst: ChatCompletionsAnalyst) async -> JSONValue {
        let plan = plan ?? AnalysisPlan()
        let fields = plan.fields.map {
            ChatCompletionsAnalyst.Field(name: $0.name, kind: $0.kind.rawValue, description: $0.description, values: $0.values.map(\.value))
        }
        do {
            let answer = try await analyst.analyze(call: callText(record), fields: fields, summary: plan.summary)
            var members: [(String, JSONValue)] = []
            if plan.summary { members.append(("summary", answer.summary.map { .string($0) } ?? .string(summary(record)))) }
            members.append(("fields", .object(JSONObject(plan.fields.map { ($0.name, checked(answer.fields[$0.name], as: $0)) }))))
            members.append(("method", .string("model")))
            members.append(("model", .string(analyst.model)))
            return .object(JSONObject(members))
        } catch {
            guard case .object(var rules) = analyze(record, plan: plan) else { return analyze(record, plan: plan) }
            rules["model_error"] = .string(String("\(error)".prefix(200)))
            return .object(rules)
        }
    }

    /// The call as the model reads it: who said what, then each tool with its arguments and output.
    static func callText(_ record: CallRecord) -> String {
        var lines = record.transcript.map { "\($0.role == .user ? "Caller" : "Agent"): \($0.text)" }
        for call in record.toolCalls {
            lines.append("Tool \(call.name)(\(call.arguments.prefix(500))) -> \((call.output ?? "no result").prefix(1_000))")
        }
        if let reason = record.endReason { lines.append("The call ended: \(reason.rawValue.replacingOccurrences(of: "_", with: " ")).") }
        return lines.joined(separator: "\n")
    }

    /// `value` if it has `field`'s type, else `null`.
    static func checked(_ value: JSONValue?, as field: AnalysisPlan.Field) -> JSONValue {
        guard let value, !value.isNull else { return .null }
        switch field.kind {
        case .text:
            guard let text = value.stringValue, !text.isEmpty else { return .null }
            return .string(String(text.prefix(2_000)))
        case .number:
            if value.stringValue == nil, let number = value.doubleValue, number.isFinite { return value }
            if let text = value.stringValue, let number = Double(text), number.isFinite { return .double(number) }
            return .null
        case .boolean:
            if let flag = value.boolValue { return .bool(flag) }
            switch value.stringValue?.lowercased() {
            case "true"?, "yes"?: return .bool(true)
            case "false"?, "no"?: return .bool(false)
            default: return .null
            }
        case .enum:
            guard let text = value.stringValue, field.values.contains(where: { $0.value == text }) else { return .null }
            return .string(text)
        }
    }

    /// What the rules read from a record.
    struct Facts {
        /// Each tool call that finished: its name, arguments and output.
        var calls: [(name: String, arguments: JSONObject, output: JSONObject)] = []
        /// The caller's words, lowercased, as words separated by single spaces, padded with one.
        var said: String

        init(_ record: CallRecord) {
            for call in record.toolCalls {
                let arguments = (try? JSONParser.parse(call.arguments))?.objectValue ?? JSONObject()
                let output = call.output.flatMap { try? JSONParser.parse($0) }?.objectValue ?? JSONObject()
                calls.append((call.name, arguments, output))
            }
            said = " " + Self.words(record.transcript.filter { $0.role == .user }.map(\.text).joined(separator: " ")) + " "
        }

        static func words(_ text: String) -> String {
            text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "'") }).joined(separator: " ")
        }

        func saidAny(_ phrases: [String]) -> Bool {
            phrases.contains { phrase in
                let words = Self.words(phrase)
                return !words.isEmpty && said.contains(" \(words) ")
            }
        }

        func ran(_ tool: String, outcome: String?) -> Bool {
            calls.contains { $0.name == tool && (outcome == nil || $0.output["outcome"]?.stringValue == outcome) }
        }
    }

    static func value(of field: AnalysisPlan.Field, facts: Facts) -> JSONValue {
        switch field.kind {
        case .enum:
            for value in field.values where facts.saidAny(value.said) || value.tools.contains(where: { facts.ran($0, outcome: nil) }) {
                return .string(value.value)
            }
            return field.values.first { $0.tools.isEmpty && $0.said.isEmpty }.map { .string($0.value) } ?? .null
        case .boolean:
            switch field.source {
            case .tool(let tool, let outcome)?: return .bool(facts.ran(tool, outcome: outcome))
            case .said(let phrases)?: return .bool(facts.saidAny(phrases))
            default: return .null
            }
        case .text, .number:
            let found: JSONValue?
            switch field.source {
            case .argument(let name)?: found = facts.calls.last { $0.arguments[name] != nil }?.arguments[name]
            case .output(let name)?: found = facts.calls.last { $0.output[name] != nil }?.output[name]
            default: found = nil
            }
            guard let found else { return .null }
            if field.kind == .number {
                if let number = found.doubleValue, number.isFinite { return found.stringValue == nil ? found : .double(number) }
                if let text = found.stringValue, let number = Double(text), number.isFinite { return .double(number) }
                return .null
            }
            if let text = found.stringValue { return .string(text) }
            return found.isNull ? .null : .string(found.jsonString)
        }
    }

    /// One paragraph: the channel and caller, the agents, the tools with their outcomes, any
    /// transfer, how the call ended and how long it took.
    static func summary(_ record: CallRecord) -> String {
        var parts: [String] = []
        let who: String
        switch record.channel {
        case .websocket: who = "A realtime session"
        case .twilio, .sip:
            let party = record.direction == .inbound ? record.from.map { " from \($0)" } : record.to.map { " to \($0)" }
            who = "\(record.direction == .inbound ? "An inbound" : "An outbound") \(record.channel == .sip ? "SIP" : "Twilio") call\(party ?? "")"
        }
        let agents = record.agents.map(\.agent).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        parts.append("\(who) with \(agents.isEmpty ? "no agent" : agents.joined(separator: ", then "))")
        let turns = record.transcript.filter { $0.role == .user }.count
        parts.append("the caller spoke \(turns) time\(turns == 1 ? "" : "s")")
        if !record.toolCalls.isEmpty {
            let tools = record.toolCalls.map { call -> String in
                let outcome = call.output.flatMap { try? JSONParser.parse($0) }?.objectValue?["outcome"]?.stringValue ?? call.outcome?.rawValue ?? "no result"
                return "\(call.name) (\(outcome))"
            }
            parts.append("tools: \(tools.joined(separator: ", "))")
        }
        for transfer in record.transfers {
            parts.append("transfer to \(transfer.destination) \(transfer.outcome?.rawValue ?? "started")")
        }
        if !record.dtmf.isEmpty { parts.append("keys pressed: \(record.dtmf.map(\.digits).joined(separator: ", "))") }
        var ending = "ongoing"
        if let reason = record.endReason { ending = "ended: \(reason.rawValue.replacingOccurrences(of: "_", with: " "))" }
        if let ended = record.endedAt {
            let seconds = max(0, Int(ended.timeIntervalSince(record.startedAt).rounded()))
            ending += " after \(seconds / 60 > 0 ? "\(seconds / 60) min " : "")\(seconds % 60) s"
        }
        parts.append(ending)
        return parts.joined(separator: "; ") + "."
    }
}
