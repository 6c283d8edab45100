import RealtimeProtocol
import SwitchboardAgents
import SwitchboardAudio
import SwitchboardSpeech

/// One session of the local model: takes client events, answers with server events, in one
/// dialect. A value type with no I/O.
///
/// Audio goes through it too: appends are decoded in the input format and cut into turns by a
/// voice activity detector when turn detection is on; committed utterances and answers to speak
/// become ``LocalModelEffect``s (``takeEffects()``) that its runner carries out off the event
/// loop, handing the results back (``transcribed(itemID:outcome:)``,
/// ``spoken(responseID:sentence:audio:sampleCount:)``, ``speechFinished(responseID:failure:)``).
public struct LocalModelSession: Sendable {
    public let dialect: Dialect
    public let sessionID: String
    public let conversationID: String
    let brain: LocalBrain
    var config: SessionConfig
    /// The conversation, in order: user, assistant, function call and output items.
    var items: [JSONObject] = []
    /// The brain's working memory: pending questions and confirmations.
    public internal(set) var memory = BrainMemory()
    /// Audio appended and not yet committed, and the turn detector.
    var input = InputAudio()
    /// The spoken response under way, if any.
    var speaking: SpokenResponse?
    /// The audio of finished spoken answers, by item id, for `conversation.item.truncate`.
    var spokenAudio: [String: SpokenAudio] = [:]
    /// Work for the link to do off the event loop (recognition, synthesis), in order.
    var effects: [LocalModelEffect] = []
    /// The CPU time the session's recognition and synthesis took, reported in each
    /// `response.done`'s usage (`switchboard_cpu_seconds`): the embedded model's cost.
    let cpu = CPUMeter()

    /// The model names a beta client accepts in `session.model`.
    static let betaModelNames: Set<String> = [
        "gpt-realtime", "gpt-realtime-2025-08-28", "gpt-4o-realtime-preview", "gpt-4o-realtime-preview-2024-10-01",
        "gpt-4o-realtime-preview-2024-12-17", "gpt-4o-realtime-preview-2025-06-03", "gpt-4o-mini-realtime-preview",
        "gpt-4o-mini-realtime-preview-2024-12-17",
    ]

    /// Largest audio accepted in the input buffer before a commit (15 minutes of pcm16), in bytes.
    static let maximumBufferedAudio = 15 * 60 * 48_000

    public init(dialect: Dialect, model: String?, brain: LocalBrain) {
        self.dialect = dialect
        self.brain = brain
        self.sessionID = RealtimeID.make("sess")
        self.conversationID = RealtimeID.make("conv")
        let persona = brain.catalog.defaultPersona
        self.config = SessionConfig(
            model: model ?? "switchboard-local", instructions: persona.instructions, voice: persona.voice ?? "alloy",
            tools: [], toolChoice: .string("auto"),
            turnDetection: .null, inputFormat: .pcm16, outputFormat: .pcm16, inputTranscription: .null,
            outputModalities: dialect == .ga ? ["audio"] : ["text", "audio"]
        )
    }

    /// The events a new session starts with.
    public mutating func start() -> [RealtimeEvent] {
        var events = [RealtimeEvent(type: "session.created", [("event_id", eventID()), ("session", .object(sessionObject()))])]
        if dialect == .beta {
            events.append(RealtimeEvent(type: "conversation.created", [
                ("event_id", eventID()),
                ("conversation", .object(["id": .string(conversationID), "object": .string("realtime.conversation")])),
            ]))
        }
        return events
    }

    /// Handles one client event's bytes.
    public mutating func handle(_ event: RealtimeEvent) -> [RealtimeEvent] {
        switch event.type {
        case "session.update": return sessionUpdate(event)
        case "input_audio_buffer.append": return append(event)
        case "input_audio_buffer.commit": return commit(event)
        case "input_audio_buffer.clear":
            clearInputAudio()
            return [RealtimeEvent(type: "input_audio_buffer.cleared", [("event_id", eventID())])]
        case "conversation.item.create": return itemCreate(event)
        case "conversation.item.retrieve": return itemRetrieve(event)
        case "conversation.item.delete": return itemDelete(event)
        case "conversation.item.truncate": return itemTruncate(event)
        case "response.create": return responseCreate(event)
        case "response.cancel":
            guard speaking != nil else {
                return [error("response_cancel_not_active", "There is no active response to cancel.", event: event)]
            }
            return cancelSpeech(reason: "client_cancelled")
        case "output_audio_buffer.clear":
            return [RealtimeEvent(type: "output_audio_buffer.cleared", [("event_id", eventID()), ("response_id", .null)])]
        default:
            return [error("unknown_event", "Unknown event type '\(event.type)'.", param: "type", event: event)]
        }
    }

