import RealtimeProtocol
import SwitchboardCore
import Testing

/// A router for these tests: an utterance naming a domain goes to that domain's agent.
private struct WordRouter: UtteranceRouter {
    func route(_ utterance: String, current: String) -> RouteChoice {
        let words = utterance.lowercased()
        if words.contains("hotel") { return RouteChoice(agent: "hotel", reason: "keywords: hotel") }
        if words.contains("flight") { return RouteChoice(agent: "flight", reason: "keywords: flight") }
        if words.contains("car") { return RouteChoice(agent: "car", reason: "keywords: car") }
        return RouteChoice(agent: current, reason: "neutral")
    }
}

private func tool(_ name: String) -> JSONValue {
    .object(JSONObject([("type", .string("function")), ("name", .string(name)), ("description", .string(name)),
                        ("parameters", .object(["type": .string("object")]))]))
}

private let agents: [String: AgentProfile] = [
    "concierge": AgentProfile(name: "concierge", description: "router", instructions: "You are the concierge."),
    "flight": AgentProfile(name: "flight", description: "flights", instructions: "You are the flight agent.", voice: "verse",
                           tools: [tool("check_flight_status")]),
    "hotel": AgentProfile(name: "hotel", description: "hotels", instructions: "You are the hotel agent.", voice: "shimmer",
                          tools: [tool("check_reservation_status")]),
    "car": {
        var car = AgentProfile(name: "car", description: "cars", instructions: "You are the car agent.")
        car.summarizesOnHandoff = true
        return car
    }(),
]

private func conversation(hubEvents: Bool = true, agent: String = "concierge") -> Conversation {
    Conversation(
        configuration: .init(sessionKey: "+15551234567", hubEvents: hubEvents, requestedModel: nil, modelDialect: .ga, historyTurns: 3,
                             agents: agents, router: WordRouter(), hubTools: ["check_flight_status", "check_reservation_status"]),
        state: SessionState(key: "+15551234567", activeAgent: agent), agent: agents[agent]!, clientDialect: .ga, resumed: false)
}

private func event(_ text: String) -> RealtimeEvent { try! RealtimeEvent.decode(text) }
private func userItem(_ text: String) -> RealtimeEvent {
    event(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
}

/// What each action is, in order: `model:TYPE`, `client:TYPE`, `tool:NAME`, `switch:TO`, `save`, `close`.
private func kinds(_ actions: [Conversation.Action]) -> [String] {
    actions.map { action in
        switch action {
        case .sendToModel(let e): return "model:" + e.type
        case .sendToClient(let e): return "client:" + e.type
        case .runTool(let call): return "tool:" + call.name
        case .cancelTools(let ids): return "cancel:" + ids.joined(separator: ",")
        case .agentSwitched(_, let to, _): return "switch:" + to
        case .save: return "save"
        case .close: return "close"
        }
    }
}

private func sentToModel(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToModel(let e) = $0 { return e } else { return nil } }
}

@Suite("handoffs between agents")
struct HandoffTests {
    @Test("a text utterance for another agent: clear, the new agent's session.update, then the client's response.create")
    func textHandoff() {
        var c = conversation()
        let actions = c.handle(.client(userItem("Is my flight on time?"), route: .observe))
        #expect(kinds(actions) == ["model:input_audio_buffer.clear", "model:session.update", "client:hub.agent.switched", "switch:flight"])
        let update = sentToModel(actions)[1]
        #expect(update["session"]?["instructions"] == .string("You are the flight agent."))
        #expect(update["session"]?["audio"]?["output"]?["voice"] == .string("verse"))
        #expect(update["session"]?["tools"]?.arrayValue?.first?["name"] == .string("check_flight_status"))
        #expect(c.agent.name == "flight")
        #expect(kinds(c.handle(.client(event(#"{"type":"response.create","event_id":"r1"}"#), route: .intercept))) == ["model:response.create"])
        // The answer to the hub's update stays hidden; so does the clear it asked for.
        #expect(c.handle(.model(event(#"{"type":"session.updated","event_id":"e","session":{"type":"realtime"}}"#), route: .intercept)).isEmpty)
        #expect(c.handle(.model(event(#"{"type":"input_audio_buffer.cleared","event_id":"e2"}"#), route: .intercept)).isEmpty)
    }

