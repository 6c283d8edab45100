import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

extension LocalBrain {
    /// The reply to a `response.create`, given the conversation's items and the tools the
    /// session declared.
    ///
    /// Tool outputs not answered yet are answered from the persona's templates. Otherwise the
    /// last user message decides: a yes or no to a pending confirmation, small talk, a tool
    /// picked by its triggers, the continuation of a call that lacked an argument (or of the last
    /// call, given a new value for one of its arguments), a question about what the persona can
    /// do, the persona's fallback tool, or its fallback text.
    public func reply(to items: [JSONObject], as persona: Persona, tools declared: [FunctionTool], memory: inout BrainMemory) -> BrainReply {
        memory.enter(persona.name)
        let tools = usableTools(persona, declared: declared)
        let lastUser = items.lastIndex(where: Self.isUserMessage)
        let outputs = items[(lastUser.map { $0 + 1 } ?? 0)...].reversed().prefix { $0["type"]?.stringValue == "function_call_output" }
        let unanswered = outputs.reversed().filter { !memory.answeredCalls.contains($0["call_id"]?.stringValue ?? "") }
        if !unanswered.isEmpty {
            return .say(unanswered.map { answer(output: $0, items: items, persona: persona, tools: tools, memory: &memory) }.joined(separator: " "))
        }
        guard let lastUser else { return .say(opening(items, persona: persona)) }
        if memory.pending == nil, memory.awaiting == nil {
            memory.pending = unansweredQuestion(items, before: lastUser, persona: persona, tools: tools)
        }
        let utterance = Utterance(Self.text(of: items[lastUser]))
        guard !utterance.isEmpty else { return .say(persona.fallback) }
        let earlier = items[..<lastUser].filter(Self.isUserMessage).reversed().map { Utterance(Self.text(of: $0)) }
        let turn = Turn(brain: self, persona: persona, tools: tools, utterance: utterance, earlier: earlier,
                        slots: SlotExtractor(today: today(), vocabularies: catalog.speech.words))
        return turn.reply(memory: &memory)
    }

    /// The answer to one tool output, from the persona's template for its outcome.
    private func answer(output item: JSONObject, items: [JSONObject], persona: Persona,
                        tools: [(hint: PersonaTool, tool: FunctionTool)], memory: inout BrainMemory) -> String {
        let callID = item["call_id"]?.stringValue ?? ""
        memory.answeredCalls.insert(callID)
        let call = items.last { $0["type"]?.stringValue == "function_call" && $0["call_id"]?.stringValue == callID }
        guard let name = call?["name"]?.stringValue else { return persona.fallback }
        let output = (item["output"]?.stringValue).flatMap { try? JSONParser.parse($0) }?.objectValue
        let outcome = output?["outcome"]?.stringValue ?? "error"
        if outcome == "available", let confirm = tools.first(where: { $0.hint.confirms == name }) {
            let arguments = (call?["arguments"]?.stringValue).flatMap { try? JSONParser.parse($0) }?.objectValue ?? JSONObject()
            memory.awaiting = BrainMemory.Confirmation(check: name, confirm: confirm.tool.name, arguments: arguments)
        } else if memory.awaiting?.check == name || memory.awaiting?.confirm == name {
            memory.awaiting = nil
        }
        guard let output, let template = template(tool: name, outcome: outcome, persona: persona),
              let text = AnswerTemplate.render(template, with: output) else { return persona.fallback }
        return text
    }

    /// The call the conversation was waiting on when the last thing said before the user's turn
    /// is this persona's question for a missing argument, and exactly one of its tools needs that
    /// argument: a resumed session (history replayed after a reconnect or a call back) goes on
    /// where it stopped, though this model's working memory did not survive.
    func unansweredQuestion(_ items: [JSONObject], before lastUser: Int, persona: Persona,
                            tools: [(hint: PersonaTool, tool: FunctionTool)]) -> BrainMemory.Task? {
        guard let asked = items[..<lastUser].last(where: { ($0["type"]?.stringValue ?? "message") == "message" }),
              asked["role"]?.stringValue == "assistant" else { return nil }
        let text = Self.text(of: asked).trimmingWhitespace
        let arguments = Set(tools.flatMap { $0.tool.requiredParameters.map(\.name) })
        guard let argument = arguments.first(where: { Self.question(for: $0, persona: persona) == text }) else { return nil }
        let needing = tools.filter { $0.tool.requiredParameters.contains { $0.name == argument } }
        guard needing.count == 1, let tool = needing.first?.tool else { return nil }
        return BrainMemory.Task(tool: tool.name, slots: JSONObject())
    }

    /// How the persona asks for a missing argument: its own question, or one made from the name.
    static func question(for argument: String, persona: Persona) -> String {
        persona.questions[argument] ?? "What is the \(argument.replacingUnderscores)?"
    }

    /// What the agent says before anyone else has spoken: its greeting, and on a call it is
    /// making, why it is calling.
    func opening(_ items: [JSONObject], persona: Persona) -> String {
        let purpose = items.lazy.filter { $0["role"]?.stringValue == "system" }
            .compactMap { OutboundCall.purpose(in: Self.text(of: $0)) }.last
        guard let purpose else { return persona.greeting }
        return "Hello, I'm calling about " + purpose + ". " + persona.greeting
    }

    static func isUserMessage(_ item: JSONObject) -> Bool {
        (item["type"]?.stringValue ?? "message") == "message" && item["role"]?.stringValue == "user"
    }

