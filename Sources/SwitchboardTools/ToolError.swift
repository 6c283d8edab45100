import RealtimeProtocol
import SwitchboardCore

/// Why the registry answered a call with an error instead of a tool's result.
public enum ToolErrorCode: String, Sendable, Hashable, CaseIterable {
    /// No tool has the called name.
    case unknownTool = "unknown_tool"
    /// The arguments are not JSON, not an object, or break the tool's schema.
    case invalidArguments = "invalid_arguments"
    /// The tool threw, or did not answer in time.
    case toolFailed = "tool_failed"
    /// The business data could not be reached or read.
    case dataUnavailable = "data_unavailable"
}

extension ToolCallRequest {
    /// This call answered with `result`: its output as the model gets it.
    public func answered(with result: ToolResult) -> ToolCallResult {
        ToolCallResult(callID: callID, name: name, arguments: arguments, output: result.output.jsonString,
                       outcome: result.outcome, sources: result.sources)
    }
}

extension ToolResult {
    /// The outcome of every registry error.
    public static let errorOutcome = "error"

    /// `{"outcome":"error","error":{"code":…,"message":…}}`.
    public static func error(_ code: ToolErrorCode, _ message: String) -> ToolResult {
        ToolResult(outcome: errorOutcome, fields: [
            "error": .object(["code": .string(code.rawValue), "message": .string(message)]),
        ])
    }

    /// The output the model gets: `outcome` first, then the fields (a field named `outcome` is
    /// left out).
    public var output: JSONObject {
        var members: [(String, JSONValue)] = [("outcome", .string(outcome))]
        members += fields.members.filter { $0.key != "outcome" }.map { ($0.key, $0.value) }
        return JSONObject(members)
    }
}
