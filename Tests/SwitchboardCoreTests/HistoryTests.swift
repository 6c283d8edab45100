import RealtimeProtocol
@testable import SwitchboardCore
import Testing

private let agent = AgentProfile(name: "flight", description: "d", instructions: "You are the flight agent.", voice: "alloy")

private func conversation(history: [Turn] = []) -> Conversation {
    Conversation(
        configuration: .init(sessionKey: "+15551234567", hubEvents: true, requestedModel: nil, modelDialect: .ga, historyTurns: 5,
                             hubTools: ["check_flight_status"]),
        state: SessionState(key: "+15551234567", activeAgent: "flight", history: history), agent: agent, clientDialect: .ga,
        resumed: !history.isEmpty)
}

private func event(_ text: String) -> RealtimeEvent { try! RealtimeEvent.decode(text) }

private func saved(_ actions: [Conversation.Action]) -> [SessionState] {
    actions.compactMap { if case .save(let state) = $0 { return state } else { return nil } }
}

private func sentToClient(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToClient(let e) = $0 { return e } else { return nil } }
}

/// An audio delta event as the relay counts it: about 200 bytes of JSON around the base64
/// audio; 6,400 base64 characters are 4,800 bytes, 100 ms of 24 kHz PCM16.
private let deltaBytes = 200 + 6_400