    // MARK: Session

    private mutating func sessionUpdate(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard let session = event["session"]?.objectValue else {
            return [error("missing_required_parameter", "session.update needs a 'session' object.", param: "session", event: event)]
        }
        do {
            let update = try SessionConfig(json: session, dialect: dialect)
            var next = config
            next.merge(update)
            next.model = config.model
            next.extra = JSONObject()
            config = next
            applyAudioConfiguration()
        } catch {
            return [self.error("invalid_value", error.message, param: error.param, event: event)]
        }
        return [RealtimeEvent(type: "session.updated", [("event_id", eventID()), ("session", .object(sessionObject()))])]
    }

    private func sessionObject() -> JSONObject {
        var object = JSONObject()
        if dialect == .ga { object["type"] = .string("realtime") }
        object["object"] = .string("realtime.session")
        object["id"] = .string(sessionID)
        for (key, value) in config.json(in: dialect) where key != "type" { object[key] = value }
        // Beta clients validate `session.model` against a closed list of names: name only those.
        if dialect == .beta, let model = config.model, !Self.betaModelNames.contains(model) { object["model"] = nil }
        return object
    }

    // MARK: Items

    private mutating func itemCreate(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard var item = event["item"]?.objectValue else {
            return [error("missing_required_parameter", "conversation.item.create needs an 'item'.", param: "item", event: event)]
        }
        let type = item["type"]?.stringValue ?? "message"
        guard ["message", "function_call", "function_call_output"].contains(type) else {
            return [error("invalid_value", "Unsupported item type '\(type)'.", param: "item.type", event: event)]
        }
        if type == "message" {
            guard let role = item["role"]?.stringValue, ["user", "assistant", "system"].contains(role) else {
                return [error("invalid_value", "A message item needs a role: user, assistant or system.", param: "item.role", event: event)]
            }
        }
        let itemID = item["id"]?.stringValue ?? RealtimeID.make("item")
        var normalised = JSONObject([("id", .string(itemID)), ("object", .string("realtime.item")), ("type", .string(type))])
        item.removeValue(forKey: "id")
        item.removeValue(forKey: "type")
        item.removeValue(forKey: "object")
        normalised["status"] = .string("completed")
        for (key, value) in item where key != "status" { normalised[key] = value }
        // `previous_item_id`: "root" puts the item first, an item's id right after it; absent, last.
        let position: Int
        switch event["previous_item_id"] {
        case .string("root")?:
            position = 0
        case .string(let id)?:
            guard let index = items.firstIndex(where: { $0["id"]?.stringValue == id }) else {
                return [error("item_not_found", "No item with id '\(id)' to insert after.", param: "previous_item_id", event: event)]
            }
            position = index + 1
        default:
            position = items.count
        }
        let previous = position > 0 ? (items[position - 1]["id"] ?? .null) : .null
        items.insert(normalised, at: position)
        return itemAdded(normalised, previous: previous)
    }

    func itemAdded(_ item: JSONObject, previous: JSONValue) -> [RealtimeEvent] {
        switch dialect {
        case .beta:
            return [RealtimeEvent(type: "conversation.item.created", [
                ("event_id", eventID()), ("previous_item_id", previous), ("item", .object(item)),
            ])]
        case .ga:
            return [
                RealtimeEvent(type: "conversation.item.added", [("event_id", eventID()), ("previous_item_id", previous), ("item", .object(item))]),
                RealtimeEvent(type: "conversation.item.done", [("event_id", eventID()), ("previous_item_id", previous), ("item", .object(item))]),
            ]
        }
    }

    private func itemRetrieve(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard let id = event["item_id"]?.stringValue, let item = items.first(where: { $0["id"]?.stringValue == id }) else {
            return [error("item_not_found", "No item with that item_id.", param: "item_id", event: event)]
        }
        return [RealtimeEvent(type: "conversation.item.retrieved", [("event_id", eventID()), ("item", .object(item))])]
    }

    private mutating func itemDelete(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard let id = event["item_id"]?.stringValue, let index = items.firstIndex(where: { $0["id"]?.stringValue == id }) else {
            return [error("item_not_found", "No item with that item_id.", param: "item_id", event: event)]
        }
        items.remove(at: index)
        return [RealtimeEvent(type: "conversation.item.deleted", [("event_id", eventID()), ("item_id", .string(id))])]
    }

    // MARK: Helpers

    func eventID() -> JSONValue { .string(RealtimeID.event()) }

    func error(_ code: String, _ message: String, param: String? = nil, event: RealtimeEvent) -> RealtimeEvent {
        RealtimeError.invalidRequest(code, message, param: param, eventID: event.eventID).event
    }
}
