import Foundation
import RealtimeProtocol
import SwitchboardData
import SwitchboardServer
import SwitchboardTesting
import Testing

/// One text turn as a client: the user's words, then the answer and every event read for it.
private struct TurnResult {
    var events: [RealtimeEvent]
    /// The assistant's text in `response.done`.
    var answer: String {
        let output = events.last?["response"]?["output"]?.arrayValue ?? []
        return output.compactMap { item in
            item["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue ?? $0["transcript"]?.stringValue }.joined(separator: " ")
        }.joined(separator: " ")
    }
    func all(_ type: String) -> [RealtimeEvent] { events.filter { $0.type == type } }
}

private func say(_ client: RealtimeTestClient, _ text: String) async throws -> TurnResult {
    let escaped = text.replacingOccurrences(of: "\"", with: "\\\"")
    try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(escaped)"}]}}"#)
    try await client.send(#"{"type":"response.create"}"#)
    return TurnResult(events: try await client.events(until: "response.done"))
}

private func openSession(_ port: Int, key: String = UUID().uuidString) async throws -> RealtimeTestClient {
    let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
    #expect(try await client.nextEvent().type == "hub.session.ready")
    #expect(try await client.nextEvent().type == "session.created")
    try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
    #expect(try await client.nextEvent().type == "session.updated")
    return client
}

/// The strings of a JSON object's values, nested included: the facts a tool returned.
private func facts(_ value: JSONValue?) -> [String] {
    switch value {
    case .string(let s)?: return [s]
    case .number(let n)?: return [n]
    case .object(let o)?: return o.map(\.value).flatMap { facts($0) }
    case .array(let a)?: return a.flatMap { facts($0) }
    default: return []
    }
}

@Suite("agents, tools and handoffs end to end on the local model", .timeLimit(.minutes(2)))
struct AgentConversationTests {
    @Test("a flight status: the router hands over to the flight agent, which answers from the tool's result")
    func flightStatus() async throws {
        try await withHub { port in
            let client = try await openSession(port)
            let turn = try await say(client, "Is flight SB204 on time tomorrow?")
            let switched = try #require(turn.all("hub.agent.switched").first)
            #expect(switched["from"] == .string("concierge"))
            #expect(switched["to"] == .string("flight"))
            let result = try #require(turn.all("hub.tool.result").first)
            #expect(result["tool"] == .string("check_flight_status"))
            #expect(result["arguments"]?["flight_number"] == .string("SB204"))
            #expect(result["outcome"] == .string("found"))
            // The answer carries the facts of the tool's result: the status and the gate.
            let output = result["output"]
            #expect(turn.answer.contains(output?["status"]?.stringValue ?? "?"))
            #expect(turn.answer.contains(output?["gate"]?.stringValue ?? "?"))
            // The client never sees the hub's function call.
            #expect(turn.events.allSatisfy { !$0.type.hasPrefix("response.function_call_arguments") })
            #expect(turn.all("response.created").count == 1)
            await client.close()
        }
    }

    @Test("a flight change: checked, confirmed after a yes, and visible in the database")
    func flightChange() async throws {
        let configuration = testConfiguration()
        try await withHub(configuration) { port in
            let client = try await openSession(port)
            let check = try await say(client, "I need to change my flight BKQ431 to the day after tomorrow")
            let checked = try #require(check.all("hub.tool.result").first)
            #expect(checked["tool"] == .string("check_change_flight"))
            #expect(checked["outcome"] == .string("available"))
            #expect(check.answer.contains(checked["output"]?["total"]?.stringValue ?? "?"))
            let confirm = try await say(client, "yes please")
            let confirmed = try #require(confirm.all("hub.tool.result").first)
            #expect(confirmed["tool"] == .string("confirm_flight_change"))
            #expect(confirmed["outcome"] == .string("confirmed"))
            let newCode = try #require(confirmed["output"]?["new_confirmation"]?.stringValue)
            #expect(confirm.answer.contains(newCode))
            // Neutral turns ("yes please") keep the flight agent.
            #expect(confirm.all("hub.agent.switched").isEmpty)
            // The database agrees: the old booking is cancelled, the new one is booked.
            await client.close()
            let data = try await openTestData(configuration)
            let bookings = try await data.rows("SELECT confirmation, status FROM bookings WHERE customer_id = 'C-1001'")
            #expect(bookings.first { $0["confirmation"] == .text("BKQ431") }?["status"] == .text("cancelled"))
            #expect(bookings.contains { $0["confirmation"] == .text(newCode) && $0["status"] == .text("confirmed") })
            await data.shutdown()
        }
    }

    @Test("flight, then hotel, then back to flight: each agent answers in turn and the context is kept")
    func switchAndBack() async throws {
        try await withHub { port in
            let key = UUID().uuidString
            let client = try await openSession(port, key: key)
            let flight = try await say(client, "Is flight SB204 on time tomorrow?")
            #expect(flight.all("hub.agent.switched").first?["to"] == .string("flight"))
            let hotel = try await say(client, "What is the status of my hotel reservation H204518?")
            #expect(hotel.all("hub.agent.switched").first?["from"] == .string("flight"))
            #expect(hotel.all("hub.agent.switched").first?["to"] == .string("hotel"))
            let hotelResult = try #require(hotel.all("hub.tool.result").first)
            #expect(hotelResult["tool"] == .string("check_reservation_status"))
            #expect(hotel.answer.contains(hotelResult["output"]?["hotel"]?.stringValue ?? "?"))
            let back = try await say(client, "And which gate does my flight SB204 leave from tomorrow?")
            #expect(back.all("hub.agent.switched").first?["to"] == .string("flight"))
            #expect(back.all("hub.tool.result").first?["tool"] == .string("check_flight_status"))
            await client.close()

            // The history kept both agents' turns, in order, for the next connection.
            let again = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
            let ready = try await again.nextEvent()
            #expect(ready["resumed"] == .bool(true))
            #expect(ready["agent"] == .string("flight"))
            #expect(ready["history"]?.arrayValue?.compactMap { $0["agent"]?.stringValue } == ["flight", "hotel", "flight"])
            await again.close()
        }
    }

    @Test("a knowledge question is answered from the policy documents, with sources")
    func knowledge() async throws {
        try await withHub { port in
            let client = try await openSession(port)
            let turn = try await say(client, "How many checked bags can I bring on my flight?")
            let result = try #require(turn.all("hub.tool.result").first)
            #expect(result["tool"] == .string("search_flight_knowledgebase"))
            #expect(result["outcome"] == .string("found"))
            let sources = result["sources"]?.arrayValue ?? []
            #expect(!sources.isEmpty)
            #expect(sources.allSatisfy { $0["source"]?.stringValue?.hasPrefix("flight/") == true })
            #expect(!turn.answer.isEmpty)
            await client.close()
        }
    }

    @Test("a database that fails mid-session: the tool reports it, the agent says so, the session goes on")
    func databaseError() async throws {
        let configuration = testConfiguration()
        let data = try await openTestData(configuration)
        try await withHub(configuration, packs: data) { port in
            let client = try await openSession(port)
            let first = try await say(client, "Is flight SB204 on time tomorrow?")
            #expect(first.all("hub.tool.result").first?["outcome"] == .string("found"))
            await data.shutdown()
            let second = try await say(client, "Is flight SB311 on time tomorrow?")
            let failed = try #require(second.all("hub.tool.result").first)
            #expect(failed["outcome"] == .string("error"))
            #expect(failed["output"]?["error"]?["code"] == .string("data_unavailable"))
            #expect(second.last?["response"]?["status"] == .string("completed"))
            #expect(!second.answer.isEmpty)
            #expect(!second.answer.contains("SB311 from"))
            // The session still answers what needs no data.
            let third = try await say(client, "thanks")
            #expect(third.last?["response"]?["status"] == .string("completed"))
            await client.close()
        }
    }

    @Test("an empty utterance changes nothing and gets an answer, not an error")
    func emptyUtterance() async throws {
        try await withHub { port in
            let client = try await openSession(port)
            let turn = try await say(client, "   ")
            #expect(turn.all("hub.agent.switched").isEmpty)
            #expect(turn.all("hub.tool.result").isEmpty)
            #expect(turn.all("error").isEmpty)
            #expect(turn.last?["response"]?["status"] == .string("completed"))
            await client.close()
        }
    }
}

private extension TurnResult {
    var last: RealtimeEvent? { events.last }
}

@Suite("one live connection per session", .timeLimit(.minutes(1)))
struct TakeoverTests {
    @Test("a second connection takes the session over: the first saves its last words, is told why and closed")
    func takeover() async throws {
        try await withHub { port in
            let key = UUID().uuidString
            let first = try await openSession(port, key: key)
            _ = try await say(first, "Is flight SB204 on time tomorrow?")
            // Words the first connection said but never heard an answer to.
            try await first.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"and what about my hotel"}]}}"#)
            _ = try await first.events(until: "conversation.item.added")

            let second = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
            let notice = try await first.events(until: "hub.session.taken_over")
            #expect(notice.last?["session_key"] == .string(key.lowercased()))
            #expect(try await first.closeFrame().code == 4000)

            let ready = try await second.nextEvent()
            #expect(ready.type == "hub.session.ready")
            #expect(ready["resumed"] == .bool(true))
            let users = ready["history"]?.arrayValue?.compactMap { $0["user"]?.stringValue } ?? []
            #expect(users == ["Is flight SB204 on time tomorrow?", "and what about my hotel"])
            #expect(try await second.nextEvent().type == "session.created")
            await second.close()
        }
    }

    @Test("a client without hub events is told with an error event")
    func takeoverPlainClient() async throws {
        try await withHub { port in
            let key = UUID().uuidString
            let first = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            #expect(try await first.nextEvent().type == "session.created")
            let second = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            let events = try await first.events(until: "error")
            #expect(RealtimeError(event: events.last!)?.code == "session_taken_over")
            #expect(try await first.closeFrame().code == 4000)
            #expect(try await second.nextEvent().type == "session.created")
            await second.close()
        }
    }
}
