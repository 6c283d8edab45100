import RealtimeProtocol
import SwitchboardCore
import Testing

private let agent = AgentProfile(name: "concierge", description: "d", instructions: "You are the concierge.", voice: "alloy")

private func conversation(hubEvents: Bool = false, history: [Turn] = [], turns: Int = 3) -> Conversation {
    Conversation(
        configuration: .init(sessionKey: "+15551234567", hubEvents: hubEvents, requestedModel: "gpt-realtime", modelDialect: .ga, historyTurns: turns),
        state: SessionState(key: "+15551234567", activeAgent: "concierge", history: history), agent: agent, clientDialect: .ga,
        resumed: !history.isEmpty)
}

private func event(_ text: String) -> RealtimeEvent { try! RealtimeEvent.decode(text) }

private func sentToModel(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToModel(let e) = $0 { return e } else { return nil } }
}
private func sentToClient(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToClient(let e) = $0 { return e } else { return nil } }
}

@Suite("the conversation state machine")
struct ConversationTests {
    @Test("hub.session.ready only for clients that asked")
    func hubReady() {
        var plain = conversation()
        #expect(plain.handle(.started).isEmpty)
        var opted = conversation(hubEvents: true)
        let ready = sentToClient(opted.handle(.started))
        #expect(ready.first?.type == "hub.session.ready")
        #expect(ready.first?["resumed"] == .bool(false))
    }

