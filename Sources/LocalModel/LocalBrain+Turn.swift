import Foundation
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
        if unanswered.count == 1, let lookup = memory.lookup,
           let resolved = resolve(lookup, output: unanswered[0], items: items, persona: persona, tools: tools, memory: &memory) {
            return resolved
        }
        if !unanswered.isEmpty {
            let text = unanswered.map { answer(output: $0, items: items, persona: persona, tools: tools, memory: &memory) }.joined(separator: " ")
            return followUp(after: text, items: items, lastUser: lastUser, persona: persona, tools: tools, memory: &memory)
        }
        guard let lastUser else { return .say(opening(items, persona: persona)) }
        if memory.pending == nil, memory.awaiting == nil {
            memory.pending = unansweredQuestion(items, before: lastUser, persona: persona, tools: tools)
        }
        let utterance = Utterance(Self.text(of: items[lastUser]))
        guard !utterance.isEmpty else { return .say(persona.fallback) }
        memory.followUps = []
        memory.deferred = []
        return turn(utterance, items: items, lastUser: lastUser, persona: persona, tools: tools).reply(memory: &memory)
    }

    /// A turn deciding `utterance`, said as the user message at `lastUser`.
    private func turn(_ utterance: Utterance, items: [JSONObject], lastUser: Int?, persona: Persona,
                      tools: [(hint: PersonaTool, tool: FunctionTool)]) -> Turn {
        let before = items[..<(lastUser ?? items.count)]
        let earlier = before.filter(Self.isUserMessage).reversed().map { Utterance(Self.text(of: $0)) }
        let previous = before.last { ($0["type"]?.stringValue ?? "message") == "message" && $0["role"]?.stringValue == "assistant" }
        return Turn(brain: self, persona: persona, tools: tools, utterance: utterance, earlier: earlier,
                    previous: previous.map { Self.text(of: $0) },
                    slots: SlotExtractor(today: today(), vocabularies: catalog.speech.words.merging(Self.choices(in: persona)) { own, _ in own }),
                    outputs: before.reversed().filter { $0["type"]?.stringValue == "function_call_output" }.compactMap { $0["output"]?.stringValue })
    }

    /// After answering a tool's output: the utterance's next request, when it held several and
    /// this agent has a tool for it (its call, or the question it needs answered, said after
    /// the answers so far); else every answer given, together. A later request this agent has
    /// no tool for is named, for the caller to ask again.
    private func followUp(after text: String, items: [JSONObject], lastUser: Int?, persona: Persona,
                          tools: [(hint: PersonaTool, tool: FunctionTool)], memory: inout BrainMemory) -> BrainReply {
        var said = memory.deferred + [text]
        memory.deferred = []
        while !memory.followUps.isEmpty {
            let next = memory.followUps.removeFirst()
            let turn = turn(Utterance(next), items: items, lastUser: lastUser, persona: persona, tools: tools)
            guard turn.hasToolSignal else {
                said.append("You also asked \u{201C}\(next)\u{201D}: please ask me that again on its own.")
                continue
            }
            switch turn.reply(memory: &memory) {
            case .call(let name, let arguments):
                memory.deferred = said
                return .call(name: name, arguments: arguments)
            case .say(let question):
                memory.followUps = []
                return .say((said + [question]).joined(separator: " "))
            }
        }
        return .say(said.joined(separator: " "))
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
        guard let output else { return persona.fallback }
        guard let template = template(tool: name, outcome: outcome, persona: persona) else {
            return Self.callControlAnswer(outcome: outcome, output: output, persona: persona) ?? persona.fallback
        }
        return AnswerTemplate.render(template, with: output) ?? persona.fallback
    }

    /// What the agent says after a call-control tool when its persona has no template for it:
    /// a goodbye before the hub hangs up, the destination's own words before a transfer.
    static func callControlAnswer(outcome: String, output: JSONObject, persona: Persona) -> String? {
        switch outcome {
        case "ending": SocialTurn.goodbye.reply(as: persona, previous: nil)
        case "transferring": output["say"]?.stringValue ?? "Please hold while I put you through."
        case "sent": "Done."
        case "error": output["say"]?.stringValue
        default: nil
        }
    }

    /// The listing tool's answer to a lookup: the record the caller meant (the one whose values
    /// share the most words with what they said, else the next upcoming, listed first) gives the
    /// waiting call its identifier and the optional arguments it has a value for; the call is
    /// made, or its next missing argument asked for. `nil` when `output` is not the lookup's.
    private func resolve(_ lookup: BrainMemory.Lookup, output item: JSONObject, items: [JSONObject], persona: Persona,
                         tools: [(hint: PersonaTool, tool: FunctionTool)], memory: inout BrainMemory) -> BrainReply? {
        let callID = item["call_id"]?.stringValue ?? ""
        let call = items.last { $0["type"]?.stringValue == "function_call" && $0["call_id"]?.stringValue == callID }
        guard call?["name"]?.stringValue == lookup.listing else { return nil }
        memory.lookup = nil
        guard let tool = tools.first(where: { $0.tool.name == lookup.task.tool })?.tool else { return nil }
        memory.answeredCalls.insert(callID)
        let output = (item["output"]?.stringValue).flatMap { try? JSONParser.parse($0) }?.objectValue ?? JSONObject()
        let rows = output.members.lazy.compactMap { $0.1.arrayValue }.first?.compactMap(\.objectValue) ?? []
        var arguments = lookup.task.slots
        let identifiers = tool.parameters.filter { $0.pattern != nil && arguments[$0.name] == nil }
        // The record whose identifier was said, else the one the caller's words describe.
        let said = tool.parameters.compactMap { parameter in parameter.pattern != nil ? arguments[parameter.name].map { (parameter.name, $0) } : nil }
        let chosen = rows.first { row in !said.isEmpty && said.allSatisfy { row[$0.0] == $0.1 } } ?? Self.record(in: rows, hint: lookup.hint)
        if chosen == nil, rows.count > 1, let identifier = identifiers.first {
            // Several records and nothing said that tells which: ask, naming them.
            memory.pending = BrainMemory.Task(tool: tool.name, slots: arguments)
            memory.choice = BrainMemory.Choice(task: BrainMemory.Task(tool: tool.name, slots: arguments), rows: rows, changes: lookup.changes)
            return .say(Self.whichOne(rows, identifier: identifier.name))
        }
        if let row = chosen ?? rows.first {
            Self.fill(&arguments, of: tool, from: row, changing: !lookup.changes.isEmpty)
            if !lookup.changes.isEmpty { Self.apply(lookup.changes, to: &arguments, of: tool, from: row) }
        }
        if let missing = tool.requiredParameters.first(where: { arguments[$0.name] == nil }) {
            // No record of the caller's fits: ask, as without the lookup.
            memory.pending = BrainMemory.Task(tool: tool.name, slots: arguments)
            return .say(Self.question(for: missing.name, persona: persona))
        }
        memory.pending = nil
        memory.lastCall = BrainMemory.Task(tool: tool.name, slots: arguments)
        return .call(name: tool.name, arguments: arguments)
    }

    /// Takes the identifiers (parameters with a pattern) `tool` still lacks from a record of the
    /// caller's, and, when the caller asks about the record as it is (they gave no other
    /// argument), its optional arguments too ("when is my delivery?" is about the delivery as booked);
    /// a change leaves the values it does not name out, so they stay as they are.
    static func fill(_ arguments: inout JSONObject, of tool: FunctionTool, from row: JSONObject, changing: Bool = false) {
        let asIs = !changing && !tool.parameters.contains { $0.pattern == nil && arguments[$0.name] != nil }
        for parameter in tool.parameters where arguments[parameter.name] == nil {
            guard parameter.pattern != nil || (asIs && !parameter.isRequired), let value = row[parameter.name], value != .null else { continue }
            arguments[parameter.name] = value
        }
    }

    /// Changes stated against `row` ("a day later", "one more night"), applied to its values;
    /// a required date the change leaves alone keeps the record's ("add a night" keeps the
    /// check-in day).
    static func apply(_ changes: [String: Int], to arguments: inout JSONObject, of tool: FunctionTool, from row: JSONObject) {
        for parameter in tool.parameters {
            if let change = changes[parameter.name] {
                if let value = RelativeChange.base(for: parameter, in: row).flatMap({ RelativeChange.apply(change, to: $0) }) {
                    arguments[parameter.name] = value
                }
            } else if parameter.isRequired, parameter.format == "date", arguments[parameter.name] == nil,
                      let own = RelativeChange.base(for: parameter, in: row) {
                arguments[parameter.name] = own
            }
        }
    }

    /// The one row whose text values share the most of `hint`'s words; `nil` when no row shares
    /// any, or several share as many.
    ///
    /// Rows sharing as many words are told apart by where the words are: the row whose last
    /// matching field comes later wins (a record reads from its start to its end, so "the Lisbon
    /// one" is the trip that ends in Lisbon, not the one that starts there).
    static func record(in rows: [JSONObject], hint: [String]) -> JSONObject? {
        let wanted = Set(hint)
        let scored = rows.map { row -> (row: JSONObject, score: Int, last: Int) in
            let fields = row.members.map { Set(($0.1.stringValue).map(Utterance.words(of:)) ?? []) }
            let score = wanted.intersection(fields.reduce(into: Set<String>()) { $0.formUnion($1) }).count
            let last = fields.lastIndex { !$0.isDisjoint(with: wanted) } ?? -1
            return (row, score, last)
        }
        guard let best = scored.max(by: { ($0.score, $0.last) < ($1.score, $1.last) }), best.score > 0,
              scored.filter({ $0.score == best.score && $0.last == best.last }).count == 1 else { return nil }
        return best.row
    }

    /// "Which one: BKQ431 (SB204, 2026-11-23), or BKR518 (SB311, 2026-11-30)?": each record's
    /// identifier with its first two other text values.
    static func whichOne(_ rows: [JSONObject], identifier: String) -> String {
        let named = rows.prefix(4).map { row -> String in
            let details = row.members.filter { $0.0 != identifier }.compactMap { $0.1.stringValue }.prefix(2)
            let code = row[identifier]?.stringValue ?? ""
            return details.isEmpty ? code : "\(code) (\(details.joined(separator: ", ")))"
        }
        let list = named.count > 1 ? named.dropLast().joined(separator: ", ") + ", or " + named.last! : named.joined()
        return "Which one: \(list)?"
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

    /// The choices the persona's questions offer, by argument: "Is it for a haircut, a colour or
    /// a trim?" offers haircut, colour and trim, each the last word of a choice. Said in any turn, a choice fills its argument.
    static func choices(in persona: Persona) -> [String: [String]] {
        var choices: [String: [String]] = [:]
        for (argument, question) in persona.questions {
            // One question listing short choices: "…, a colour or a trim?"
            let trimmed = question.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasSuffix("?"), !trimmed.dropLast().contains(where: { ".?!".contains($0) }) else { continue }
            let listed = trimmed.dropLast().replacingOccurrences(of: " or ", with: ", ").split(separator: ",")
            guard listed.count >= 2, listed.dropFirst().allSatisfy({ Utterance.words(of: String($0)).count <= 3 }) else { continue }
            let words = listed.compactMap { Utterance.words(of: String($0)).last }
            if words.count == listed.count, Set(words).count == words.count { choices[argument] = words }
        }
        return choices
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
    /// What the agent said last, for "say that again".
    let previous: String?
    let slots: SlotExtractor
    /// The outputs of the tools run so far, latest first: "cancel it" after a listing of one
    /// record is about that record.
    var outputs: [String] = []

    /// Whether the utterance points at one of the tools: a trigger, or a code a tool takes.
    var hasToolSignal: Bool { triggeredTool() != nil || filledTool() != nil }

    func reply(memory: inout BrainMemory) -> BrainReply {
        // Several requests at once: the first now, the others once it is answered.
        if memory.choice == nil, memory.awaiting == nil, memory.pending == nil, memory.lookup == nil {
            let clauses = Clauses.split(utterance.text)
            if clauses.count > 1 {
                let turns = clauses.map { Turn(brain: brain, persona: persona, tools: tools, utterance: Utterance($0), earlier: earlier,
                                               previous: previous, slots: slots, outputs: outputs) }
                if turns.filter(\.hasToolSignal).count >= 2, let first = turns.first {
                    memory.followUps = Array(clauses.dropFirst())
                    return first.reply(memory: &memory)
                }
            }
        }

        // The answer to "Which one: …?": the record whose values were said.
        if let choice = memory.choice {
            memory.choice = nil
            let hint = utterance.words.filter { !Utterance.functionWords.contains($0) }
            if let row = LocalBrain.record(in: choice.rows, hint: hint), let tool = tool(named: choice.task.tool) {
                var arguments = choice.task.slots
                LocalBrain.fill(&arguments, of: tool, from: row, changing: !choice.changes.isEmpty)
                LocalBrain.apply(choice.changes, to: &arguments, of: tool, from: row)
                return prepare(tool, base: arguments, memory: &memory)
            }
        }
        var triggered = triggeredTool()
        // A code the triggered tool does not take, but another tool does: the code decides
        // ("I won't be keeping booking AB1234" is about booking AB1234, not a new one).
        if let picked = triggered, !takesSaidIdentifier(picked), let filled = filledTool() { triggered = filled }
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
        // A goodbye to an agent that can end the call ends it (the tool's triggers say so).
        if let act = SocialTurn.act(of: utterance), !(act == .goodbye && triggered != nil) {
            return .say(act.reply(as: persona, previous: previous))
        }
        if let topic = brain.scope.outOfScope(utterance.text) { return .say(brain.redirect(topic, as: persona)) }
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
        if let wanted = wantedTool() {
            return prepare(wanted, base: JSONObject(), memory: &memory)
        }
        if let filled = filledTool() {
            return prepare(filled, base: JSONObject(), memory: &memory)
        }
        if let changed = changedTool() {
            return prepare(changed, base: JSONObject(), memory: &memory)
        }
        if let described = describedTool() {
            return prepare(described, base: JSONObject(), memory: &memory)
        }
        if let fallback = tools.first(where: \.hint.isFallback), utterance.hasContentWords {
            return prepare(fallback.tool, base: JSONObject(), memory: &memory)
        }
        return .say(brain.answer(utterance.text, as: persona))
    }

    /// The tool whose triggers match the most phrases of the utterance (the first on a tie).
    ///
    /// On a tie, when the caller speaks of a record of their own ("cancel my order"), the
    /// tool that acts on a record (one taking an identifier) wins over one that makes a new one.
    private func triggeredTool() -> FunctionTool? {
        let counted = tools.map { (count: $0.hint.triggers.filter { utterance.contains(phrase: $0) }.count, tool: $0.tool) }
        guard let most = counted.map(\.count).max(), most > 0 else { return nil }
        let tied = counted.filter { $0.count == most }.map(\.tool)
        if tied.count > 1, utterance.words.contains(where: { $0 == "my" || $0 == "our" }),
           let acting = tied.first(where: { $0.parameters.contains { $0.pattern != nil } }) {
            return acting
        }
        return tied.first
    }

    /// The changes the utterance states against `tool`'s values, by parameter: days the first
    /// date parameter moves (unless a date was said outright), how much an integer changes.
    func relativeChanges(for tool: FunctionTool) -> [String: Int] {
        var changes: [String: Int] = [:]
        if let date = tool.parameters.first(where: { $0.format == "date" }), slots.dates(in: utterance).isEmpty,
           let shift = RelativeChange.shift(in: utterance.words) {
            changes[date.name] = shift
        }
        for parameter in tool.parameters where parameter.type == "integer" || parameter.type == "number" {
            if let delta = RelativeChange.delta(of: parameter.name, in: utterance.words) { changes[parameter.name] = delta }
        }
        return changes
    }

    /// With no trigger said: the tool a change stated against a record is for ("add a night",
    /// "a day later"): of the tools whose values the change applies to, the one another tool
    /// confirms (a change is checked before it is made), else the only one.
    private func changedTool() -> FunctionTool? {
        let candidates = tools.filter { $0.hint.confirms == nil && !$0.hint.isFallback && !relativeChanges(for: $0.tool).isEmpty }
        let checked = candidates.filter { candidate in tools.contains { $0.hint.confirms == candidate.tool.name } }
        if checked.count == 1 { return checked[0].tool }
        return candidates.count == 1 ? candidates[0].tool : nil
    }

    /// The identifier of the one record the latest tool output that holds any names ("cancel
    /// it" after "you have one order, AB1234"); `nil` when it names several or none did.
    private func onlyRecord(matching pattern: String) -> String? {
        guard let regex = try? Regex("^(" + pattern.trimmingCharacters(in: CharacterSet(charactersIn: "^$")) + ")$") else { return nil }
        for output in outputs {
            guard let value = try? JSONParser.parse(output) else { continue }
            var found: Set<String> = []
            Self.strings(in: value) { text in if (try? regex.wholeMatch(in: text)) != nil { found.insert(text) } }
            if found.isEmpty { continue }
            return found.count == 1 ? found.first : nil
        }
        return nil
    }

    private static func strings(in value: JSONValue, _ visit: (String) -> Void) {
        if let text = value.stringValue { visit(text) }
        for element in value.arrayValue ?? [] { strings(in: element, visit) }
        for (_, member) in value.objectValue?.members ?? [] { strings(in: member, visit) }
    }

    /// With no trigger said: "I'd like an appointment", "can I get a table", "I need a room":
    /// the caller wants a thing, so the tool that makes one. Of the tools whose description
    /// names the thing, the one whose description starts with a verb of making (books,
    /// reserves, orders, creates, …), when only one does.
    private func wantedTool() -> FunctionTool? {
        let words = utterance.words
        guard let start = (0..<words.count).first(where: { index in
            Self.wanting.contains { phrase in
                let run = phrase.split(separator: " ").map(String.init)
                return index + run.count <= words.count && Array(words[index..<(index + run.count)]) == run
            }
        }) else { return nil }
        let after = words[start...].drop { !["a", "an", "some", "another"].contains($0) }.dropFirst().prefix(3)
        let things = Set(after.filter { !Utterance.functionWords.contains($0) }.map(Self.stem))
        guard !things.isEmpty else { return nil }
        let making = tools.filter { entry in
            guard entry.hint.confirms == nil, !entry.hint.isFallback,
                  let first = Utterance.words(of: entry.tool.description).first, Self.makingVerbs.contains(Self.stem(first)) else { return false }
            return !things.isDisjoint(with: Set(Utterance.words(of: entry.tool.description).map(Self.stem)))
        }
        return making.count == 1 ? making[0].tool : nil
    }

    /// How callers say they want something.
    static let wanting = ["id like", "i would like", "i want", "i need", "can i get", "can i have", "could i get", "could i have",
                          "im looking for", "i am looking for", "book me", "get me", "set me up with", "id love", "i wanna"]
    /// Stems of the verbs a description of a tool that makes something starts with.
    static let makingVerbs: Set<String> = Set(["books", "book", "reserves", "reserve", "orders", "order", "creates", "create", "makes",
                                               "make", "schedules", "schedule", "places", "place", "adds", "add", "registers",
                                               "requests", "buys", "purchases", "opens", "starts"].map(stem))

    /// Whether the utterance gives `tool` a value for one of its identifiers.
    private func takesSaidIdentifier(_ tool: FunctionTool) -> Bool {
        tool.parameters.contains { $0.pattern != nil && slots.value(for: $0, in: utterance) != nil }
    }

    /// With no trigger said but a code the caller gave: the tool that takes the code and whose
    /// required arguments the utterance fills (the one needing the most, when several are
    /// filled: "AB1234 from the 18th" is a change, "AB1234" alone a look-up); else the one it
    /// fills most of. Confirmations and the fallback are never picked.
    private func filledTool() -> FunctionTool? {
        var best: (complete: Bool, filled: Int, tool: FunctionTool)? = nil
        for (hint, tool) in tools where hint.confirms == nil && !hint.isFallback {
            let identifiers = tool.parameters.filter { $0.pattern != nil }
            guard !identifiers.isEmpty else { continue }
            let found = slots.slots(for: tool, in: utterance)
            guard identifiers.contains(where: { found[$0.name] != nil }) else { continue }
            let changes = relativeChanges(for: tool)
            let required = tool.requiredParameters
            let filled = required.filter { found[$0.name] != nil || changes[$0.name] != nil }.count
            let complete = filled == required.count
            if let current = best, (current.complete ? 1 : 0, current.filled) >= (complete ? 1 : 0, filled) { continue }
            best = (complete, filled, tool)
        }
        return best?.tool
    }

    /// With no trigger said: the tool whose description shares the most distinctive words with
    /// the utterance ("on schedule" → the one whose description says "scheduled"), counting each
    /// shared word by how few of the persona's tools mention it; `nil` when none stands out
    /// (then the fallback tool, or the fallback text, answers). Confirmations are never picked.
    private func describedTool() -> FunctionTool? {
        let candidates = tools.filter { $0.hint.confirms == nil }
        guard candidates.count > 1 else { return nil }
        let described = candidates.map { (tool: $0.tool, stems: Set(Utterance.words(of: $0.tool.description).map(Self.stem))) }
        let said = Set(utterance.words.filter { $0.count >= 4 && !Utterance.functionWords.contains($0) && !Self.commonVerbs.contains($0) }.map(Self.stem))
        var frequency: [String: Int] = [:]
        for entry in described { for stem in entry.stems where said.contains(stem) { frequency[stem, default: 0] += 1 } }
        let count = Double(described.count)
        let scores = described.map { entry in
            (tool: entry.tool, score: said.intersection(entry.stems).reduce(0.0) { $0 + log(count / Double(frequency[$1] ?? 1)) })
        }.sorted { $0.score > $1.score }
        guard let best = scores.first, best.score >= Self.describedThreshold, best.score > scores[1].score + 0.01 else { return nil }
        return best.tool
    }

    /// Verbs any request may use, which say nothing about which tool: a description's "use it
    /// when…" is no match for "can I use the gym".
    static let commonVerbs: Set<String> = ["use", "used", "using", "want", "need", "like", "tell", "know", "give", "make", "call", "take",
                                          "help", "look", "find", "check", "wonder", "wondering", "think", "please", "could", "would"]

    /// The least a description's shared words must weigh: one word only this tool mentions,
    /// among three.
    static let describedThreshold = log(3.0) - 0.01

    /// A word without its common English endings ("scheduled", "schedules" → "schedul";
    /// "bookings" → "book"), so a description and an utterance meet on the same stem.
    static func stem(_ word: String) -> String {
        var stem = word.lowercased()
        for _ in 0..<2 {
            guard let suffix = ["ing", "ed", "es", "s", "e"].first(where: { stem.hasSuffix($0) && stem.count - $0.count >= 3 }) else { break }
            stem.removeLast(suffix.count)
        }
        return stem
    }

    /// Whether the caller speaks of a record of their own: "my" (or "our") and, within the next
    /// three words, one that the listing tool's description or name, the wanted tool's name or
    /// the agent's routing keywords use ("my London order", "our booking"); not someone else's ("my son's appointment",
    /// "an order my mum placed").
    private func refersToOwnRecord(_ listing: FunctionTool, for tool: FunctionTool) -> Bool {
        let text = ([listing.description, listing.name, tool.name] + persona.routingKeywords).joined(separator: " ")
            .replacingOccurrences(of: "_", with: " ")
        let described = Set(Utterance.words(of: text).map(Self.stem))
        let words = utterance.words
        for (index, word) in words.enumerated() where word == "my" || word == "our" {
            for next in words[(index + 1)..<min(words.count, index + 4)] {
                // "my son's": the apostrophe is gone from the words ("sons").
                if Self.relatives.contains(next) || (next.hasSuffix("s") && Self.relatives.contains(String(next.dropLast()))) { break }
                if described.contains(Self.stem(next)) { return true }
            }
        }
        return false
    }

    /// People whose records a caller may ask about but whose records are not the caller's.
    static let relatives: Set<String> = [
        "son", "daughter", "mum", "mom", "mother", "dad", "father", "wife", "husband", "partner", "friend", "boss", "colleague",
        "kid", "kids", "child", "children", "brother", "sister", "parents", "family", "grandmother", "grandfather",
    ]

    /// The persona's tool that lists the caller's own records: one that takes no arguments
    /// (the caller is identified by the session), other than `tool` and the fallback.
    private func listingTool(for tool: FunctionTool) -> FunctionTool? {
        tools.first { $0.tool.name != tool.name && !$0.hint.isFallback && $0.hint.confirms == nil && $0.tool.parameters.isEmpty }?.tool
    }

    private func tool(named name: String) -> FunctionTool? {
        tools.first { $0.tool.name == name }?.tool
    }

    /// Whether the utterance gives a value (other than free text) for one of `tool`'s parameters
    /// that `known` does not already hold.
    private func supplied(for tool: FunctionTool, differingFrom known: JSONObject) -> Bool {
        if !relativeChanges(for: tool).isEmpty { return true }
        let found = slots.slots(for: tool, in: utterance)
        return tool.parameters.contains { !$0.isFreeText && found[$0.name] != nil && found[$0.name] != known[$0.name] }
    }

    /// Calls `tool` when every required argument is known, else asks for the first missing one.
    /// Arguments come from the utterance, then `base`, then (for identifiers, which have a
    /// `pattern`) from earlier user messages.
    private func prepare(_ tool: FunctionTool, base: JSONObject, fromUtterance: Bool = true, memory: inout BrainMemory) -> BrainReply {
        var found = fromUtterance ? slots.slots(for: tool, in: utterance) : JSONObject()
        let changes = fromUtterance ? relativeChanges(for: tool) : [:]
        // "Extend it by one night" is a change of one, not a stay of one.
        for name in changes.keys { found[name] = nil }
        var arguments = JSONObject()
        var unresolved: [String: Int] = [:]
        for parameter in tool.parameters {
            if let change = changes[parameter.name] {
                // A change applies to what the call being changed says; else to the record.
                if let value = base[parameter.name].flatMap({ RelativeChange.apply(change, to: $0) }) {
                    arguments[parameter.name] = value
                } else {
                    unresolved[parameter.name] = change
                }
            } else if let value = found[parameter.name] ?? base[parameter.name] {
                arguments[parameter.name] = value
            } else if parameter.isRequired, let pattern = parameter.pattern,
                      let value = earlier.lazy.compactMap({ slots.token(matching: pattern, in: $0) }).first ?? onlyRecord(matching: pattern) {
                arguments[parameter.name] = .string(value)
            }
        }
        // A change stated against a record ("move AB1234 a day later"): the caller's records
        // say what it applies to.
        if !unresolved.isEmpty, memory.lookup == nil, let listing = listingTool(for: tool) {
            memory.pending = nil
            memory.lookup = BrainMemory.Lookup(task: BrainMemory.Task(tool: tool.name, slots: arguments), listing: listing.name,
                                               hint: utterance.words.filter { !Utterance.functionWords.contains($0) }, changes: unresolved)
            return .call(name: listing.name, arguments: JSONObject())
        }
        if let missing = tool.requiredParameters.first(where: { arguments[$0.name] == nil }) {
            // An identifier the caller did not say ("my order"): their own records tell it.
            if missing.pattern != nil, memory.lookup == nil, let listing = listingTool(for: tool), refersToOwnRecord(listing, for: tool) {
                memory.pending = nil
                memory.lookup = BrainMemory.Lookup(task: BrainMemory.Task(tool: tool.name, slots: arguments), listing: listing.name,
                                                   hint: utterance.words.filter { !Utterance.functionWords.contains($0) })
                return .call(name: listing.name, arguments: JSONObject())
            }
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
