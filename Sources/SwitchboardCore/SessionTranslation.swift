import RealtimeProtocol

/// The session as each side sees it. The client has its own settings (formats, turn detection,
/// modalities, its own tools) in its own dialect; the model gets those plus the active agent's
/// instructions, voice and tools, in the model's dialect, with turn detection that leaves
/// responses to the hub. Also which `session.update`s are the hub's own, so their answers stay
/// hidden.
struct SessionTranslation: Sendable {
    let modelDialect: Dialect
    /// The model name the client asked for, reported back in `session.model`.
    let requestedModel: String?
    /// The dialect the client speaks; learnt from the shape of its first `session.update`.
    private(set) var clientDialect: Dialect
    /// The client's own session settings.
    private(set) var clientConfig = SessionConfig()
    /// Function tools the client declared itself; calls to them are the client's to answer.
    private(set) var clientTools: [JSONValue] = []
    private(set) var clientToolNames: Set<String> = []

    /// Who sent a `session.update` the model has not answered yet.
    enum Origin: Sendable { case hub, client }
    private var pending: [(origin: Origin, eventID: String)] = []

    init(modelDialect: Dialect, requestedModel: String?, clientDialect: Dialect, initial: SessionConfig?) {
        self.modelDialect = modelDialect
        self.requestedModel = requestedModel
        self.clientDialect = clientDialect
        if var initial {
            initial.instructions = nil
            initial.voice = nil
            initial.tools = nil
            initial.toolChoice = nil
            initial.model = nil
            clientConfig = initial
        }
    }

    /// Whether the client's turn detection starts responses by itself (the model's never does:
    /// the hub routes each utterance first, then asks for the response).
    var clientAutoResponse: Bool {
        guard case .object(let detection)? = clientConfig.turnDetection else { return false }
        return detection["create_response"]?.boolValue ?? true
    }

    /// Whether the model's input transcription is on (the hub turns it on with turn detection).
    var transcriptionOn: Bool {
        clientConfig.turnDetection?.objectValue != nil || (clientConfig.inputTranscription.map { !$0.isNull } ?? false)
    }

    /// A client's `session.update` (`session` with `eventID`), checked and remembered: the
    /// changes to send to the model, or the error the client gets. Its tools may not take a
    /// name in `reserved` (the hub's).
    mutating func clientUpdate(_ session: JSONObject, eventID: String?, reserved: Set<String>) -> Result<(SessionConfig, String), RealtimeError> {
        if clientDialect == .ga, SessionConfig.dialect(of: session) == .beta {
            clientDialect = .beta
        }
        var update: SessionConfig
        do {
            update = try SessionConfig(json: session, dialect: clientDialect)
        } catch {
            return .failure(.invalidRequest("invalid_value", error.message, param: error.param, eventID: eventID))
        }
        if let tools = update.tools {
            let names = tools.compactMap { $0["name"]?.stringValue }
            if let clash = names.first(where: reserved.contains) {
                return .failure(.invalidRequest("invalid_value", "The tool name '\(clash)' is reserved by the hub's agents; rename the client tool.",
                                                param: "session.tools", eventID: eventID))
            }
            clientTools = tools
            clientToolNames = Set(names)
        }
        // Instructions and voice belong to the active agent; tools are the agent's plus the client's.
        update.instructions = nil
        update.voice = nil
        update.tools = nil
        update.toolChoice = nil
        update.model = nil
        clientConfig.merge(update)
        let id = eventID ?? RealtimeID.make("evt_client")
        pending.append((.client, id))
        return .success((update, id))
    }

    /// The hub sends an update of its own (`eventID`): its answer is not the client's business.
    mutating func hubUpdate(_ eventID: String) {
        pending.append((.hub, eventID))
    }

    /// The model answered the oldest pending update; whose it was.
    mutating func answered() -> Origin {
        pending.isEmpty ? .client : pending.removeFirst().origin
    }

    /// The model refused the update `eventID`; whose it was, or `nil` when it was no update.
    mutating func refused(_ eventID: String) -> Origin? {
        guard let index = pending.firstIndex(where: { $0.eventID == eventID }) else { return nil }
        return pending.remove(at: index).origin
    }

    /// What the model is told: the client's settings (`changes`, or all of them), `agent`'s
    /// instructions, voice and tools, turn detection that leaves responses to the hub, and
    /// transcription on so every utterance can be routed.
    func modelUpdate(eventID: String, changes: SessionConfig? = nil, agent: AgentProfile) -> RealtimeEvent {
        var config = changes ?? clientConfig
        config.instructions = agent.instructions
        config.voice = agent.voice
        config.tools = agent.tools + clientTools
        if case .object(var object)? = clientConfig.turnDetection {
            object["create_response"] = .bool(false)
            config.turnDetection = .object(object)
            if clientConfig.inputTranscription == nil || clientConfig.inputTranscription?.isNull == true {
                config.inputTranscription = .object(["model": .string(modelDialect == .ga ? "gpt-4o-mini-transcribe" : "whisper-1")])
            }
        }
        return RealtimeEvent(type: "session.update", [
            ("event_id", .string(eventID)),
            ("session", .object(config.json(in: modelDialect))),
        ])
    }

    /// The model's session event as the client should see it: its dialect, its model name, its
    /// own tools and turn-detection settings.
    func forClient(sessionEvent event: RealtimeEvent) -> RealtimeEvent {
        var event = event
        guard var session = event["session"]?.objectValue else { return event }
        if var config = try? SessionConfig(json: session, dialect: modelDialect) {
            config.tools = clientTools
            if case .object(var detection)? = config.turnDetection, detection["create_response"] != nil {
                detection["create_response"] = .bool(clientAutoResponse)
                config.turnDetection = .object(detection)
            }
            var translated = config.json(in: clientDialect)
            for key in ["id", "object", "expires_at"] { if let v = session[key] { translated[key] = v } }
            if clientDialect == .ga, session["type"] != nil { translated["type"] = session["type"] }
            session = translated
        }
        if let requestedModel { session["model"] = .string(requestedModel) }
        event["session"] = .object(session)
        return event
    }
}
