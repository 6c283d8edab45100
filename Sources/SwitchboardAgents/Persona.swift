import Foundation
import SwitchboardCore

/// What part an agent plays: the router greets and hands over; agents answer in their domain.
public enum PersonaRole: String, Sendable, Hashable {
    case router
    case agent
}

/// What the model keeps of the conversation when the caller is handed to this agent.
public enum HandoffContext: String, Sendable, Hashable {
    /// The whole conversation so far stays in the model's context.
    case keep
    /// The earlier items are replaced by a short summary of the turns.
    case summary
}

/// A tool an agent may call, by name, with the hints the embedded brain uses to pick it.
public struct PersonaTool: Sendable, Hashable {
    /// The tool's name in the hub's registry (`cancel_appointment`).
    public var name: String
    /// Words and phrases that point an utterance at this tool ("delayed", "gate", "on time").
    public var triggers: [String]
    /// Used when no other tool's triggers match (a knowledge search, typically).
    public var isFallback: Bool
    /// The check this tool carries out once the caller says yes to its answer
    /// (`confirm_booking_change` confirms `check_change_booking`).
    public var confirms: String?

    public init(name: String, triggers: [String] = [], isFallback: Bool = false, confirms: String? = nil) {
        self.name = name
        self.triggers = triggers
        self.isFallback = isFallback
        self.confirms = confirms
    }
}

/// An agent defined by a YAML file in `Personas/`.
public struct Persona: Sendable, Hashable {
    /// Unique name, used in events and state (`front_desk`, `appointments`).
    public var name: String
    /// One line on what the agent does.
    public var description: String
    /// Whether new sessions start with this agent.
    public var isDefault: Bool
    /// The voice the agent speaks with.
    public var voice: String?
    /// Instructions template: `{{customer_name}}`, `{{customer_id}}` and `{{today}}` are filled in.
    public var instructions: String
    /// What the agent says first.
    public var greeting: String
    /// What it can help with, one phrase each.
    public var capabilities: [String]
    /// What it says when it does not know.
    public var fallback: String
    /// The file it came from.
    public var file: String
    /// Router or domain agent.
    public var role: PersonaRole = .agent
    /// Example utterances that belong to this agent, for the router.
    public var routingExamples: [String] = []
    /// Words that point strongly at this agent, for the router.
    public var routingKeywords: [String] = []
    /// The tools it may call, by name.
    public var tools: [PersonaTool] = []
    /// What it keeps of the conversation when the caller is handed to it.
    public var handoff: HandoffContext = .keep
    /// Answer templates for the embedded brain: tool name → outcome → template. Templates use
    /// `{{field}}`, `{{a.b}}`, `{{field | date}}` and list sections `{{#list}}…{{/list}}`, filled
    /// only from the tool's output.
    public var answers: [String: [String: String]] = [:]
    /// The line of each answer template in the file, keyed `tool.outcome`, for problems found
    /// after parsing (a template naming a field its tool does not return).
    public var answerLines: [String: Int] = [:]
    /// Questions the embedded brain asks for a missing tool argument: parameter name → question.
    public var questions: [String: String] = [:]

    /// The instructions with the customer's details filled in.
    ///
    /// Runs for every agent of every session that opens, so it is one pass over the template's
    /// bytes: an ICU date formatter and three string searches per agent were a third of the
    /// work of opening a session.
    public func renderInstructions(customer: Customer, today: Date = Date()) -> String {
        Self.fill(instructions, [
            "customer_name": customer.name ?? "the customer",
            "customer_id": customer.id ?? "unknown",
            "today": Self.day(today),
        ])
    }

    /// `template` with each `{{name}}` of `values` replaced; other text, unknown names included, is kept.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        let bytes = Array(template.utf8)
        var out: [UInt8] = []
        var index = 0
        var copied = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            var end = index + 2
            while end + 1 < bytes.count, end - index < 40, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")) { end += 1 }
            guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "}"),
                  let value = values[String(decoding: bytes[(index + 2)..<end], as: UTF8.self)] else {
                index += 1
                continue
            }
            if out.isEmpty { out.reserveCapacity(bytes.count + 64) }
            out += bytes[copied..<index]
            out += value.utf8
            index = end + 2
            copied = index
        }
        guard copied > 0 else { return template }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// `yyyy-MM-dd` of `date` in the local time zone.
    static func day(_ date: Date) -> String {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))"
    }

    /// The agent as the conversation sees it, for `customer`.
    public func profile(for customer: Customer) -> AgentProfile {
        var profile = AgentProfile(
            name: name, description: description, instructions: renderInstructions(customer: customer),
            voice: voice, tools: [], greeting: greeting, capabilities: capabilities, fallback: fallback
        )
        profile.summarizesOnHandoff = handoff == .summary
        return profile
    }

    /// The first line of the instructions template, up to any placeholder: what tells this
    /// agent's instructions apart from another's.
    public var instructionsSignature: String {
        let firstLine = instructions.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? instructions
        if let range = firstLine.range(of: "{{") { return String(firstLine[..<range.lowerBound]) }
        return firstLine
    }
}
