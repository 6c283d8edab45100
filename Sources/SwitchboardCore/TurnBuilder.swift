import RealtimeProtocol

/// The turn being built: what the user said, what the answer said and how much of it the user
/// heard, the tools called and their sources. Closed into the session's history.
struct TurnBuilder: Sendable {
    private(set) var userText = ""
    /// The answers of this connection's turns, item by item, with what the user heard of them.
    var answers = AnswerLedger()
    private(set) var tools: [String] = []
    private(set) var sources: [ToolSources] = []

    /// Whether nothing was said, answered or called since the last turn closed.
    var isEmpty: Bool { userText.isEmpty && !answers.hasCurrentAnswer && tools.isEmpty }

    /// The answer so far.
    var answerText: String { answers.answer().text }

    mutating func appendUser(_ text: String) {
        userText = userText.isEmpty ? text : userText + " " + text
    }

    /// Notes what a response's message items said.
    mutating func collect(output: [JSONValue]) {
        for item in output {
            guard let item = item.objectValue, item["type"]?.stringValue == "message" else { continue }
            answers.collect(itemID: item["id"]?.stringValue, text: Conversation.text(ofContent: item["content"]?.arrayValue ?? []))
        }
    }

    /// Notes a tool call and (within the per-turn limits) its sources.
    mutating func record(_ result: ToolCallResult) {
        tools.append("\(result.name)(\(result.arguments)) → \(result.outcome)")
        guard sources.count < ToolSources.maximumResultsPerTurn else { return }
        let room = ToolSources.maximumPerTurn - sources.reduce(0) { $0 + $1.sources.count }
        sources.append(ToolSources(tool: result.name, outcome: result.outcome, sources: Array(result.sources.prefix(max(0, room)))))
    }

    /// The turn so far, as `agent`'s (for a summary), or `nil` when nothing was said or answered.
    func partial(agent: String) -> Turn? {
        guard !userText.isEmpty || !answerText.isEmpty else { return nil }
        return Turn(user: userText, assistant: answerText, agent: agent, tools: tools, sources: sources)
    }

    /// Closes the turn as `agent`'s and starts the next; `nil` when it is empty.
    mutating func close(agent: String) -> Turn? {
        guard !isEmpty else { return nil }
        let answer = answers.answer()
        let turn = Turn(user: userText, assistant: answer.text, agent: agent, tools: tools, sources: sources,
                        interrupted: answer.interrupted, heardMs: answer.heardMs)
        answers.finishTurn()
        userText = ""
        tools = []
        sources = []
        return turn
    }
}
