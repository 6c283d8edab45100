import Foundation
import RealtimeProtocol

/// One session's conversation: a value type with no I/O. It is given what happened (client and
/// model events, connection changes) and answers with actions for its driver to carry out.
///
/// It owns the small shared state of a session: the active agent, the client's part of the
/// session configuration, whether a response is under way, the turn being built and the history.
public struct Conversation: Sendable {
    /// Fixed for the life of the connection.
    public struct Configuration: Sendable {
        public var sessionKey: String
        /// Whether the client asked for `hub.*` events.
        public var hubEvents: Bool
        /// The model name the client asked for, reported back in `session.model`.
        public var requestedModel: String?
        /// The dialect the model session speaks.
        public var modelDialect: Dialect
        /// How many turns of history to keep.
        public var historyTurns: Int
        /// Every agent the session can be handed to, by name, with this customer's details filled
        /// in: a snapshot taken when the session starts.
        public var agents: [String: AgentProfile]
        /// Picks the agent for each finished user utterance; `nil` keeps the first agent.
        public var router: (any UtteranceRouter)?
        /// The tools the hub runs. A function call for any other name that the client did not
        /// declare is answered with an error output.
        public var hubTools: Set<String>

        /// The most text one conversation item may carry (message content, a function call's
        /// output), in UTF-8 bytes.
        public var maxItemBytes: Int
        /// Whether the saved history is replayed into the model and listed in `hub.session.ready`
        /// (it is kept and saved either way).
        public var replayHistory = true
        /// The client's settings the session starts with (a client secret's session), as if the
        /// client had sent them; instructions, voice and tools stay the agent's.
        public var initialClientSession: SessionConfig?

        public init(sessionKey: String, hubEvents: Bool, requestedModel: String?, modelDialect: Dialect, historyTurns: Int,
                    agents: [String: AgentProfile] = [:], router: (any UtteranceRouter)? = nil, hubTools: Set<String> = [],
                    maxItemBytes: Int = Conversation.defaultMaxItemBytes, replayHistory: Bool = true,
                    initialClientSession: SessionConfig? = nil) {
            self.maxItemBytes = maxItemBytes
            self.replayHistory = replayHistory
            self.initialClientSession = initialClientSession
            self.sessionKey = sessionKey
            self.hubEvents = hubEvents
            self.requestedModel = requestedModel
            self.modelDialect = modelDialect
            self.historyTurns = historyTurns
            self.agents = agents
            self.router = router
            self.hubTools = hubTools
        }
    }

    /// What happened.
    public enum Input: Sendable {
        /// The connection is up; nothing has been sent yet.
        case started
        /// A client event the relay held back or observed.
        case client(RealtimeEvent, route: EventRoute)
        /// A model event the relay held back or observed.
        case model(RealtimeEvent, route: EventRoute)
        /// The model session could not be opened.
        case modelFailed(ModelError)
        /// The model session ended without being asked to.
        case modelClosed(ModelError?)
        /// The client went away.
        case clientClosed
        /// The hub is shutting down or the session was taken over.
        case shutdown(code: UInt16, reason: String)
        /// A tool the conversation asked for has finished.
        case toolFinished(ToolCallResult)
        /// A tool call has run long: the agent may say `filler` ("One moment while I check.").
        case toolSlow(callID: String, filler: String)
        /// The hub has the agent say `sentence` word for word, out of band (an idle caller's
        /// reprompt, a transfer that failed); `purpose` names it in the response's metadata.
        /// Dropped when something is being said, like a filler.
        case say(String, purpose: String)
        /// Another connection for this session key (here or on another replica) takes over.
        case takenOver
        /// Audio the relay passed from the model straight to the client since the model event
        /// it handed over last: how many delta events, and their size in bytes. It tells how
        /// long an answer's audio is, to know how much of it a user heard who talked over it.
        case modelAudio(events: Int, bytes: Int)
    }