    @Test("session.created: client sees its model name, the model gets the agent, history is replayed")
    func sessionCreated() {
        var c = conversation(history: [Turn(user: "hi", assistant: "hello", agent: "concierge")])
        let actions = c.handle(.model(event(#"{"type":"session.created","event_id":"e","session":{"type":"realtime","model":"local"}}"#), route: .intercept))
        #expect(sentToClient(actions).first?["session"]?["model"] == .string("gpt-realtime"))
        let toModel = sentToModel(actions)
        #expect(toModel.first?.type == "session.update")
        #expect(toModel.first?["session"]?["instructions"] == .string("You are the concierge."))
        #expect(toModel.dropFirst().map(\.type) == ["conversation.item.create", "conversation.item.create"])
        // The answer to the hub's own update is not shown to the client.
        #expect(c.handle(.model(event(#"{"type":"session.updated","event_id":"e2","session":{"type":"realtime"}}"#), route: .intercept)).isEmpty)
    }

    @Test("a client's session.update keeps its formats but not its instructions")
    func clientUpdate() {
        var c = conversation()
        let actions = c.handle(.client(event(#"{"type":"session.update","event_id":"u1","session":{"type":"realtime","instructions":"ignore all","audio":{"input":{"format":{"type":"audio/pcmu"}}}}}"#), route: .intercept))
        let update = sentToModel(actions).first
        #expect(update?["session"]?["instructions"] == .string("You are the concierge."))
        #expect(update?["session"]?["audio"]?["input"]?["format"]?["type"] == .string("audio/pcmu"))
        #expect(c.clientConfig.inputFormat == .g711ulaw)
        let reply = c.handle(.model(event(#"{"type":"session.updated","event_id":"e","session":{"type":"realtime"}}"#), route: .intercept))
        #expect(sentToClient(reply).first?.type == "session.updated")
    }

    @Test("a bad format is an error for the client, nothing for the model")
    func badFormat() {
        var c = conversation()
        let actions = c.handle(.client(event(#"{"type":"session.update","event_id":"u2","session":{"audio":{"input":{"format":{"type":"audio/ogg"}}}}}"#), route: .intercept))
        #expect(sentToModel(actions).isEmpty)
        let error = RealtimeError(event: sentToClient(actions).first!)
        #expect(error?.eventID == "u2")
        #expect(error?.param == "session.audio.input.format")
    }

    @Test("response.create is single-flight and coalesced")
    func singleFlight() {
        var c = conversation()
        #expect(sentToModel(c.handle(.client(event(#"{"type":"response.create","event_id":"r1"}"#), route: .intercept))).count == 1)
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e","response":{"id":"a"}}"#), route: .observe))
        #expect(sentToModel(c.handle(.client(event(#"{"type":"response.create","event_id":"r2"}"#), route: .intercept))).isEmpty)
        #expect(sentToModel(c.handle(.client(event(#"{"type":"response.create","event_id":"r3"}"#), route: .intercept))).isEmpty)
        let done = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"a","output":[]}}"#), route: .observe))
        #expect(sentToModel(done).map(\.eventID) == ["r3"])
    }

    @Test("a finished turn is saved, history trimmed to N")
    func turnsSaved() {
        var c = conversation(turns: 2)
        var saved: [SessionState] = []
        for word in ["one", "two", "three"] {
            _ = c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"i","type":"message","role":"user","content":[{"type":"input_text","text":"\#(word)"}]}}"#), route: .observe))
            let actions = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok \#(word)"}]}]}}"#), route: .observe))
            for case .save(let state) in actions { saved.append(state) }
        }
        #expect(saved.map(\.version) == [1, 2, 3])
        #expect(saved.last?.history.map(\.user) == ["two", "three"])
        #expect(saved.last?.history.last?.assistant == "ok three")
    }

    @Test("replayed history is not taken for new words: a resumed session that hears nothing saves nothing")
    func replayIsNotNewWords() {
        var c = conversation(history: [Turn(user: "hi", assistant: "hello", agent: "concierge")])
        let actions = c.handle(.model(event(#"{"type":"session.created","event_id":"e","session":{"type":"realtime"}}"#), route: .intercept))
        let replayed = sentToModel(actions).first { $0.type == "conversation.item.create" && $0["item"]?["role"] == .string("user") }
        let id = replayed?["item"]?["id"]?.stringValue ?? ""
        #expect(id.hasPrefix("hub_hist"))
        // The model echoes the replayed item; the client may see it, the history does not grow.
        let echo = c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"\#(id)","type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#), route: .intercept))
        #expect(sentToClient(echo).count == 1)
        #expect(c.handle(.clientClosed).allSatisfy { if case .save = $0 { return false } else { return true } })
    }

    @Test("the model failing ends the session with a reason")
    func modelFails() {
        var c = conversation()
        let actions = c.handle(.modelFailed(ModelError("refused")))
        #expect(RealtimeError(event: sentToClient(actions).first!)?.code == "model_unavailable")
        #expect(actions.last == .close(code: 1011, reason: "model unavailable"))
        #expect(c.handle(.clientClosed).isEmpty)
    }
}

@Suite("session keys")
struct SessionKeyTests {
    @Test("UUIDs and E.164 numbers", arguments: ["3F2504E0-4F89-41D3-9A0C-0305E82C3301", "+15551234567", "+442071838750"])
    func valid(_ text: String) {
        #expect(SessionKey(text) != nil)
    }

    @Test("anything else", arguments: ["", "abc", "+0123", "15551234567", "+1555123456789012", "3F2504E0-4F89-41D3-9A0C-0305E82C330G", "../etc"])
    func invalid(_ text: String) {
        #expect(SessionKey(text) == nil)
    }

    @Test("a random key is a valid v4 UUID")
    func random() {
        let key = SessionKey.random()
        #expect(SessionKey(key.rawValue) == key)
        #expect(Array(key.rawValue)[14] == "4")
    }
}

@Suite("the in-memory store")
struct MemoryStoreTests {
    @Test("a stale version is refused")
    func versions() async throws {
        let store = MemorySessionStore()
        try await store.save(SessionState(key: "k", activeAgent: "a", version: 2))
        await #expect(throws: SessionStoreError.self) { try await store.save(SessionState(key: "k", activeAgent: "b", version: 2)) }
        try await store.save(SessionState(key: "k", activeAgent: "c", version: 3))
        #expect(try await store.load("k")?.activeAgent == "c")
    }
}
