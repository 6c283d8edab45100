import RealtimeProtocol

/// Where the router sends an utterance: the agent that should answer it, and why.
public struct RouteChoice: Sendable, Equatable {
    /// The agent's name; the current agent's name means "stay".
    public var agent: String
    /// A short reason for logs and `hub.agent.switched` ("keywords: appointment, cancel").
    public var reason: String

    public init(agent: String, reason: String) {
        self.agent = agent
        self.reason = reason
    }
}

/// Picks the agent for each finished user utterance.
public protocol UtteranceRouter: Sendable {
    /// The agent that should answer `utterance` when `current` is active. Returning `current`
    /// keeps the conversation where it is (neutral turns such as "yes", "thanks" or a date).
    func route(_ utterance: String, current: String) -> RouteChoice
    /// The same, knowing what the current agent said last (`asked`): a reply to its question
    /// usually belongs to it.
    func route(_ utterance: String, current: String, asked: String?) -> RouteChoice
}

extension UtteranceRouter {
    /// By default what the agent said last changes nothing.
    public func route(_ utterance: String, current: String, asked: String?) -> RouteChoice {
        route(utterance, current: current)
    }
}

/// A function call the model made that the hub runs.
public struct ToolCallRequest: Sendable, Equatable {
    public var callID: String
    public var name: String
    /// The arguments as the model sent them: a JSON text, not yet validated.
    public var arguments: String

    public init(callID: String, name: String, arguments: String) {
        self.callID = callID
        self.name = name
        self.arguments = arguments
    }
}

/// What a tool call produced: the output the model gets, and what hub clients are told.
public struct ToolCallResult: Sendable, Equatable {
    public var callID: String
    public var name: String
    public var arguments: String
    /// The output for the model: a JSON object text with at least `outcome`.
    public var output: String
    /// `found`, `not_found`, `available`, `confirmed`, `error`, …
    public var outcome: String
    /// Where the facts came from (knowledge chunks, database rows).
    public var sources: [JSONValue]

    public init(callID: String, name: String, arguments: String, output: String, outcome: String, sources: [JSONValue] = []) {
        self.callID = callID
        self.name = name
        self.arguments = arguments
        self.output = output
        self.outcome = outcome
        self.sources = sources
    }
}

/// Classifies an utterance with a model (an OpenAI-compatible chat-completions endpoint, for
/// example). Asked before the offline router; `nil` leaves the decision to the offline router.
public protocol UtteranceClassifier: Sendable {
    func classify(_ utterance: String, current: String) async -> RouteChoice?
}