/// The model speaks `text` as item `id`, `tenths` tenths of a second of audio.
@discardableResult
private func speak(_ c: inout Conversation, _ id: String, _ text: String, tenths: Int, status: String = "completed") -> [Conversation.Action] {
    _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e","response":{"id":"resp_\#(id)"}}"#), route: .intercept))
    _ = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_\#(id)","output_index":0,"item":{"id":"\#(id)","type":"message","role":"assistant","content":[]}}"#), route: .intercept))
    _ = c.handle(.modelAudio(events: tenths, bytes: tenths * deltaBytes))
    return c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"resp_\#(id)","status":"\#(status)","output":[{"id":"\#(id)","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"\#(text)"}]}]}}"#), route: .intercept))
}

private func truncated(_ id: String, at ms: Int) -> Conversation.Input {
    .model(event(#"{"type":"conversation.item.truncated","event_id":"e","item_id":"\#(id)","content_index":0,"audio_end_ms":\#(ms)}"#), route: .observe)
}

private func userSays(_ c: inout Conversation, _ text: String) {
    _ = c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"item_u","type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#), route: .intercept))
}

@Suite("the history: what the user heard and the sources behind each answer")
struct HistoryTests {
    @Test("an answer the user talked over keeps the words heard, cut at a word, and is marked interrupted")
    func truncatedAfterTheAnswer() throws {
        var c = conversation()
        userSays(&c, "Is SB204 on time?")
        // 19 characters over 1 s of audio: half a second heard is "aaaa bbbb".
        #expect(saved(speak(&c, "item_a", "aaaa bbbb cccc dddd", tenths: 10)).last?.history.last?.assistant == "aaaa bbbb cccc dddd")
        let state = try #require(saved(c.handle(truncated("item_a", at: 500))).last)
        let turn = try #require(state.history.last)
        #expect(turn.assistant == "aaaa bbbb")
        #expect(turn.interrupted)
        #expect(turn.heardMs == 500)
        #expect(turn.user == "Is SB204 on time?")
        #expect(state.history.count == 1)
    }

    @Test("a cut in the middle of a word drops the word")
    func cutMidWord() throws {
        var c = conversation()
        speak(&c, "item_a", "aaaa bbbb cccc dddd", tenths: 10)
        // 0.4 s: 7 characters, inside "bbbb".
        #expect(try #require(saved(c.handle(truncated("item_a", at: 400))).last).history.last?.assistant == "aaaa")
    }

    @Test("a truncation that comes before the cancelled response is done is applied when the turn closes")
    func truncatedBeforeDone() throws {
        var c = conversation()
        userSays(&c, "Tell me everything.")
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e","response":{"id":"resp_b"}}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_b","output_index":0,"item":{"id":"item_b","type":"message","role":"assistant","content":[]}}"#), route: .intercept))
        _ = c.handle(.modelAudio(events: 20, bytes: 20 * deltaBytes))
        #expect(saved(c.handle(truncated("item_b", at: 1_000))).isEmpty)
        let done = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"resp_b","status":"cancelled","output":[{"id":"item_b","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"aaaa bbbb cccc dddd"}]}]}}"#), route: .intercept))
        let turn = try #require(saved(done).last?.history.last)
        #expect(turn.assistant == "aaaa bbbb")
        #expect(turn.interrupted && turn.heardMs == 1_000)
    }

    @Test("nothing heard: an empty answer, marked interrupted, shown so on resume and not replayed")
    func nothingHeard() throws {
        var c = conversation()
        userSays(&c, "Hello?")
        speak(&c, "item_c", "Hello, how can I help?", tenths: 15)
        let state = try #require(saved(c.handle(truncated("item_c", at: 0))).last)
        #expect(state.history.last?.assistant == "")
        #expect(state.history.last?.interrupted == true)
        #expect(state.history.last?.heardMs == 0)

        var resumed = conversation(history: state.history)
        let ready = try #require(sentToClient(resumed.handle(.started)).first)
        let item = ready["history"]?.arrayValue?.first
        #expect(item?["assistant"] == .string(""))
        #expect(item?["interrupted"] == .bool(true))
        #expect(item?["heard_ms"] == .int(0))
        let created = resumed.handle(.model(event(#"{"type":"session.created","event_id":"e","session":{"type":"realtime"}}"#), route: .intercept))
        let replayed = created.compactMap { action -> String? in
            guard case .sendToModel(let e) = action, e.type == "conversation.item.create" else { return nil }
            return e["item"]?["role"]?.stringValue
        }
        #expect(replayed == ["user"])
    }

    @Test("an answer heard to the end is not marked; a truncation of an unknown item changes nothing")
    func heardToTheEnd() {
        var c = conversation()
        let first = saved(speak(&c, "item_d", "All done.", tenths: 5)).last
        #expect(first?.history.last?.interrupted == false)
        #expect(saved(c.handle(truncated("item_elsewhere", at: 300))).isEmpty)
        #expect(c.state.history.last?.assistant == "All done.")
    }

    @Test("without audio (a text answer), what was heard is estimated at an even speaking rate")
    func estimatedWithoutAudio() {
        // 15 characters a second: 0.6 s of "aaaa bbbb cccc dddd" is 9 characters.
        #expect(AnswerLedger.heardText("aaaa bbbb cccc dddd", heardMs: 600, audioMs: 0) == "aaaa bbbb")
        #expect(AnswerLedger.heardText("aaaa bbbb", heardMs: 5_000, audioMs: 1_000) == "aaaa bbbb")
    }

    @Test("a turn's tool results keep their sources, at most five in all, and hub.session.ready lists them")
    func toolSources() throws {
        var c = conversation()
        userSays(&c, "Is SB204 on time?")
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e","response":{"id":"resp_1"}}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_fc","type":"function_call","name":"check_flight_status","call_id":"call_1","arguments":""}}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"response.function_call_arguments.done","event_id":"e","item_id":"item_fc","call_id":"call_1","name":"check_flight_status","arguments":"{}"}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"resp_1","status":"completed","output":[{"id":"item_fc","type":"function_call","name":"check_flight_status","call_id":"call_1","arguments":"{}"}]}}"#), route: .intercept))
        let rows: [JSONValue] = (1...7).map { .object(["source": .string("sqlite:flights"), "id": .string("SB20\($0)")]) }
        let live = sentToClient(c.handle(.toolFinished(ToolCallResult(
            callID: "call_1", name: "check_flight_status", arguments: "{}", output: #"{"outcome":"found"}"#, outcome: "found", sources: rows))))
        #expect(live.first { $0.type == "hub.tool.result" }?["sources"]?.arrayValue?.count == 7)
        let state = try #require(saved(speak(&c, "item_ans", "SB204 is on time.", tenths: 10)).last)
        let turn = try #require(state.history.last)
        #expect(turn.sources == [ToolSources(tool: "check_flight_status", outcome: "found", sources: Array(rows.prefix(5)))])
        #expect(turn.assistant == "SB204 is on time.")

        var resumed = conversation(history: state.history)
        let ready = try #require(sentToClient(resumed.handle(.started)).first)
        let item = try #require(ready["history"]?.arrayValue?.first)
        #expect(item["tools"] == .array([.object([
            "tool": .string("check_flight_status"), "outcome": .string("found"), "sources": .array(Array(rows.prefix(5))),
        ])]))
        #expect(item["interrupted"] == nil)
        #expect(item["heard_ms"] == nil)
    }
}
