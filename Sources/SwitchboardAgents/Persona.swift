import Foundation
import SwitchboardCore

/// An agent defined by a YAML file in `Personas/`.
public struct Persona: Sendable, Hashable {
    /// Unique name, used in events and state (`concierge`, `flight`).
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

    /// The instructions with the customer's details filled in.
    public func renderInstructions(customer: Customer, today: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        return instructions
            .replacingOccurrences(of: "{{customer_name}}", with: customer.name ?? "the customer")
            .replacingOccurrences(of: "{{customer_id}}", with: customer.id ?? "unknown")
            .replacingOccurrences(of: "{{today}}", with: formatter.string(from: today))
    }

    /// The agent as the conversation sees it, for `customer`.
    public func profile(for customer: Customer) -> AgentProfile {
        AgentProfile(
            name: name, description: description, instructions: renderInstructions(customer: customer),
            voice: voice, tools: [], greeting: greeting, capabilities: capabilities, fallback: fallback
        )
    }

    /// The first line of the instructions template, up to any placeholder: what tells this
    /// agent's instructions apart from another's.
    public var instructionsSignature: String {
        let firstLine = instructions.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? instructions
        if let range = firstLine.range(of: "{{") { return String(firstLine[..<range.lowerBound]) }
        return firstLine
    }
}