    /// What the driver should do, in order.
    public enum Action: Sendable, Equatable {
        case sendToClient(RealtimeEvent)
        case sendToModel(RealtimeEvent)
        /// Save this state.
        case save(SessionState)
        /// Close the client connection with this WebSocket close code and reason, and the model session.
        case close(code: UInt16, reason: String)
        /// Run this tool and hand its result back as `.toolFinished`. Tools run beside the
        /// conversation: other inputs keep arriving while one runs.
        case runTool(ToolCallRequest)
        /// Stop these running tool calls; each still finishes with a `.toolFinished` (outcome
        /// `cancelled` when it was stopped in time).
        case cancelTools([String])
        /// The active agent changed (for logs and metrics; hub clients get an event as well).
        case agentSwitched(from: String, to: String, reason: String)
    }

    public let configuration: Configuration
    public private(set) var state: SessionState
    public private(set) var agent: AgentProfile
    /// The dialect the client speaks; it may be learnt from the shape of its first `session.update`.
    public var clientDialect: Dialect { session.clientDialect }
    /// The client's own session settings (formats, turn detection, modalities, …).
    public var clientConfig: SessionConfig { session.clientConfig }
    public let resumed: Bool

    /// Who sent each `session.update` the model has not answered yet.
    /// The session as the client and as the model see it.
    private var session: SessionTranslation
    /// One response at a time; requests wait and coalesce.
    private var responses = ResponseGate()
    /// The turn being built.
    private var turn = TurnBuilder()
    /// The calls the hub runs, hidden from the client.
    private var calls = HubCalls()
    private var closed = false

    /// A `response.created` not shown yet: a response made only of hub tool calls stays hidden.
    private var heldResponseCreated: RealtimeEvent?
    /// A route decided outside (by a classifier) for the next utterance with this text.
    private var routeHint: (utterance: String, choice: RouteChoice)?
    /// `input_audio_buffer.clear`s the hub sent whose `cleared` the client must not see.
    private var hubClears = 0
    /// The model's conversation items, oldest first (for a summary handoff).
    private var modelItemIDs: [String] = []
    /// Items the hub deleted; their `conversation.item.deleted` is not the client's business.
    private var hubDeletedIDs: Set<String> = []

    public init(configuration: Configuration, state: SessionState, agent: AgentProfile, clientDialect: Dialect, resumed: Bool) {
        self.configuration = configuration
        self.state = state
        self.agent = agent
        self.resumed = resumed
        self.session = SessionTranslation(modelDialect: configuration.modelDialect, requestedModel: configuration.requestedModel,
                                          clientDialect: clientDialect, initial: configuration.initialClientSession)
    }

    /// Whether the session has ended (closed, taken over, shut down): its last state is saved.
    public var isClosed: Bool { closed }

    /// Whether a response is being generated or has been asked for.
    public var isResponding: Bool { responses.isResponding }

    // MARK: - Handling inputs

    public mutating func handle(_ input: Input) -> [Action] {
        guard !closed else { return [] }
        switch input {
        case .started:
            guard configuration.hubEvents else { return [] }
            return [.sendToClient(hubSessionReady())]
        case .client(let event, let route):
            return handleClient(event, route: route)
        case .model(let event, let route):
            return handleModel(event, route: route)
        case .modelFailed(let error):
            closed = true
            let failure = RealtimeError.server("model_unavailable", "The model could not be reached: \(error.message)")
            return [.sendToClient(failure.event), .close(code: 1011, reason: "model unavailable")]
        case .modelClosed(let error):
            closed = true
            let message = error.map { "The model session ended: \($0.message)" } ?? "The model session ended."
            return saveIfNeeded() + [
                .sendToClient(RealtimeError.server("model_disconnected", message).event),
                .close(code: 1011, reason: "model session ended"),
            ]
        case .clientClosed:
            closed = true
            return saveIfNeeded() + [.close(code: 1000, reason: "client closed")]
        case .shutdown(let code, let reason):
            closed = true
            return saveIfNeeded() + [.close(code: code, reason: reason)]
        case .toolFinished(let result):
            return toolFinished(result)
        case .toolSlow(let callID, let filler):
            guard calls.running.contains(callID), !calls.fillerSaid else { return [] }
            let actions = say(filler, metadata: [("switchboard", .string("filler")), ("call_id", .string(callID))])
            if !actions.isEmpty { calls.noteFiller() }
            return actions
        case .say(let sentence, let purpose):
            return say(sentence, metadata: [("switchboard", .string(purpose))])
        case .modelAudio(let events, let bytes):
            turn.answers.audioSent(milliseconds: audioMilliseconds(events: events, bytes: bytes))
            return []
        case .takenOver:
            closed = true
            let notice: RealtimeEvent
            if configuration.hubEvents {
                notice = RealtimeEvent(type: "hub.session.taken_over", [
                    ("event_id", .string(RealtimeID.event())), ("session_key", .string(configuration.sessionKey)),
                    ("reason", .string("A new connection for this session took it over.")),
                ])
            } else {
                notice = RealtimeError.invalidRequest(
                    "session_taken_over", "A new connection for this session key took the session over; this one is closed.").event
            }
            // Always saved: the new owner waits for this write before it loads the state.
            let save = saveIfNeeded()
            return (save.isEmpty ? [.save(nextVersion())] : save)
                + [.sendToClient(notice), .close(code: Self.takenOverCloseCode, reason: "session taken over")]
        }
    }

