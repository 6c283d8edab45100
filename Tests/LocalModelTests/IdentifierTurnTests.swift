import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// With no trigger said, a code picks the tool that takes it, and the one whose arguments the
/// utterance fills.
@Suite("the local model picks the tool a code fills")
struct IdentifierTurnTests {
    @Test("a code and nothing else: the tool that needs only the code", arguments: [
        ("Anything I should know about S B two oh four?", "check_flight_status", ["flight_number": JSONValue.string("SB204")]),
        ("Could you sort out BKQ431 for Friday?", "check_change_flight",
         ["confirmation": JSONValue.string("BKQ431"), "new_date": JSONValue.string("2026-11-20")]),
    ])
    func filled(_ text: String, _ tool: String, _ arguments: [String: JSONValue]) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say(text).functionCall(.ga))
        #expect(call.name == tool)
        #expect(call.arguments == JSONObject(arguments.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    @Test("a trigger whose tool does not take the code said loses to the tool that does")
    func codeBeatsTrigger() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        // "change" points at the change check, which takes a booking code, not a flight number.
        let call = try #require(try hub.say("Any change with S B two oh four today?").functionCall(.ga))
        #expect(call.name == "check_flight_status")
        #expect(call.arguments["flight_number"] == .string("SB204"))
    }

    @Test("a code the tools do not take changes nothing: the knowledge base answers")
    func foreignCode() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say("What does XY9 mean on my receipt?").functionCall(.ga))
        #expect(call.name == "search_flight_knowledgebase")
    }
}
