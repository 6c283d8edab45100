import RealtimeProtocol
@testable import SwitchboardCore
import Testing

/// The session as each side sees it: the client's settings in its dialect, the agent's in the
/// model's, and the hub's own updates kept out of the client's sight.
@Suite("session translation")
struct SessionTranslationTests {
    private let agent = AgentProfile(name: "desk", description: "d", instructions: "You are the desk.", voice: "verse",
                                     tools: [.object(["type": .string("function"), "name": .string("hub_tool")])])

    @Test("a client update keeps the client's settings; the model gets them with the agent's instructions, voice and tools")
    func clientUpdate() throws {
        var translation = SessionTranslation(modelDialect: .ga, requestedModel: "my-model", clientDialect: .ga, initial: nil)
        let session: JSONObject = [
            "type": .string("realtime"), "instructions": .string("ignore the agent"),
            "tools": .array([.object(["type": .string("function"), "name": .string("client_tool")])]),
            "audio": .object(["input": .object(["turn_detection": .object(["type": .string("server_vad")])])]),
        ]
        let (changes, id) = try translation.clientUpdate(session, eventID: "e1", reserved: ["hub_tool"]).get()
        #expect(id == "e1")
        #expect(translation.clientToolNames == ["client_tool"])
        #expect(translation.clientAutoResponse)
        #expect(translation.transcriptionOn)
        let update = translation.modelUpdate(eventID: id, changes: changes, agent: agent)
        let sent = try #require(update["session"]?.objectValue)
        #expect(sent["instructions"] == .string("You are the desk."))
        let names = sent["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["hub_tool", "client_tool"])
        #expect(sent["audio"]?["input"]?["turn_detection"]?["create_response"] == .bool(false), "responses are the hub's to ask for")
        #expect(sent["audio"]?["input"]?["transcription"] != nil, "transcription on, to route every utterance")
    }

    @Test("a client tool named like a hub tool is refused; a bad session is refused; nothing is remembered")
    func refusals() {
        var translation = SessionTranslation(modelDialect: .ga, requestedModel: nil, clientDialect: .ga, initial: nil)
        let clash: JSONObject = ["type": .string("realtime"), "tools": .array([.object(["type": .string("function"), "name": .string("hub_tool")])])]
        guard case .failure(let error) = translation.clientUpdate(clash, eventID: "e1", reserved: ["hub_tool"]) else {
            Issue.record("a clash was accepted")
            return
        }
        #expect(error.message.contains("reserved"))
        #expect(translation.clientToolNames.isEmpty)
        let value22 = translation.answered()
        #expect(value22 == .client, "nothing pending: an unknown answer is the client's")
    }

    @Test("answers and refusals go to whoever sent the update: the hub's stay hidden")
    func origins() throws {
        var translation = SessionTranslation(modelDialect: .ga, requestedModel: nil, clientDialect: .ga, initial: nil)
        translation.hubUpdate("hub_1")
        _ = try translation.clientUpdate(["type": .string("realtime")], eventID: "client_1", reserved: []).get()
        translation.hubUpdate("hub_2")
        let value23 = translation.refused("client_1")
        #expect(value23 == .client)
        let value24 = translation.refused("nobody")
        #expect(value24 == nil)
        let value25 = translation.answered()
        #expect(value25 == .hub)
        let value26 = translation.answered()
        #expect(value26 == .hub)
        let value27 = translation.answered()
        #expect(value27 == .client)
    }

    @Test("a beta-shaped update switches the client's dialect; the model's events are shown in it, with the client's model name and tools")
    func dialects() throws {
        var translation = SessionTranslation(modelDialect: .ga, requestedModel: "my-model", clientDialect: .ga, initial: nil)
        _ = try translation.clientUpdate(["modalities": .array([.string("text")]), "turn_detection": .object(["type": .string("server_vad")])],
                                         eventID: nil, reserved: []).get()
        #expect(translation.clientDialect == .beta)
        let model = RealtimeEvent(type: "session.updated", [("session", .object([
            "type": .string("realtime"), "output_modalities": .array([.string("text")]),
            "tools": .array([.object(["type": .string("function"), "name": .string("hub_tool")])]),
        ]))])
        let shown = translation.forClient(sessionEvent: model)
        #expect(shown["session"]?["model"] == .string("my-model"))
        #expect(shown["session"]?["modalities"] == .array([.string("text")]), "beta spelling")
        #expect(shown["session"]?["tools"]?.arrayValue?.isEmpty != false, "the hub's tools are not the client's")
    }

    @Test("a client secret's session starts the client's settings, without the agent's parts")
    func initial() throws {
        var initial = try SessionConfig(json: ["type": .string("realtime"), "instructions": .string("x"), "output_modalities": .array([.string("text")])], dialect: .ga)
        initial.voice = "ash"
        let translation = SessionTranslation(modelDialect: .ga, requestedModel: nil, clientDialect: .ga, initial: initial)
        #expect(translation.clientConfig.instructions == nil)
        #expect(translation.clientConfig.voice == nil)
    }
}
