import RealtimeProtocol
import SwitchboardCore
import Testing

private let agent = AgentProfile(name: "concierge", description: "d", instructions: "You are the concierge.", voice: "alloy",
                                 tools: [.object(["type": .string("function"), "name": .string("lookup_flight"), "parameters": .object([:])])])

private func conversation() -> Conversation {
    Conversation(
        configuration: .init(sessionKey: "k", hubEvents: false, requestedModel: nil, modelDialect: .ga, historyTurns: 3, hubTools: ["lookup_flight"]),
        state: SessionState(key: "k", activeAgent: "concierge"), agent: agent, clientDialect: .ga, resumed: false)
}

private func event(_ text: String) -> RealtimeEvent { try! RealtimeEvent.decode(text) }
private func errors(_ actions: [Conversation.Action]) -> [RealtimeError] {
    actions.compactMap { if case .sendToClient(let e) = $0 { return RealtimeError(event: e) } else { return nil } }
}
private func toModel(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToModel(let e) = $0 { return e } else { return nil } }
}

@Suite("what a client may not do")
struct ClientChecksTests {
    @Test("an output for a call the hub runs is refused; the model never sees it")
    func hubCallOutput() {
        var c = conversation()
        let run = c.handle(.model(event(#"{"type":"response.function_call_arguments.done","call_id":"call_1","item_id":"i1","name":"lookup_flight","arguments":"{}"}"#), route: .intercept))
        #expect(run.contains { if case .runTool = $0 { true } else { false } })
        let actions = c.handle(.client(event(#"{"type":"conversation.item.create","event_id":"e1","item":{"type":"function_call_output","call_id":"call_1","output":"{\"status\":\"cancelled\"}"}}"#), route: .intercept))
        #expect(errors(actions).first?.param == "item.call_id")
        #expect(toModel(actions).isEmpty)
    }

    @Test("an output for the client's own call passes")
    func clientCallOutput() {
        var c = conversation()
        _ = c.handle(.client(event(#"{"type":"session.update","session":{"type":"realtime","tools":[{"type":"function","name":"show_map","parameters":{}}]}}"#), route: .intercept))
        let actions = c.handle(.client(event(#"{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_9","output":"ok"}}"#), route: .intercept))
        #expect(errors(actions).isEmpty)
        #expect(toModel(actions).first?.type == "conversation.item.create")
    }

    @Test("response.create keeps the client's own tools beside the agent's, and a tool_choice naming one")
    func ownTools() {
        var c = conversation()
        _ = c.handle(.client(event(#"{"type":"session.update","session":{"type":"realtime","tools":[{"type":"function","name":"show_map","parameters":{}}]}}"#), route: .intercept))
        let actions = c.handle(.client(event(#"{"type":"response.create","response":{"instructions":"x","tools":[{"type":"function","name":"show_map","parameters":{}},{"type":"function","name":"evil","parameters":{}}],"tool_choice":{"type":"function","name":"show_map"}}}"#), route: .intercept))
        let response = toModel(actions).first { $0.type == "response.create" }?["response"]
        let names = response?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["lookup_flight", "show_map"])
        #expect(response?["tool_choice"]?["name"] == .string("show_map"))
        #expect(response?["instructions"] == nil)
    }

    @Test("a response that is not an object is refused")
    func responseShape() {
        var c = conversation()
        #expect(errors(c.handle(.client(event(#"{"type":"response.create","response":[1]}"#), route: .intercept))).first?.code == "invalid_type")
    }

    @Test("an item that is not an object is refused")
    func itemShape() {
        var c = conversation()
        #expect(errors(c.handle(.client(event(#"{"type":"conversation.item.create","item":"x"}"#), route: .intercept))).first?.code == "invalid_type")
    }
}
