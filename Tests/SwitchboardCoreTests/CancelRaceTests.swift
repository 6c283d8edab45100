import RealtimeProtocol
@testable import SwitchboardCore
import Testing

private let agent = AgentProfile(name: "desk", description: "d", instructions: "You are the desk.", voice: "alloy")

private func model(_ text: String) -> Conversation.Input { .model(try! RealtimeEvent.decode(text), route: .intercept) }

private func toModel(_ actions: [Conversation.Action]) -> [RealtimeEvent] {
    actions.compactMap { if case .sendToModel(let e) = $0 { return e } else { return nil } }
}

/// A client's `response.cancel` while a hub tool runs: whichever comes first, the cancelled
/// result or the model's `response.done`, no follow-up answer is asked for.
@Suite("cancelling a running tool")
struct CancelRaceTests {
    func conversation() -> Conversation {
        Conversation(
            configuration: .init(sessionKey: "key", hubEvents: false, requestedModel: nil, modelDialect: .ga, historyTurns: 5,
                                 hubTools: ["slow_lookup"]),
            state: SessionState(key: "key", activeAgent: "desk"), agent: agent, clientDialect: .ga, resumed: false)
    }

    let done = #"{"type":"response.done","event_id":"e","response":{"id":"resp_1","status":"completed","output":[{"id":"item_fc","type":"function_call","name":"slow_lookup","call_id":"call_1","arguments":"{}"}]}}"#
    let cancelled = Conversation.Input.toolFinished(ToolCallResult(callID: "call_1", name: "slow_lookup", arguments: "{}",
                                                                   output: #"{"outcome":"cancelled"}"#, outcome: "cancelled"))

    func startCall(_ c: inout Conversation) {
        _ = c.handle(model(#"{"type":"response.created","event_id":"e","response":{"id":"resp_1"}}"#))
        _ = c.handle(model(#"{"type":"response.output_item.added","event_id":"e","response_id":"resp_1","output_index":0,"item":{"id":"item_fc","type":"function_call","name":"slow_lookup","call_id":"call_1","arguments":""}}"#))
        _ = c.handle(model(#"{"type":"response.function_call_arguments.done","event_id":"e","item_id":"item_fc","call_id":"call_1","name":"slow_lookup","arguments":"{}"}"#))
    }

    @Test("the cancelled result before the model's response.done: no response.create")
    func resultFirst() throws {
        var c = conversation()
        startCall(&c)
        let cancel = c.handle(.client(try RealtimeEvent.decode(#"{"type":"response.cancel"}"#), route: .observe))
        #expect(cancel.contains { if case .cancelTools(let ids) = $0 { return ids == ["call_1"] } else { return false } })
        var sent = toModel(c.handle(cancelled))
        sent += toModel(c.handle(model(done)))
        #expect(sent.contains { $0.type == "conversation.item.create" })
        #expect(!sent.contains { $0.type == "response.create" }, "\(sent.map(\.type))")
    }

    @Test("the model's response.done before the cancelled result: no response.create")
    func doneFirst() throws {
        var c = conversation()
        startCall(&c)
        var sent = toModel(c.handle(model(done)))
        _ = c.handle(.client(try RealtimeEvent.decode(#"{"type":"response.cancel"}"#), route: .observe))
        sent += toModel(c.handle(cancelled))
        #expect(!sent.contains { $0.type == "response.create" }, "\(sent.map(\.type))")
    }

    @Test("an answered call still gets its follow-up")
    func answered() throws {
        var c = conversation()
        startCall(&c)
        var sent = toModel(c.handle(.toolFinished(ToolCallResult(callID: "call_1", name: "slow_lookup", arguments: "{}",
                                                                  output: #"{"outcome":"found"}"#, outcome: "found"))))
        sent += toModel(c.handle(model(done)))
        #expect(sent.contains { $0.type == "response.create" }, "\(sent.map(\.type))")
    }
}
