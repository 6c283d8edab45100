import RealtimeProtocol
@testable import SwitchboardCore
import Testing

private let agent = AgentProfile(name: "desk", description: "d", instructions: "You are the desk.", voice: "alloy")

/// A session whose client asked for audio (`modalities`), as a caller's does.
private func conversation(modalities: [String] = ["audio"]) -> Conversation {
    Conversation(
        configuration: .init(sessionKey: "key", hubEvents: false, requestedModel: nil, modelDialect: .ga, historyTurns: 5,
                             hubTools: ["slow_lookup"], initialClientSession: SessionConfig(outputModalities: modalities)),
        state: SessionState(key: "key", activeAgent: "desk"), agent: agent, clientDialect: .ga, resumed: false)
}

private func model(_ text: String) -> Conversation.Input { .model(try! RealtimeEvent.decode(text), route: .intercept) }

private func toModel(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToModel(let e) = $0 { return e } else { return nil } }
}

private func toClient(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToClient(let e) = $0 { return e } else { return nil } }
}

private func saves(_ actions: [Conversation.Action]) -> [SessionState] {
    actions.compactMap { if case .save(let state) = $0 { return state } else { return nil } }
}

/// The user asks; the model answers with a call of `slow_lookup` the hub runs (`call_1`).
private func startCall(_ c: inout Conversation) {
    _ = c.handle(model(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"item_u","type":"message","role":"user","content":[{"type":"input_text","text":"Where is my parcel?"}]}}"#))
    _ = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"resp_1"}}"#))
    _ = c.handle(model(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_fc","type":"function_call","name":"slow_lookup","call_id":"call_1","arguments":""}}"#))
    let run = c.handle(model(#"{"type":"response.function_call_arguments.done","event_id":"e","item_id":"item_fc","call_id":"call_1","name":"slow_lookup","arguments":"{}"}"#))
    #expect(run.contains { if case .runTool = $0 { return true } else { return false } })
    _ = c.handle(model(#"{"type":"response.done","event_id":"e","response":{"id":"resp_1","status":"completed","output":[{"id":"item_fc","type":"function_call","name":"slow_lookup","call_id":"call_1","arguments":"{}"}]}}"#))
}

/// The model says `text` as item `id` in response `response`.
private func speak(_ c: inout Conversation, response: String, item id: String, _ text: String) -> [Conversation.Action] {
    var actions = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"\#(response)"}}"#))
    actions += c.handle(model(#"{"type":"response.output_item.added","event_id":"e","response_id":"\#(response)","output_index":0,"item":{"id":"\#(id)","type":"message","role":"assistant","content":[]}}"#))
    actions += c.handle(.modelAudio(events: 5, bytes: 5 * 6_600))
    actions += c.handle(model(#"{"type":"response.done","event_id":"e","response":{"id":"\#(response)","status":"completed","output":[{"id":"\#(id)","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"\#(text)"}]}]}}"#))
    return actions
}

private func finished(_ outcome: String = "found") -> Conversation.Input {
    .toolFinished(ToolCallResult(callID: "call_1", name: "slow_lookup", arguments: "{}", output: #"{"outcome":"\#(outcome)"}"#, outcome: outcome))
}

/// While a slow tool runs the agent says a filler out of band: once, never over another answer,
/// and it joins neither the conversation nor the history.
@Suite("fillers while a tool runs")
struct FillerTests {
    @Test("a slow call gets one out-of-band filler, said word for word with no tools")
    func fillerRequest() throws {
        var c = conversation()
        startCall(&c)
        let sent = toModel(c.handle(.toolSlow(callID: "call_1", filler: "One moment while I check.")))
        let request = try #require(sent.first)
        #expect(sent.count == 1)
        #expect(request.type == "response.create")
        #expect(request["response"]?["conversation"]?.stringValue == "none")
        #expect(request["response"]?["input"] == .array([]))
        #expect(request["response"]?["tool_choice"]?.stringValue == "none")
        #expect(request["response"]?["metadata"]?["call_id"]?.stringValue == "call_1")
        let instructions = try #require(request["response"]?["instructions"]?.stringValue)
        #expect(SpokenVerbatim.sentence(in: instructions) == "One moment while I check.")
        // Once per wait.
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "One moment while I check."))).isEmpty)
    }

    @Test("the filler is shown but kept out of the turn; the follow-up waits for it and the turn holds only the answer")
    func keptOutOfHistory() throws {
        var c = conversation()
        startCall(&c)
        _ = c.handle(.toolSlow(callID: "call_1", filler: "One moment while I check."))
        // The filler is under way when the tool's result arrives: the follow-up waits for it.
        var actions = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"resp_f","conversation_id":null}}"#))
        actions += c.handle(model(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_f","output_index":0,"item":{"id":"item_f","type":"message","role":"assistant","content":[]}}"#))
        let whileFiller = c.handle(finished())
        #expect(!toModel(whileFiller).contains { $0.type == "response.create" })
        let fillerDone = c.handle(model(#"{"type":"response.done","event_id":"e","response":{"id":"resp_f","conversation_id":null,"status":"completed","output":[{"id":"item_f","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"One moment while I check."}]}]}}"#))
        actions += fillerDone
        #expect(toClient(actions).map(\.type) == ["response.created", "response.output_item.added", "response.done"])
        #expect(saves(fillerDone).isEmpty, "the filler closes no turn")
        #expect(toModel(fillerDone).map(\.type) == ["response.create"], "the follow-up goes once the filler is done")
        let answer = speak(&c, response: "resp_2", item: "item_a", "Your parcel is in Leeds.")
        let turn = try #require(saves(answer).last?.history.last)
        #expect(turn.user == "Where is my parcel?")
        #expect(turn.assistant == "Your parcel is in Leeds.")
        #expect(turn.tools.count == 1)
        #expect(c.state.history.count == 1)
    }

    @Test("no filler for a call that has finished, for an unknown call, or while a response is under way")
    func notWhenItWouldIntrude() {
        var c = conversation()
        startCall(&c)
        #expect(toModel(c.handle(.toolSlow(callID: "call_other", filler: "Wait."))).isEmpty)
        // A response is being made (the client asked for one): the filler is dropped, not queued.
        _ = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"resp_x"}}"#))
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).isEmpty)
        _ = c.handle(model(#"{"type":"response.done","event_id":"e","response":{"id":"resp_x","status":"cancelled","output":[]}}"#))
        _ = c.handle(finished())
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).isEmpty)
    }

    @Test("the next wait gets a filler of its own")
    func oncePerWait() {
        var c = conversation()
        startCall(&c)
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).count == 1)
        _ = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"resp_f"}}"#))
        _ = c.handle(model(#"{"type":"response.done","event_id":"e","response":{"id":"resp_f","status":"completed","output":[]}}"#))
        _ = c.handle(finished())
        _ = speak(&c, response: "resp_2", item: "item_a", "Found it.")
        startCall(&c)
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).count == 1)
    }

    @Test("a text-only session gets no filler: its answer shows when it comes")
    func notForText() {
        var c = conversation(modalities: ["text"])
        startCall(&c)
        #expect(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).isEmpty)
    }

    @Test("a refused filler request frees the way for the follow-up")
    func refused() throws {
        var c = conversation()
        startCall(&c)
        let request = try #require(toModel(c.handle(.toolSlow(callID: "call_1", filler: "Wait."))).first)
        _ = c.handle(finished())
        let error = #"{"type":"error","event_id":"e","error":{"type":"invalid_request_error","code":"unknown_parameter","message":"no","event_id":"\#(request.eventID ?? "")"}}"#
        #expect(toModel(c.handle(model(error))).map(\.type) == ["response.create"])
    }
}
