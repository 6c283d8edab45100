import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData

/// The tools the hub can run, by name. `call` validates a model's arguments against the tool's
/// schema, runs it with a time limit, and always answers with a JSON object: the tool's result,
/// or `{"outcome":"error","error":{"code","message"}}`.
public struct ToolRegistry: Sendable {
    /// How long a tool may take before the call fails with `tool_failed`.
    public var timeout: Duration
    /// Tools with their own time limit (a pack's `timeout:`).
    public var timeouts: [String: Duration]
    /// What the agent says while a tool runs long, by tool name (a pack's `filler:`); a tool
    /// not named here has no filler.
    public var fillers: [String: ToolFiller]
    private var tools: [String: any Tool]

    /// A registry of `tools`; a later tool replaces an earlier one of the same name.
    public init(tools: [any Tool], timeout: Duration = .seconds(5), timeouts: [String: Duration] = [:], fillers: [String: ToolFiller] = [:]) {
        self.timeout = timeout
        self.timeouts = timeouts
        self.fillers = fillers
        self.tools = Dictionary(tools.map { ($0.spec.name, $0) }, uniquingKeysWith: { _, later in later })
    }

    /// The tool names.
    public var names: Set<String> { Set(tools.keys) }

    /// Every tool's spec, sorted by name.
    public var specs: [ToolSpec] { tools.keys.sorted().compactMap { tools[$0]?.spec } }

    /// The spec of the tool named `name`.
    public func spec(named name: String) -> ToolSpec? { tools[name]?.spec }

    /// Runs the call. Never throws: every failure is an `error` outcome with a code.
    public func call(_ request: ToolCallRequest, context: ToolContext) async -> ToolCallResult {
        request.answered(with: await run(request, context: context))
    }

    private func run(_ request: ToolCallRequest, context: ToolContext) async -> ToolResult {
        guard let tool = tools[request.name] else {
            return .error(.unknownTool, "there is no tool named \"\(request.name)\"; the tools are \(names.sorted().joined(separator: ", "))")
        }
        let arguments: JSONObject
        switch Self.parseArguments(request.arguments) {
        case .object(let object): arguments = object
        case .invalid(let message): return .error(.invalidArguments, message)
        }
        let problems = JSONSchemaValidator.validate(.object(arguments), against: tool.spec.parameters)
        guard problems.isEmpty else {
            return .error(.invalidArguments, problems.map(\.description).joined(separator: "; "))
        }
        let timeout = timeouts[request.name] ?? timeout
        switch await Deadline.run(within: timeout, { try await tool.run(arguments, context: context) }) {
        case .finished(.success(let result)):
            return result
        case .finished(.failure(let error as DataError)):
            return .error(.dataUnavailable, "the business data cannot be used right now (\(error.kind.rawValue)); try again later")
        case .finished(.failure(let error)):
            return .error(.toolFailed, "\(request.name) failed: \(error)")
        case .timedOut:
            return .error(.toolFailed, "\(request.name) did not answer within \(timeout)")
        }
    }

    private enum ParsedArguments {
        case object(JSONObject)
        case invalid(String)
    }

    /// The arguments text as an object; an empty text is an empty object.
    private static func parseArguments(_ text: String) -> ParsedArguments {
        guard text.contains(where: { !$0.isWhitespace }) else { return .object(JSONObject()) }
        do {
            guard let object = try JSONParser.parse(text).objectValue else {
                return .invalid("the arguments must be a JSON object")
            }
            return .object(object)
        } catch {
            return .invalid("the arguments are not valid JSON: \(error)")
        }
    }
}
