import Foundation
import RealtimeProtocol
import SwitchboardCore

/// A tool's public face: its name, what it does and its JSON-schema parameters, in the realtime
/// protocol's function-tool shape.
public struct ToolSpec: Sendable, Hashable {
    public var name: String
    public var description: String
    /// A JSON schema of `type: object`.
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// `{type: "function", name, description, parameters}` for `session.update`.
    public var functionTool: JSONValue {
        .object(JSONObject([
            ("type", .string("function")), ("name", .string(name)), ("description", .string(description)),
            ("parameters", parameters),
        ]))
    }
}

/// Who a tool call is made for. Customer-scoped tools take the customer from here, never from
/// the model's arguments.
public struct ToolContext: Sendable {
    public var customer: Customer
    public var sessionKey: String
    public var today: Date
    /// The session's call, for the call-control tools; `nil`: no call control (a tool run
    /// outside a session).
    public var call: (any CallControl)?

    public init(customer: Customer, sessionKey: String, today: Date = Date(), call: (any CallControl)? = nil) {
        self.customer = customer
        self.sessionKey = sessionKey
        self.today = today
        self.call = call
    }
}

/// What a tool found: an outcome and the fields the answer is made from.
public struct ToolResult: Sendable {
    /// `found`, `not_found`, `available`, `unavailable`, `confirmed`, …
    public var outcome: String
    /// The facts, as a JSON object (without `outcome`, which is added when encoded).
    public var fields: JSONObject
    /// Where the facts came from.
    public var sources: [JSONValue]

    public init(outcome: String, fields: JSONObject = JSONObject(), sources: [JSONValue] = []) {
        self.outcome = outcome
        self.fields = fields
        self.sources = sources
    }
}

/// A typed tool the hub runs when a model calls it.
public protocol Tool: Sendable {
    var spec: ToolSpec { get }
    /// Runs with arguments already validated against `spec.parameters`.
    func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult
}
