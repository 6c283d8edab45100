import RealtimeProtocol

/// What the conversation needs to know of an agent: what it tells the model and how it sounds.
public struct AgentProfile: Sendable, Hashable {
    /// The agent's name (`front_desk`, `appointments`, …).
    public var name: String
    /// One line on what it does.
    public var description: String
    /// Instructions for the model, with the customer's details filled in.
    public var instructions: String
    /// The voice it speaks with.
    public var voice: String?
    /// Function tools, in the realtime protocol's shape.
    public var tools: [JSONValue]
    /// What it says first, and what it can help with, for models without a language model.
    public var greeting: String
    /// Topics it can help with, one phrase each.
    public var capabilities: [String]
    /// What it says when it has no answer.
    public var fallback: String
    /// Whether the conversation so far is replaced by a short summary when the caller is handed
    /// to this agent (otherwise every item stays in the model's context).
    public var summarizesOnHandoff: Bool = false

    public init(name: String, description: String, instructions: String, voice: String? = nil, tools: [JSONValue] = [],
                greeting: String = "", capabilities: [String] = [], fallback: String = "I'm sorry, I don't know that.") {
        self.name = name
        self.description = description
        self.instructions = instructions
        self.voice = voice
        self.tools = tools
        self.greeting = greeting
        self.capabilities = capabilities
        self.fallback = fallback
    }
}