    // MARK: Client events

    private mutating func handleClient(_ event: RealtimeEvent, route: EventRoute) -> [Action] {
        switch event.type {
        case "session.update", "transcription_session.update":
            return clientSessionUpdate(event)
        case "response.create":
            var event = event
            if event.eventID == nil { event.eventID = RealtimeID.make("evt_client") }
            if let refusal = checkResponseCreate(&event) { return [.sendToClient(refusal.event)] }
            return requestResponse(event)
        case "response.cancel" where !calls.running.isEmpty:
            // The answer the client cancels is the one the running tools would lead to (the
            // event itself has gone on to the model, which ends a response it is making).
            responses.dropWaiting()
            return [.cancelTools(calls.cancelRunning())]
        case "conversation.item.create":
            if let refusal = checkItemCreate(event) { return [.sendToClient(refusal.event)] }
            var actions: [Action] = route == .intercept ? [.sendToModel(event)] : []
            if let item = event["item"]?.objectValue, item["type"]?.stringValue ?? "message" == "message",
               item["role"]?.stringValue == "user" {
                actions += routeUtterance(Self.text(ofContent: item["content"]?.arrayValue ?? []))
            }
            return actions
        default:
            // Observed events were already forwarded; intercepted ones not handled above pass on.
            return route == .intercept ? [.sendToModel(event)] : []
        }
    }

    /// Asks the model for a response, one at a time: while one is under way (or an utterance is
    /// still being transcribed and routed) the request waits, and one waiting request stands for
    /// all that arrive meanwhile.
    private mutating func requestResponse(_ event: RealtimeEvent? = nil) -> [Action] {
        let request = responses.request(event, toolsRunning: !calls.running.isEmpty, newID: { RealtimeID.make(Self.hubEventPrefix + "evt") })
        return request.map { [.sendToModel($0)] } ?? []
    }

    /// Sends a waiting response request once nothing stands in its way.
    private mutating func releaseQueuedResponse() -> [Action] {
        let request = responses.release(toolsRunning: !calls.running.isEmpty, newID: { RealtimeID.make(Self.hubEventPrefix + "evt") })
        return request.map { [.sendToModel($0)] } ?? []
    }

    private mutating func clientSessionUpdate(_ event: RealtimeEvent) -> [Action] {
        guard let update = event["session"]?.objectValue else {
            return [.sendToClient(RealtimeError.invalidRequest(
                "missing_required_parameter", "session.update needs a 'session' object.", param: "session", eventID: event.eventID).event)]
        }
        switch session.clientUpdate(update, eventID: event.eventID, reserved: configuration.hubTools) {
        case .failure(let error):
            return [.sendToClient(error.event)]
        case .success(let (changes, eventID)):
            return [.sendToModel(session.modelUpdate(eventID: eventID, changes: changes, agent: agent))]
        }
    }

    // MARK: Routing

