import RealtimeProtocol
@testable import SwitchboardCore
import Testing

/// The turn being built and closed into the history.
@Suite("the turn builder")
struct TurnBuilderTests {
    private func message(_ id: String, _ text: String) -> JSONValue {
        .object(["id": .string(id), "type": .string("message"), "content": .array([.object(["type": .string("output_text"), "text": .string(text)])])])
    }

    @Test("an empty turn closes to nothing")
    func empty() {
        var turn = TurnBuilder()
        #expect(turn.isEmpty)
        let value20 = turn.close(agent: "a")
        #expect(value20 == nil)
        #expect(turn.partial(agent: "a") == nil)
    }

    @Test("the user's pieces join; the answer's messages are collected; tools are recorded; closing starts afresh")
    func build() {
        var turn = TurnBuilder()
        turn.appendUser("Is my flight")
        turn.appendUser("on time?")
        turn.collect(output: [message("m1", "It is on time."), .object(["type": .string("function_call")])])
        turn.record(ToolCallResult(callID: "c", name: "check", arguments: "{}", output: "{}", outcome: "found",
                                   sources: [.object(["id": .string("x")])]))
        #expect(turn.partial(agent: "desk")?.user == "Is my flight on time?")
        let closed = turn.close(agent: "desk")
        #expect(closed?.user == "Is my flight on time?")
        #expect(closed?.assistant == "It is on time.")
        #expect(closed?.agent == "desk")
        #expect(closed?.tools == ["check({}) → found"])
        #expect(closed?.sources.first?.sources.count == 1)
        #expect(turn.isEmpty)
        let value21 = turn.close(agent: "desk")
        #expect(value21 == nil)
    }

    @Test("sources are capped per turn: results and entries")
    func caps() {
        var turn = TurnBuilder()
        let many = (0..<20).map { JSONValue.object(["id": .string("\($0)")]) }
        for index in 0..<(ToolSources.maximumResultsPerTurn + 3) {
            turn.record(ToolCallResult(callID: "c\(index)", name: "t", arguments: "{}", output: "{}", outcome: "found", sources: many))
        }
        let closed = turn.close(agent: "a")
        #expect(closed?.tools.count == ToolSources.maximumResultsPerTurn + 3)
        #expect(closed?.sources.count == ToolSources.maximumResultsPerTurn)
        #expect((closed?.sources.reduce(0) { $0 + $1.sources.count } ?? 0) <= ToolSources.maximumPerTurn)
    }
}