    @Test("an agent that starts from a summary: earlier items are deleted and one summary item takes their place")
    func summaryHandoff() {
        var c = conversation(agent: "flight")
        for (id, role, text) in [("item_u1", "user", "Is SB204 on time?"), ("item_a1", "assistant", "SB204 is on time.")] {
            _ = c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"\#(id)","type":"message","role":"\#(role)","content":[{"type":"input_text","text":"\#(text)"}]}}"#), route: .intercept))
        }
        _ = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"r","status":"completed","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"SB204 is on time."}]}]}}"#), route: .intercept))
        let actions = c.handle(.client(userItem("I need a rental car"), route: .observe))
        #expect(kinds(actions) == ["model:input_audio_buffer.clear", "model:session.update", "model:conversation.item.delete",
                                   "model:conversation.item.delete", "model:conversation.item.create", "client:hub.agent.switched", "switch:car"])
        let summary = sentToModel(actions)[4]
        #expect(summary["previous_item_id"] == .string("root"))
        #expect(summary["item"]?["role"] == .string("system"))
        let text = summary["item"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        #expect(text.contains("Is SB204 on time?") && text.contains("SB204 is on time."))
        // The model's answers to the hub's deletes and summary item stay hidden.
        #expect(c.handle(.model(event(#"{"type":"conversation.item.deleted","event_id":"e","item_id":"item_u1"}"#), route: .intercept)).isEmpty)
        let summaryID = summary["item"]?["id"]?.stringValue ?? ""
        #expect(c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e","item":{"id":"\#(summaryID)","type":"message","role":"system","content":[]}}"#), route: .intercept)).isEmpty)
    }

    @Test("a switch while a response is in flight cancels it first")
    func cancelsInFlight() {
        var c = conversation(agent: "flight")
        _ = c.handle(.client(event(#"{"type":"response.create","event_id":"r1"}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e","response":{"id":"resp_1"}}"#), route: .intercept))
        let actions = c.handle(.client(userItem("and my hotel booking?"), route: .observe))
        #expect(kinds(actions) == ["model:response.cancel", "model:input_audio_buffer.clear", "model:session.update", "client:hub.agent.switched", "switch:hotel"])
        // The client's request for the new answer waits for the cancelled response to end.
        #expect(c.handle(.client(event(#"{"type":"response.create","event_id":"r2"}"#), route: .intercept)).isEmpty)
        let done = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"resp_1","status":"cancelled","output":[]}}"#), route: .intercept))
        #expect(kinds(done).suffix(1) == ["model:response.create"])
        #expect(sentToModel(done).last?.eventID == "r2")
    }

    @Test("neutral turns keep the agent; the hub says nothing")
    func neutral() {
        var c = conversation(agent: "hotel")
        #expect(c.handle(.client(userItem("yes please"), route: .observe)).isEmpty)
        #expect(c.handle(.client(userItem("   "), route: .observe)).isEmpty)
        #expect(c.agent.name == "hotel")
    }

    @Test("audio: the model never starts responses; the hub routes the transcript, then asks for the answer")
    func audioHandoff() {
        var c = conversation(hubEvents: false)
        let update = sentToModel(c.handle(.client(event(#"{"type":"session.update","event_id":"u","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad"}}}}}"#), route: .intercept)))
        #expect(update.first?["session"]?["audio"]?["input"]?["turn_detection"]?["create_response"] == .bool(false))
        #expect(update.first?["session"]?["audio"]?["input"]?["transcription"]?["model"] != nil)
        // The client sees its own setting back, and none of the hub's tools.
        let updated = c.handle(.model(event(#"{"type":"session.updated","event_id":"e","session":{"type":"realtime","tools":[{"type":"function","name":"check_flight_status"}],"audio":{"input":{"turn_detection":{"type":"server_vad","create_response":false}}}}}"#), route: .intercept))
        if case .sendToClient(let shown)? = updated.first {
            #expect(shown["session"]?["audio"]?["input"]?["turn_detection"]?["create_response"] == .bool(true))
            #expect(shown["session"]?["tools"] == .array([]))
        } else {
            Issue.record("session.updated was not shown to the client")
        }
        #expect(c.handle(.model(event(#"{"type":"input_audio_buffer.committed","event_id":"e","item_id":"item_1"}"#), route: .observe)).isEmpty)
        let actions = c.handle(.model(event(#"{"type":"conversation.item.input_audio_transcription.completed","event_id":"e","item_id":"item_1","content_index":0,"transcript":"I need to change my flight"}"#), route: .observe))
        #expect(kinds(actions) == ["model:input_audio_buffer.clear", "model:session.update", "switch:flight", "model:response.create"])
        #expect(sentToModel(actions).last?.eventID?.hasPrefix("hub_") == true)
    }

    @Test("a client's response.create waits for the transcript of committed audio, so the utterance is routed first")
    func responseWaitsForTranscript() {
        var c = conversation(hubEvents: false)
        _ = c.handle(.client(event(#"{"type":"session.update","event_id":"u","session":{"type":"realtime","audio":{"input":{"transcription":{"model":"whisper-1"}}}}}"#), route: .intercept))
        _ = c.handle(.model(event(#"{"type":"input_audio_buffer.committed","event_id":"e","item_id":"item_9"}"#), route: .observe))
        #expect(c.handle(.client(event(#"{"type":"response.create","event_id":"r1"}"#), route: .intercept)).isEmpty)
        let actions = c.handle(.model(event(#"{"type":"conversation.item.input_audio_transcription.completed","event_id":"e","item_id":"item_9","content_index":0,"transcript":"what about my hotel"}"#), route: .observe))
        #expect(kinds(actions) == ["model:input_audio_buffer.clear", "model:session.update", "switch:hotel", "model:response.create"])
        #expect(sentToModel(actions).last?.eventID == "r1")
    }
}

@Suite("tool calls the hub runs")
struct HubToolCallTests {
    private static let callItem = #"{"id":"item_fc","object":"realtime.item","type":"function_call","status":"in_progress","name":"check_flight_status","call_id":"call_1","arguments":""}"#

    /// Feeds the events of a response that only calls `check_flight_status`; returns what each produced.
    private func toolOnlyResponse(_ c: inout Conversation) -> [[Conversation.Action]] {
        [
            c.handle(.model(event(#"{"type":"response.created","event_id":"e1","response":{"id":"resp_1","status":"in_progress","output":[]}}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e2","response_id":"resp_1","output_index":0,"item":\#(Self.callItem)}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e3","item":\#(Self.callItem)}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"response.function_call_arguments.delta","event_id":"e4","response_id":"resp_1","item_id":"item_fc","output_index":0,"call_id":"call_1","delta":"{\"flight_number\":\"SB204\"}"}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"response.function_call_arguments.done","event_id":"e5","response_id":"resp_1","item_id":"item_fc","output_index":0,"call_id":"call_1","name":"check_flight_status","arguments":"{\"flight_number\":\"SB204\"}"}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"response.output_item.done","event_id":"e6","response_id":"resp_1","output_index":0,"item":{"id":"item_fc","type":"function_call","status":"completed","name":"check_flight_status","call_id":"call_1","arguments":"{}"}}"#), route: .intercept)),
            c.handle(.model(event(#"{"type":"response.done","event_id":"e7","response":{"id":"resp_1","status":"completed","output":[{"id":"item_fc","type":"function_call","name":"check_flight_status","call_id":"call_1","arguments":"{}"}]}}"#), route: .intercept)),
        ]
    }

    @Test("the call is run by the hub and hidden from the client; its output and one response.create follow")
    func hiddenCall() {
        var c = conversation(agent: "flight")
        _ = c.handle(.client(event(#"{"type":"response.create","event_id":"r1"}"#), route: .intercept))
        let steps = toolOnlyResponse(&c)
        #expect(steps.map(kinds) == [[], [], [], [], ["tool:check_flight_status"], [], []])
        let finished = c.handle(.toolFinished(ToolCallResult(
            callID: "call_1", name: "check_flight_status", arguments: #"{"flight_number":"SB204"}"#,
            output: #"{"outcome":"found","status":"on time"}"#, outcome: "found",
            sources: [.object(["source": .string("sqlite:flights")])])))
        #expect(kinds(finished) == ["model:conversation.item.create", "client:hub.tool.result", "model:response.create"])
        let output = sentToModel(finished)[0]["item"]
        #expect(output?["type"] == .string("function_call_output"))
        #expect(output?["call_id"] == .string("call_1"))
        if case .sendToClient(let result) = finished[1] {
            #expect(result["tool"] == .string("check_flight_status"))
            #expect(result["output"]?["status"] == .string("on time"))
            #expect(result["sources"]?.arrayValue?.count == 1)
        }
        // The output item the model echoes stays hidden; the answer is shown with its response.
        #expect(c.handle(.model(event(#"{"type":"conversation.item.added","event_id":"e8","item":{"id":"item_out","type":"function_call_output","call_id":"call_1","output":"{}"}}"#), route: .intercept)).isEmpty)
        #expect(c.handle(.model(event(#"{"type":"response.created","event_id":"e9","response":{"id":"resp_2"}}"#), route: .intercept)).isEmpty)
        let added = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e10","response_id":"resp_2","output_index":0,"item":{"id":"item_msg","type":"message","role":"assistant","content":[]}}"#), route: .intercept))
        #expect(kinds(added) == ["client:response.created", "client:response.output_item.added"])
        let done = c.handle(.model(event(#"{"type":"response.done","event_id":"e11","response":{"id":"resp_2","status":"completed","output":[{"id":"item_msg","type":"message","role":"assistant","content":[{"type":"output_text","text":"SB204 is on time."}]}]}}"#), route: .intercept))
        #expect(kinds(done) == ["client:response.done", "save"])
        if case .save(let state) = done[1] {
            #expect(state.history.last?.assistant == "SB204 is on time.")
            #expect(state.history.last?.tools.first?.hasPrefix("check_flight_status(") == true)
        }
    }

    @Test("two calls in one response: one response.create, after both outputs")
    func parallelCalls() {
        var c = conversation(agent: "flight")
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e1","response":{"id":"resp_1"}}"#), route: .intercept))
        for call in ["call_a", "call_b"] {
            _ = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_\#(call)","type":"function_call","name":"check_flight_status","call_id":"\#(call)","arguments":""}}"#), route: .intercept))
            #expect(kinds(c.handle(.model(event(#"{"type":"response.function_call_arguments.done","event_id":"e","item_id":"item_\#(call)","call_id":"\#(call)","name":"check_flight_status","arguments":"{}"}"#), route: .intercept))) == ["tool:check_flight_status"])
        }
        _ = c.handle(.model(event(#"{"type":"response.done","event_id":"e","response":{"id":"resp_1","status":"completed","output":[{"id":"item_call_a","type":"function_call","name":"check_flight_status"},{"id":"item_call_b","type":"function_call","name":"check_flight_status"}]}}"#), route: .intercept))
        let first = c.handle(.toolFinished(ToolCallResult(callID: "call_a", name: "check_flight_status", arguments: "{}", output: "{}", outcome: "found")))
        #expect(kinds(first) == ["model:conversation.item.create", "client:hub.tool.result"])
        let second = c.handle(.toolFinished(ToolCallResult(callID: "call_b", name: "check_flight_status", arguments: "{}", output: "{}", outcome: "found")))
        #expect(kinds(second) == ["model:conversation.item.create", "client:hub.tool.result", "model:response.create"])
    }

    @Test("a tool the client declared is the client's: its call passes through untouched")
    func clientTool() {
        var c = conversation(hubEvents: false, agent: "flight")
        let update = sentToModel(c.handle(.client(event(#"{"type":"session.update","event_id":"u","session":{"type":"realtime","tools":[{"type":"function","name":"open_map","parameters":{"type":"object"}}]}}"#), route: .intercept)))
        #expect(update.first?["session"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["check_flight_status", "open_map"])
        _ = c.handle(.model(event(#"{"type":"response.created","event_id":"e1","response":{"id":"resp_1"}}"#), route: .intercept))
        let added = c.handle(.model(event(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_m","type":"function_call","name":"open_map","call_id":"call_m","arguments":""}}"#), route: .intercept))
        #expect(kinds(added) == ["client:response.created", "client:response.output_item.added"])
        let done = c.handle(.model(event(#"{"type":"response.function_call_arguments.done","event_id":"e","item_id":"item_m","call_id":"call_m","name":"open_map","arguments":"{}"}"#), route: .intercept))
        #expect(kinds(done) == ["client:response.function_call_arguments.done"])
    }

    @Test("a client tool may not take a hub tool's name")
    func reservedName() {
        var c = conversation(hubEvents: false)
        let actions = c.handle(.client(event(#"{"type":"session.update","event_id":"u","session":{"type":"realtime","tools":[{"type":"function","name":"check_flight_status"}]}}"#), route: .intercept))
        #expect(kinds(actions) == ["client:error"])
    }
}