    /// Decides the route of the next utterance `utterance` ahead of time (a classifier's answer);
    /// the offline router decides any other.
    public mutating func provideRoute(_ choice: RouteChoice, for utterance: String) {
        routeHint = (utterance.trimmingCharacters(in: .whitespacesAndNewlines), choice)
    }

    /// The finished user utterance an input carries, if any: a user text item from the client
    /// or the transcript of committed audio.
    public static func utterance(in input: Input) -> String? {
        switch input {
        case .client(let event, _) where event.type == "conversation.item.create":
            guard let item = event["item"]?.objectValue, item["type"]?.stringValue ?? "message" == "message",
                  item["role"]?.stringValue == "user" else { return nil }
            let text = text(ofContent: item["content"]?.arrayValue ?? [])
            return text.isEmpty ? nil : text
        case .model(let event, _) where event.type == "conversation.item.input_audio_transcription.completed":
            return event["transcript"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        default:
            return nil
        }
    }

    /// Runs the router on a finished user utterance and hands the conversation over when the
    /// utterance belongs to another agent: cancel what is under way, clear the input buffer,
    /// give the model the new agent, keep the history. The new agent answers the utterance.
    private mutating func routeUtterance(_ text: String, itemID: String? = nil) -> [Action] {
        let utterance = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !utterance.isEmpty else { return [] }
        let choice: RouteChoice
        if let hint = routeHint, hint.utterance == utterance {
            routeHint = nil
            choice = hint.choice
        } else if let router = configuration.router {
            let last = state.history.last.flatMap { $0.agent == agent.name ? $0.assistant : nil }
            choice = router.route(utterance, current: agent.name, asked: last)
        } else {
            return []
        }
        guard choice.agent != agent.name, let next = configuration.agents[choice.agent] else { return [] }
        var actions: [Action] = []
        if responses.isActive {
            actions.append(.sendToModel(RealtimeEvent(type: "response.cancel", [("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt")))])))
        }
        hubClears += 1
        actions.append(.sendToModel(RealtimeEvent(type: "input_audio_buffer.clear", [("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt")))])))
        let previous = agent.name
        agent = next
        let eventID = RealtimeID.make(Self.hubEventPrefix + "evt")
        session.hubUpdate(eventID)
        actions.append(.sendToModel(session.modelUpdate(eventID: eventID, agent: next)))
        if next.summarizesOnHandoff {
            actions += summarizeContext(keeping: itemID, for: next, from: previous)
        }
        if configuration.hubEvents {
            actions.append(.sendToClient(RealtimeEvent(type: "hub.agent.switched", [
                ("event_id", .string(RealtimeID.event())), ("from", .string(previous)), ("to", .string(next.name)),
                ("reason", .string(choice.reason)),
            ])))
        }
        actions.append(.agentSwitched(from: previous, to: next.name, reason: choice.reason))
        return actions
    }

    /// Replaces the model's items before the utterance with one system message summarising
    /// the turns so far, for an agent that starts from a summary rather than the whole context.
    private mutating func summarizeContext(keeping itemID: String?, for next: AgentProfile, from previous: String) -> [Action] {
        var actions: [Action] = []
        for id in modelItemIDs where id != itemID {
            hubDeletedIDs.insert(id)
            actions.append(.sendToModel(RealtimeEvent(type: "conversation.item.delete", [
                ("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt"))), ("item_id", .string(id)),
            ])))
        }
        modelItemIDs.removeAll { $0 != itemID }
        var lines: [String] = []
        var turns = state.history
        if let partial = turn.partial(agent: previous) { turns.append(partial) }
        for turn in turns.suffix(configuration.historyTurns) {
            var line = "The caller said: \"\(turn.user)\"."
            if !turn.assistant.isEmpty { line += " The \(turn.agent) agent answered: \"\(turn.assistant)\"." }
            lines.append(line)
        }
        guard !lines.isEmpty else { return actions }
        let summary = "Summary of the conversation before the caller was handed to you (\(next.name)): " + lines.joined(separator: " ")
        let item = JSONObject([
            ("id", .string(RealtimeID.make(Self.hubItemPrefix))), ("type", .string("message")), ("role", .string("system")),
            ("content", .array([.object(JSONObject([("type", .string("input_text")), ("text", .string(summary))]))])),
        ])
        actions.append(.sendToModel(RealtimeEvent(type: "conversation.item.create", [
            ("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt"))), ("previous_item_id", .string("root")), ("item", .object(item)),
        ])))
        return actions
    }

    // MARK: Model events

    private mutating func handleModel(_ event: RealtimeEvent, route: EventRoute) -> [Action] {
        switch event.type {
        case "session.created":
            var actions: [Action] = [.sendToClient(session.forClient(sessionEvent: event))]
            actions.append(.sendToModel(agentSessionUpdate()))
            actions.append(contentsOf: historyReplay())
            return actions
        case "session.updated", "transcription_session.updated":
            return session.answered() == .hub ? [] : [.sendToClient(session.forClient(sessionEvent: event))]
        case "error":
            return modelError(event)
        case "response.created":
            responses.started()
            // Shown with the response's first output the client may see.
            heldResponseCreated = event
            return []
        case "response.output_item.added":
            guard let item = event["item"]?.objectValue else { return pass(event, route) }
            if isHubCall(item) {
                calls.hide(itemID: item["id"]?.stringValue)
                calls.claim(callID: item["call_id"]?.stringValue)
                return []
            }
            if item["type"]?.stringValue == "message", let id = item["id"]?.stringValue {
                if responses.activeIsOutOfBand { turn.answers.outOfBandItemStarted() } else { turn.answers.itemStarted(id) }
            }
            return releaseHeldResponse() + pass(event, route)
        case "response.function_call_arguments.delta":
            return calls.isHidden(event) ? [] : pass(event, route)
        case "response.function_call_arguments.done":
            guard calls.isHidden(event) || (event["name"]?.stringValue).map({ !session.clientToolNames.contains($0) }) == true else {
                return pass(event, route)
            }
            let callID = event["call_id"]?.stringValue ?? RealtimeID.make("call")
            calls.start(callID: callID, itemID: event["item_id"]?.stringValue)
            return [.runTool(ToolCallRequest(callID: callID, name: event["name"]?.stringValue ?? "", arguments: event["arguments"]?.stringValue ?? ""))]
        case "response.output_item.done":
            return calls.isHidden(event) ? [] : pass(event, route)
        case "response.done":
            return responseDone(event, route: route)
        case "conversation.item.deleted":
            if let id = event["item_id"]?.stringValue {
                modelItemIDs.removeAll { $0 == id }
                if hubDeletedIDs.remove(id) != nil { return [] }
            }
            return pass(event, route)
        case "conversation.item.added", "conversation.item.created", "conversation.item.done":
            guard let item = event["item"]?.objectValue else { return pass(event, route) }
            if event.type != "conversation.item.done", let id = item["id"]?.stringValue, !modelItemIDs.contains(id) {
                modelItemIDs.append(id)
            }
            if let id = item["id"]?.stringValue, calls.isHidden(itemID: id) || id.hasPrefix(Self.hubItemPrefix) { return [] }
            switch item["type"]?.stringValue {
            case "function_call" where isHubCall(item):
                calls.hide(itemID: item["id"]?.stringValue)
                return []
            case "function_call_output":
                if let callID = item["call_id"]?.stringValue, calls.owns(callID: callID) {
                    calls.hide(itemID: item["id"]?.stringValue)
                    return []
                }
            default:
                // Replayed history is not something the caller just said.
                if event.type != "conversation.item.done", item["role"]?.stringValue == "user",
                   item["id"]?.stringValue?.hasPrefix(Self.historyItemPrefix) != true {
                    let text = Self.text(ofContent: item["content"]?.arrayValue ?? [])
                    if !text.isEmpty { turn.appendUser(text) }
                }
            }
            return pass(event, route)
        case "input_audio_buffer.committed":
            if let id = event["item_id"]?.stringValue, session.transcriptionOn { responses.awaitTranscript(id) }
            return pass(event, route)
        case "input_audio_buffer.cleared":
            if hubClears > 0 {
                hubClears -= 1
                return []
            }
            return pass(event, route)
        case "conversation.item.input_audio_transcription.completed":
            var actions = pass(event, route)
            let transcript = event["transcript"]?.stringValue ?? ""
            if !transcript.isEmpty { turn.appendUser(transcript) }
            actions += routeUtterance(transcript, itemID: event["item_id"]?.stringValue)
            actions += transcriptArrived(event)
            return actions
        case "conversation.item.input_audio_transcription.failed":
            return pass(event, route) + transcriptArrived(event)
        case "conversation.item.truncated":
            return pass(event, route) + itemTruncated(event)
        default:
            return pass(event, route)
        }
    }

    /// An utterance's transcript (or its failure) arrived: answer it if the client's turn
    /// detection wants answers, or send the response request that waited for it.
    private mutating func transcriptArrived(_ event: RealtimeEvent) -> [Action] {
        let id = event["item_id"]?.stringValue
        let wasAwaited = id.map { responses.transcriptArrived($0) } ?? false
        if session.clientAutoResponse && (wasAwaited || id == nil) {
            return requestResponse()
        }
        return releaseQueuedResponse()
    }

    /// Passes an event the relay held back; observed and forwarded events already went.
    private func pass(_ event: RealtimeEvent, _ route: EventRoute) -> [Action] {
        route == .intercept ? [.sendToClient(event)] : []
    }

    /// Whether `name` is a function the client declared itself.
    func clientOwns(_ name: String?) -> Bool {
        name.map(session.clientToolNames.contains) ?? false
    }

    /// Whether `callID` is a call the hub runs (or ran) in this session.
    func isHubCallID(_ callID: String) -> Bool {
        calls.owns(callID: callID)
    }

    /// Whether a function-call item is the hub's to run: any name the client did not declare.
    private func isHubCall(_ item: JSONObject) -> Bool {
        guard item["type"]?.stringValue == "function_call" else { return false }
        return !session.clientToolNames.contains(item["name"]?.stringValue ?? "")
    }

    private mutating func releaseHeldResponse() -> [Action] {
        guard let held = heldResponseCreated else { return [] }
        heldResponseCreated = nil
        return [.sendToClient(held)]
    }

    private mutating func responseDone(_ event: RealtimeEvent, route: EventRoute) -> [Action] {
        responses.finished()
        if responses.activeIsOutOfBand {
            // Outside the conversation (a filler): shown, but no part of the turn.
            return releaseHeldResponse() + [.sendToClient(event)] + releaseQueuedResponse()
        }
        let response = event["response"]?.objectValue
        let output = response?["output"]?.arrayValue ?? []
        let visible = output.filter { item in
            guard let item = item.objectValue else { return true }
            if let id = item["id"]?.stringValue, calls.isHidden(itemID: id) { return false }
            return !isHubCall(item)
        }
        let madeHubCalls = visible.count < output.count
        turn.collect(output: output)
        var actions: [Action] = []
        if madeHubCalls && visible.isEmpty && heldResponseCreated != nil {
            // A response of hub tool calls only: the client sees the answer that follows instead.
            heldResponseCreated = nil
        } else {
            actions += releaseHeldResponse()
            var shown = event
            if madeHubCalls, var object = response {
                object["output"] = .array(visible)
                shown["response"] = .object(object)
            }
            actions.append(.sendToClient(shown))
        }
        let hubCallIDs = output.compactMap { item -> String? in
            guard let item = item.objectValue, isHubCall(item) else { return nil }
            return item["call_id"]?.stringValue
        }
        if madeHubCalls && response?["status"]?.stringValue == "completed" {
            // Unless the client cancelled every call it made (their results may have come
            // first): nobody waits for that answer.
            if !calls.allCancelled(hubCallIDs) { responses.followUpNeeded = true }
        } else if !madeHubCalls || response?["status"]?.stringValue != "completed" {
            actions += finishTurn()
        }
        actions += releaseQueuedResponse()
        return actions
    }

    /// A tool the hub ran has finished: its output goes to the model, and once every call of
    /// the response is answered, the model is asked to go on.
    private mutating func toolFinished(_ result: ToolCallResult) -> [Action] {
        guard let finish = calls.finish(callID: result.callID) else { return [] }
        turn.record(result)
        var actions: [Action] = [.sendToModel(RealtimeEvent(type: "conversation.item.create", [
            ("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt"))),
            ("item", .object(JSONObject([
                ("type", .string("function_call_output")), ("call_id", .string(result.callID)), ("output", .string(result.output)),
            ]))),
        ]))]
        if configuration.hubEvents {
            let arguments = (try? JSONParser.parse(result.arguments)) ?? .string(result.arguments)
            let output = (try? JSONParser.parse(result.output)) ?? .string(result.output)
            actions.append(.sendToClient(RealtimeEvent(type: "hub.tool.result", [
                ("event_id", .string(RealtimeID.event())), ("agent", .string(agent.name)), ("tool", .string(result.name)),
                ("call_id", .string(result.callID)), ("arguments", arguments), ("outcome", .string(result.outcome)),
                ("output", output), ("sources", .array(result.sources)),
            ])))
        }
        if finish == .answered { responses.followUpNeeded = true }
        if finish == .cancelled && calls.running.isEmpty && responses.queued == nil {
            responses.followUpNeeded = false
            return actions + finishTurn()
        }
        actions += releaseQueuedResponse()
        return actions
    }

    /// A call has run long: the agent says `sentence` out of band (kept out of the conversation
    /// and its history), once per wait, and only when nothing is being said or waits to be.
    /// Only a session that outputs audio hears one: a text client sees its answer when it comes.
    /// An out-of-band response saying `sentence` word for word, for sessions that hear audio.
    private mutating func say(_ sentence: String, metadata: [(String, JSONValue)]) -> [Action] {
        guard clientConfig.outputModalities?.contains("audio") == true else { return [] }
        let request = RealtimeEvent(type: "response.create", [
            ("event_id", .string(RealtimeID.make(Self.hubEventPrefix + "evt"))),
            ("response", .object(JSONObject([
                ("conversation", .string("none")),
                ("input", .array([])),
                ("instructions", .string(SpokenVerbatim.instructions(sentence))),
                ("tool_choice", .string("none")),
                ("metadata", .object(JSONObject(metadata))),
            ]))),
        ])
        guard let sent = responses.requestOutOfBand(request) else { return [] }
        return [.sendToModel(sent)]
    }

    private mutating func modelError(_ event: RealtimeEvent) -> [Action] {
        let error = RealtimeError(event: event)
        if let id = error?.eventID {
            if session.refused(id) == .hub { return [] }
            responses.refused(id)
            if id.hasPrefix(Self.hubEventPrefix) { return releaseQueuedResponse() }
        }
        return [.sendToClient(event)] + releaseQueuedResponse()
    }

    private static let hubEventPrefix = "hub_"
    /// The WebSocket close code of a session another connection took over (an application code).
    public static let takenOverCloseCode: UInt16 = 4000
    /// User items replayed from the saved history carry ids with this prefix.
    private static let historyItemPrefix = "hub_hist"
    /// Items the hub itself puts in the model's conversation (summaries) carry ids with this prefix.
    private static let hubItemPrefix = "hub_item"

    /// The active agent's instructions, voice and tools, with the client's own settings.
    private mutating func agentSessionUpdate() -> RealtimeEvent {
        let eventID = RealtimeID.make("hub_evt")
        session.hubUpdate(eventID)
        return session.modelUpdate(eventID: eventID, agent: agent)
    }

    /// The saved history, replayed into a new model session as conversation items.
    private func historyReplay() -> [Action] {
        var actions: [Action] = []
        guard configuration.replayHistory else { return [] }
        let assistantContentType = configuration.modelDialect == .ga ? "output_text" : "text"
        for turn in state.history {
            if !turn.user.isEmpty {
                actions.append(.sendToModel(Self.itemCreate(role: "user", contentType: "input_text", text: turn.user,
                                                            id: RealtimeID.make(Self.historyItemPrefix))))
            }
            if !turn.assistant.isEmpty {
                actions.append(.sendToModel(Self.itemCreate(role: "assistant", contentType: assistantContentType, text: turn.assistant)))
            }
        }
        return actions
    }

    private static func itemCreate(role: String, contentType: String, text: String, id: String? = nil) -> RealtimeEvent {
        var item = JSONObject()
        if let id { item["id"] = .string(id) }
        item["type"] = .string("message")
        item["role"] = .string(role)
        item["content"] = .array([.object(JSONObject([("type", .string(contentType)), ("text", .string(text))]))])
        return RealtimeEvent(type: "conversation.item.create", [
            ("event_id", .string(RealtimeID.make("hub_evt"))),
            ("item", .object(item)),
        ])
    }

    // MARK: Turns and history

    /// Closes the turn: the utterance, what the user heard of the answer, the tools called and
    /// their sources go into the history.
    private mutating func finishTurn() -> [Action] {
        guard let closed = turn.close(agent: agent.name) else { return [] }
        state.append(closed, keeping: configuration.historyTurns)
        return [.save(nextVersion())]
    }

    private mutating func saveIfNeeded() -> [Action] {
        turn.isEmpty ? [] : finishTurn()
    }

    /// The model cut an assistant item's audio where the user stopped hearing it: the turn
    /// keeps only the words heard. A turn already in the history is changed and saved again.
    private mutating func itemTruncated(_ event: RealtimeEvent) -> [Action] {
        guard let id = event["item_id"]?.stringValue, let heard = event["audio_end_ms"]?.intValue else { return [] }
        guard case .finished(let back) = turn.answers.truncate(itemID: id, heardMs: heard) else { return [] }
        let index = state.history.count - back
        guard state.history.indices.contains(index) else { return [] }
        let answer = turn.answers.answer(back: back)
        state.history[index].assistant = answer.text
        state.history[index].interrupted = answer.interrupted
        state.history[index].heardMs = answer.heardMs
        return [.save(nextVersion())]
    }

    /// How long the audio of `events` audio deltas of `bytes` bytes in all plays, in the
    /// output format the model was given: the base64 payload is the event less its JSON framing.
    /// Milliseconds of audio in `events` output-audio deltas of `bytes` bytes in all (as the
    /// relay counts them), in the client's output format.
    public func audioMilliseconds(events: Int, bytes: Int) -> Double {
        let payload = max(0, bytes - events * Self.audioDeltaFramingBytes)
        let format = clientConfig.outputFormat ?? .pcm16
        return Double(payload) * 3 / 4 / Double(format.sampleRate * format.bytesPerSample) * 1000
    }

    /// The JSON around the audio of one delta event (type, ids, indexes), about 200 bytes.
    private static let audioDeltaFramingBytes = 200

    private mutating func nextVersion() -> SessionState {
        state.version += 1
        state.updatedAt = Date()
        state.activeAgent = agent.name
        return state
    }

    /// The text of message content parts in either dialect (`input_text`, `output_text`, `text`,
    /// audio transcripts).
    static func text(ofContent parts: [JSONValue]) -> String {
        parts.compactMap { part -> String? in
            guard let part = part.objectValue else { return nil }
            return part["text"]?.stringValue ?? part["transcript"]?.stringValue
        }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    // MARK: Hub events

    private func hubSessionReady() -> RealtimeEvent {
        let history: [JSONValue] = (configuration.replayHistory ? state.history : []).map { turn in
            var item = JSONObject([
                ("user", .string(turn.user)),
                ("assistant", .string(turn.assistant)),
                ("agent", .string(turn.agent)),
                ("tools", .array(turn.sources.map(\.json))),
            ])
            if turn.interrupted {
                item["interrupted"] = .bool(true)
                if let heard = turn.heardMs { item["heard_ms"] = .int(heard) }
            }
            return .object(item)
        }
        return RealtimeEvent(type: "hub.session.ready", [
            ("event_id", .string(RealtimeID.event())),
            ("session_key", .string(configuration.sessionKey)),
            ("agent", .string(agent.name)),
            ("resumed", .bool(resumed)),
            ("history", .array(history)),
        ])
    }
}
