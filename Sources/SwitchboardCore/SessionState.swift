import Foundation

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
public struct Turn: Sendable, Hashable, Codable {
    public var user: String
    public var assistant: String
    /// The agent that answered.
    public var agent: String
    /// Tool calls made for this answer, summarised (`lookup_flight(SB12) → on time`).
    public var tools: [String]
    public var at: Date

    public init(user: String, assistant: String, agent: String, tools: [String] = [], at: Date = Date()) {
        self.user = user
        self.assistant = assistant
        self.agent = agent
        self.tools = tools
        self.at = at
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
