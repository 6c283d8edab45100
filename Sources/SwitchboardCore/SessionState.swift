import Foundation
import RealtimeProtocol

/// The customer a session belongs to, as the client or the phone network told the hub.
public struct Customer: Sendable, Hashable, Codable {
    public var name: String?
    public var id: String?
    public init(name: String? = nil, id: String? = nil) {
        self.name = name
        self.id = id
    }
}

/// One exchange: what the user said and what the agent answered, tool calls summarised.
public struct Turn: Sendable, Hashable {
    public var user: String
    /// What the user heard of the answer: the whole answer, or, when the user talked over it,
    /// the part before the interruption.
    public var assistant: String
    /// The agent that answered.
    public var agent: String
    /// Tool calls made for this answer, summarised (`cancel_appointment({"code":"A1001"}) → cancelled`).
    public var tools: [String]
    /// The tool results of this answer and the sources each one used, for showing grounding
    /// again later (at most `ToolSources.maximumPerTurn` sources in all).
    public var sources: [ToolSources]
    /// The user talked over the answer: `assistant` holds only what was heard.
    public var interrupted: Bool
    /// How much of the answer's audio the user heard, in milliseconds, when interrupted.
    public var heardMs: Int?
    public var at: Date

    public init(user: String, assistant: String, agent: String, tools: [String] = [], sources: [ToolSources] = [],
                interrupted: Bool = false, heardMs: Int? = nil, at: Date = Date()) {
        self.user = user
        self.assistant = assistant
        self.agent = agent
        self.tools = tools
        self.sources = sources
        self.interrupted = interrupted
        self.heardMs = heardMs
        self.at = at
    }
}

/// One tool result of a turn: the tool, its outcome and the sources it used (knowledge
/// chunks, database rows), as `hub.tool.result` reported them.
public struct ToolSources: Sendable, Hashable {
    public var tool: String
    public var outcome: String
    public var sources: [JSONValue]

    /// The most sources a turn keeps, over all its tool results: enough to show what an answer
    /// rests on, small enough to keep saved states small.
    public static let maximumPerTurn = 5
    /// The most tool results a turn keeps.
    public static let maximumResultsPerTurn = 8

    public init(tool: String, outcome: String, sources: [JSONValue] = []) {
        self.tool = tool
        self.outcome = outcome
        self.sources = sources
    }

    /// As `hub.session.ready` lists it: `{tool, outcome, sources}`.
    public var json: JSONValue {
        .object(JSONObject([("tool", .string(tool)), ("outcome", .string(outcome)), ("sources", .array(sources))]))
    }
}

/// What the hub keeps of a conversation between connections. Audio is never kept.
public struct SessionState: Sendable, Hashable, Codable {
    public var key: String
    public var customer: Customer
    public var activeAgent: String
    /// The last turns, oldest first, at most the configured number.
    public var history: [Turn]
    /// Increases with every save; a write with an older version is refused.
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(key: String, customer: Customer = Customer(), activeAgent: String, history: [Turn] = [], version: Int = 0,
                createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.key = key
        self.customer = customer
        self.activeAgent = activeAgent
        self.history = history
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Appends a turn and keeps only the last `limit` turns.
    public mutating func append(_ turn: Turn, keeping limit: Int) {
        history.append(turn)
        if history.count > limit { history.removeFirst(history.count - max(0, limit)) }
    }
}
