import Foundation
import RealtimeProtocol

/// One session's conversation: a value type with no I/O. It is given what happened (client and
/// model events, connection changes) and answers with actions for its driver to carry out.
///
/// It owns the small shared state of a session: the active agent, the client's part of the
/// session configuration, whether a response is in flight, the turn being built and the history.
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

        public init(sessionKey: String, hubEvents: Bool, requestedModel: String?, modelDialect: Dialect, historyTurns: Int) {
            self.sessionKey = sessionKey
            self.hubEvents = hubEvents
            self.requestedModel = requestedModel
            self.modelDialect = modelDialect
            self.historyTurns = historyTurns
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
    }

    /// What the driver should do, in order.
    public enum Action: Sendable, Equatable {
        case sendToClient(RealtimeEvent)
        case sendToModel(RealtimeEvent)
        /// Save this state.
        case save(SessionState)
        /// Close the client connection with this WebSocket close code and reason, and the model session.
        case close(code: UInt16, reason: String)
    }

    public let configuration: Configuration
    public private(set) var state: SessionState
    public private(set) var agent: AgentProfile
    /// The dialect the client speaks; it may be learnt from the shape of its first `session.update`.
    public private(set) var clientDialect: Dialect
    /// The client's own session settings (formats, turn detection, modalities, …).
    public private(set) var clientConfig = SessionConfig()
    public let resumed: Bool

    /// Who sent each `session.update` the model has not answered yet.
    private var pendingSessionUpdates: [(origin: Origin, eventID: String)] = []
    private enum Origin: Sendable { case hub, client }
    private var responseActive = false
    private var responseRequestedID: String?
    private var queuedResponseCreate: RealtimeEvent?
    private var currentUserText = ""
    private var userItemIDs: Set<String> = []
    private var closed = false

    public init(configuration: Configuration, state: SessionState, agent: AgentProfile, clientDialect: Dialect, resumed: Bool) {
        self.configuration = configuration
        self.state = state
        self.agent = agent
        self.clientDialect = clientDialect
        self.resumed = resumed
    }

    /// Whether a response is being generated or has been asked for.
    public var isResponding: Bool { responseActive || responseRequestedID != nil }

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
            if isResponding {
                // Single flight: one queued request stands for all that arrive meanwhile.
                queuedResponseCreate = event
                return []
            }
            responseRequestedID = event.eventID
            return [.sendToModel(event)]
        default:
            // Observed events were already forwarded; intercepted ones not handled above pass on.
            return route == .intercept ? [.sendToModel(event)] : []
        }
    }

    private mutating func clientSessionUpdate(_ event: RealtimeEvent) -> [Action] {
        guard let session = event["session"]?.objectValue else {
            return [.sendToClient(RealtimeError.invalidRequest(
                "missing_required_parameter", "session.update needs a 'session' object.", param: "session", eventID: event.eventID).event)]
        }
        if clientDialect == .ga, SessionConfig.dialect(of: session) == .beta {
            clientDialect = .beta
        }
        var update: SessionConfig
        do {
            update = try SessionConfig(json: session, dialect: clientDialect)
        } catch {
            return [.sendToClient(RealtimeError.invalidRequest(
                "invalid_value", error.message, param: error.param, eventID: event.eventID).event)]
        }
        // Instructions, voice and tools belong to the active agent.
        update.instructions = nil
        update.voice = nil
        update.tools = nil
        update.toolChoice = nil
        update.model = nil
        clientConfig.merge(update)
        var effective = update
        effective.instructions = agent.instructions
        effective.voice = agent.voice
        effective.tools = agent.tools
        let eventID = event.eventID ?? RealtimeID.make("evt_client")
        pendingSessionUpdates.append((.client, eventID))
        let out = RealtimeEvent(type: "session.update", [
            ("event_id", .string(eventID)),
            ("session", .object(effective.json(in: configuration.modelDialect))),
        ])
        return [.sendToModel(out)]
    }

    // MARK: Model events

    private mutating func handleModel(_ event: RealtimeEvent, route: EventRoute) -> [Action] {
        switch event.type {
        case "session.created":
            var actions: [Action] = [.sendToClient(forClient(sessionEvent: event))]
            actions.append(.sendToModel(agentSessionUpdate()))
            actions.append(contentsOf: historyReplay())
            return actions
        case "session.updated", "transcription_session.updated":
            let origin = pendingSessionUpdates.isEmpty ? Origin.client : pendingSessionUpdates.removeFirst().origin
            return origin == .hub ? [] : [.sendToClient(forClient(sessionEvent: event))]
        case "error":
            return modelError(event)
        case "response.created":
            responseActive = true
            responseRequestedID = nil
            return []
        case "response.done":
            responseActive = false
            var actions = finishTurn(response: event["response"]?.objectValue)
            if let queued = queuedResponseCreate {
                queuedResponseCreate = nil
                responseRequestedID = queued.eventID
                actions.append(.sendToModel(queued))
            }
            return actions
        case "conversation.item.added", "conversation.item.created":
            if let item = event["item"]?.objectValue, item["role"]?.stringValue == "user" {
                if let id = item["id"]?.stringValue { userItemIDs.insert(id) }
                let text = Self.text(ofContent: item["content"]?.arrayValue ?? [])
                if !text.isEmpty { appendUserText(text) }
            }
            return []
        case "conversation.item.input_audio_transcription.completed":
            if let transcript = event["transcript"]?.stringValue, !transcript.isEmpty { appendUserText(transcript) }
            return []
        default:
            return route == .intercept ? [.sendToClient(event)] : []
        }
    }

    private mutating func modelError(_ event: RealtimeEvent) -> [Action] {
        let error = RealtimeError(event: event)
        if let id = error?.eventID {
            if let index = pendingSessionUpdates.firstIndex(where: { $0.eventID == id }) {
                let origin = pendingSessionUpdates.remove(at: index).origin
                if origin == .hub { return [] }
            }
            if id == responseRequestedID { responseRequestedID = nil }
            if id.hasPrefix(Self.hubEventPrefix) { return [] }
        }
        return [.sendToClient(event)]
    }

    private static let hubEventPrefix = "hub_"

    /// The model's session event, as the client should see it: its dialect, its model name.
    private func forClient(sessionEvent event: RealtimeEvent) -> RealtimeEvent {
        var event = event
        guard var session = event["session"]?.objectValue else { return event }
        if clientDialect != configuration.modelDialect, let config = try? SessionConfig(json: session, dialect: configuration.modelDialect) {
            var translated = config.json(in: clientDialect)
            for key in ["id", "object", "expires_at"] { if let v = session[key] { translated[key] = v } }
            session = translated
        }
        if let model = configuration.requestedModel { session["model"] = .string(model) }
        event["session"] = .object(session)
        return event
    }

    /// The active agent's instructions, voice and tools, with the client's own settings.
    private mutating func agentSessionUpdate() -> RealtimeEvent {
        var config = clientConfig
        config.instructions = agent.instructions
        config.voice = agent.voice
        config.tools = agent.tools
        let eventID = RealtimeID.make("hub_evt")
        pendingSessionUpdates.append((.hub, eventID))
        return RealtimeEvent(type: "session.update", [
            ("event_id", .string(eventID)),
            ("session", .object(config.json(in: configuration.modelDialect))),
        ])
    }

    /// The saved history, replayed into a new model session as conversation items.
    private func historyReplay() -> [Action] {
        var actions: [Action] = []
        let assistantContentType = configuration.modelDialect == .ga ? "output_text" : "text"
        for turn in state.history {
            if !turn.user.isEmpty {
                actions.append(.sendToModel(Self.itemCreate(role: "user", contentType: "input_text", text: turn.user)))
            }
            if !turn.assistant.isEmpty {
                actions.append(.sendToModel(Self.itemCreate(role: "assistant", contentType: assistantContentType, text: turn.assistant)))
            }
        }
        return actions
    }

    private static func itemCreate(role: String, contentType: String, text: String) -> RealtimeEvent {
        RealtimeEvent(type: "conversation.item.create", [
            ("event_id", .string(RealtimeID.make("hub_evt"))),
            ("item", .object(JSONObject([
                ("type", .string("message")),
                ("role", .string(role)),
                ("content", .array([.object(JSONObject([("type", .string(contentType)), ("text", .string(text))]))])),
            ]))),
        ])
    }

    // MARK: Turns and history

    private mutating func appendUserText(_ text: String) {
        currentUserText = currentUserText.isEmpty ? text : currentUserText + " " + text
    }

    private mutating func finishTurn(response: JSONObject?) -> [Action] {
        var assistant = ""
        var tools: [String] = []
        for item in response?["output"]?.arrayValue ?? [] {
            guard let item = item.objectValue else { continue }
            switch item["type"]?.stringValue {
            case "message":
                let text = Self.text(ofContent: item["content"]?.arrayValue ?? [])
                if !text.isEmpty { assistant = assistant.isEmpty ? text : assistant + " " + text }
            case "function_call":
                tools.append("\(item["name"]?.stringValue ?? "tool")(\(item["arguments"]?.stringValue ?? ""))")
            default: break
            }
        }
        guard !assistant.isEmpty || !currentUserText.isEmpty || !tools.isEmpty else { return [] }
        state.append(Turn(user: currentUserText, assistant: assistant, agent: agent.name, tools: tools), keeping: configuration.historyTurns)
        currentUserText = ""
        return [.save(nextVersion())]
    }

    private mutating func saveIfNeeded() -> [Action] {
        guard !currentUserText.isEmpty else { return [] }
        state.append(Turn(user: currentUserText, assistant: "", agent: agent.name), keeping: configuration.historyTurns)
        currentUserText = ""
        return [.save(nextVersion())]
    }

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
        let history: [JSONValue] = state.history.map { turn in
            .object(JSONObject([
                ("user", .string(turn.user)),
                ("assistant", .string(turn.assistant)),
                ("agent", .string(turn.agent)),
            ]))
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
