import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

/// What a session lets its call-control tools do to the call: the hub gives each session its own.
public protocol CallControl: Sendable {
    /// Whether the session is a phone call (transfers and keys need one).
    var isPhoneCall: Bool { get }
    /// Ends the session once the agent's next answer has been heard.
    func endCall(reason: String?) async
    /// Puts the caller through to `destination`; returns once the transfer is under way.
    func transfer(to destination: TransferDestination, reason: String?) async throws(CallControlError)
    /// Presses `digits` on the call.
    func sendDTMF(_ digits: String) async throws(CallControlError)
}

/// Why a call-control action could not be done, for the model (`outcome: error`).
public struct CallControlError: Error, Sendable, Equatable {
    /// `not_a_phone_call`, `transfer_failed`, `not_supported`, …
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// A `kind: builtin` tool: ends, transfers or presses keys on the call of the session that
/// called it, through the session's `ToolContext.call`.
public struct CallControlTool: Tool {
    public let spec: ToolSpec
    public let plan: CallControlPlan

    public init(definition: ToolDefinition, plan: CallControlPlan) {
        self.spec = ToolSpec(name: definition.name, description: definition.description, parameters: definition.parameters)
        self.plan = plan
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let reason = arguments["reason"]?.stringValue
        switch plan {
        case .endCall:
            guard let call = context.call else {
                return ToolResult(outcome: "error", fields: ["message": .string("There is no call to end in this session.")])
            }
            await call.endCall(reason: reason)
            return ToolResult(outcome: "ending", fields: ["message": .string("The call ends after your goodbye: say a short goodbye now.")])
        case .transferCall(let destinations):
            guard let name = arguments["destination"]?.stringValue, let destination = destinations.first(where: { $0.name == name }) else {
                return ToolResult(outcome: "error", fields: ["message": .string("Unknown destination.")])
            }
            guard let call = context.call, call.isPhoneCall else {
                return Self.failure("not_a_phone_call", "Transfers need a phone call; tell the caller how to reach \(destination.description) instead.",
                                    say: "I'm sorry, I can't transfer you from here.")
            }
            do {
                try await call.transfer(to: destination, reason: reason)
            } catch {
                return Self.failure(error.code, error.message, say: "I'm sorry, I can't transfer you right now.")
            }
            var fields: JSONObject = ["destination": .string(destination.name)]
            if let message = destination.message { fields["say"] = .string(message) }
            return ToolResult(outcome: "transferring", fields: fields)
        case .sendDTMF:
            guard let digits = arguments["digits"]?.stringValue else {
                return ToolResult(outcome: "error", fields: ["message": .string("No digits.")])
            }
            guard let call = context.call, call.isPhoneCall else {
                return Self.failure("not_a_phone_call", "Keys can only be pressed on a phone call.", say: "I'm sorry, I can't press keys from here.")
            }
            do {
                try await call.sendDTMF(digits)
            } catch {
                return Self.failure(error.code, error.message, say: "I'm sorry, I couldn't press those keys.")
            }
            return ToolResult(outcome: "sent", fields: ["digits": .string(digits)])
        }
    }

    /// An error for the model: a code, what went wrong (for a language model), and a sentence
    /// an agent can say as it is (`say`).
    static func failure(_ code: String, _ message: String, say: String) -> ToolResult {
        ToolResult(outcome: "error", fields: ["code": .string(code), "message": .string(message), "say": .string(say)])
    }
}