    /// The text of a message: its typed text and transcripts, joined.
    static func text(of item: JSONObject) -> String {
        (item["content"]?.arrayValue ?? []).compactMap { part -> String? in
            guard let part = part.objectValue else { return nil }
            return part["text"]?.stringValue ?? part["transcript"]?.stringValue
        }.joined(separator: " ")
    }
}

/// One user turn being decided.
private struct Turn {
    let brain: LocalBrain
    let persona: Persona
    let tools: [(hint: PersonaTool, tool: FunctionTool)]
    let utterance: Utterance
    /// Earlier user messages, latest first.
    let earlier: [Utterance]
    let slots: SlotExtractor

    func reply(memory: inout BrainMemory) -> BrainReply {
        let triggered = triggeredTool()
        if let awaiting = memory.awaiting, triggered == nil || triggered?.name == awaiting.check {
            let check = tool(named: awaiting.check)
            let changed = check.map { supplied(for: $0, differingFrom: awaiting.arguments) } ?? false
            if changed, let check {
                return prepare(check, base: awaiting.arguments, memory: &memory)
            }
            switch utterance.agreement {
            case .yes:
                guard let confirm = tool(named: awaiting.confirm) else { break }
                return prepare(confirm, base: awaiting.arguments, fromUtterance: false, memory: &memory)
            case .no:
                memory.awaiting = nil
                memory.pending = nil
                return .say(LocalBrain.declined)
            case nil:
                break
            }
        }
        let pending = memory.pending.flatMap { task in tool(named: task.tool).map { (task: task, tool: $0) } }
        if let pending, triggered == nil, utterance.agreement == .no,
           !supplied(for: pending.tool, differingFrom: pending.task.slots) {
            memory.pending = nil
            return .say(LocalBrain.declined)
        }
        if let answer = brain.smallTalk(utterance.words, as: persona) { return .say(answer) }
        if let triggered {
            var base = JSONObject()
            if let pending, pending.tool.name == triggered.name { base = pending.task.slots }
            if let awaiting = memory.awaiting, awaiting.check == triggered.name { base = awaiting.arguments }
            return prepare(triggered, base: base, memory: &memory)
        }
        if let pending, supplied(for: pending.tool, differingFrom: pending.task.slots) {
            return prepare(pending.tool, base: pending.task.slots, memory: &memory)
        }
        if let last = memory.lastCall, let lastTool = tool(named: last.tool), supplied(for: lastTool, differingFrom: last.slots) {
            return prepare(lastTool, base: last.slots, memory: &memory)
        }
        if brain.asksForHelp(utterance.words) { return .say(brain.help(persona)) }
        if let fallback = tools.first(where: \.hint.isFallback), utterance.hasContentWords {
            return prepare(fallback.tool, base: JSONObject(), memory: &memory)
        }
        return .say(brain.answer(utterance.text, as: persona))
    }

    /// The tool whose triggers match the most phrases of the utterance (the first on a tie).
    private func triggeredTool() -> FunctionTool? {
        var best: (count: Int, tool: FunctionTool)? = nil
        for (hint, tool) in tools {
            let count = hint.triggers.filter { utterance.contains(phrase: $0) }.count
            if count > 0, count > best?.count ?? 0 { best = (count, tool) }
        }
        return best?.tool
    }

    private func tool(named name: String) -> FunctionTool? {
        tools.first { $0.tool.name == name }?.tool
    }

    /// Whether the utterance gives a value (other than free text) for one of `tool`'s parameters
    /// that `known` does not already hold.
    private func supplied(for tool: FunctionTool, differingFrom known: JSONObject) -> Bool {
        let found = slots.slots(for: tool, in: utterance)
        return tool.parameters.contains { !$0.isFreeText && found[$0.name] != nil && found[$0.name] != known[$0.name] }
    }

    /// Calls `tool` when every required argument is known, else asks for the first missing one.
    /// Arguments come from the utterance, then `base`, then (for identifiers, which have a
    /// `pattern`) from earlier user messages.
    private func prepare(_ tool: FunctionTool, base: JSONObject, fromUtterance: Bool = true, memory: inout BrainMemory) -> BrainReply {
        let found = fromUtterance ? slots.slots(for: tool, in: utterance) : JSONObject()
        var arguments = JSONObject()
        for parameter in tool.parameters {
            if let value = found[parameter.name] ?? base[parameter.name] {
                arguments[parameter.name] = value
            } else if parameter.isRequired, let pattern = parameter.pattern,
                      let value = earlier.lazy.compactMap({ slots.token(matching: pattern, in: $0) }).first {
                arguments[parameter.name] = .string(value)
            }
        }
        if let missing = tool.requiredParameters.first(where: { arguments[$0.name] == nil }) {
            memory.pending = BrainMemory.Task(tool: tool.name, slots: arguments)
            // A question about something else ends the wait for a yes.
            if let awaiting = memory.awaiting, ![awaiting.check, awaiting.confirm].contains(tool.name) { memory.awaiting = nil }
            return .say(LocalBrain.question(for: missing.name, persona: persona))
        }
        memory.pending = nil
        memory.awaiting = nil
        let confirms = tools.contains { $0.tool.name == tool.name && $0.hint.confirms != nil }
        memory.lastCall = confirms ? nil : BrainMemory.Task(tool: tool.name, slots: arguments)
        return .call(name: tool.name, arguments: arguments)
    }
}
