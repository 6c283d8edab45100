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

/// Two requests in one utterance: both run, in the order said, and both answers are said.
@Suite("the local model takes several requests in order")
struct SeveralRequestsTests {
    @Test("status then change: two calls, then one answer with both")
    func twoCalls() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let status = try #require(try hub.say("Is SB204 delayed, and can you also move BKQ431 to Friday?").functionCall(.ga))
        #expect(status.name == "check_flight_status")
        let found = #"{"outcome":"found","flight_number":"SB204","date":"2026-11-18","status":"on time"}"#
        let change = try #require(try hub.output(status, found).functionCall(.ga))
        #expect(change.name == "check_change_flight")
        #expect(change.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
        let quote = #"{"outcome":"unavailable","confirmation":"BKQ431","new_date":"2026-11-20"}"#
        let answer = try #require(try hub.output(change, quote).spokenText)
        #expect(answer.hasPrefix("Flight SB204"))
        #expect(answer.hasSuffix("There are no seats on Friday, November 20."))
    }

    @Test("a later request with a missing argument: the first answer, then the question")
    func thenQuestion() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let status = try #require(try hub.say("Is SB204 on time? And then change my booking.").functionCall(.ga))
        let found = #"{"outcome":"found","flight_number":"SB204","date":"2026-11-18","status":"on time"}"#
        let next = try hub.output(status, found)
        if let lookup = next.functionCall(.ga) {
            // The caller's own booking is looked up first.
            #expect(lookup.name == "load_user_flight_info")
        } else {
            #expect(next.spokenText?.hasPrefix("Flight SB204") == true)
        }
    }
}

/// Triggers tied between a tool that makes something and one that acts on a record: "my"
/// record means the one that acts on it.
@Suite("the local model breaks trigger ties toward the caller's own record")
struct TriggerTieTests {
    @Test("'change my bookings': the change, not the listing, though the listing comes first")
    func ownRecord() throws {
        var flight = try Fixtures.flight()
        flight.tools.sort { ($0.name == "load_user_flight_info" ? 0 : 1) < ($1.name == "load_user_flight_info" ? 0 : 1) }
        let catalog = PersonaCatalog(personas: [try Fixtures.concierge(), flight])
        var hub = try HubScript(.ga, catalog: catalog)
        let lookup = try #require(try hub.say("Change my bookings to Friday").functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        let one = #"{"outcome":"found","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23"}]}"#
        let check = try #require(try hub.output(lookup, one).functionCall(.ga))
        #expect(check.name == "check_change_flight")
        #expect(check.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
    }
}

/// Answers that name a choice the agent offered, "it" after a listing of one record, and "I'd
/// like a …" for a tool that makes one.
@Suite("the local model fills arguments from choices, listings and wants")
struct ChoicesAndWantsTests {
    /// A persona with a question that offers choices and a tool that makes a booking.
    static func catalog() throws -> PersonaCatalog {
        var flight = try Fixtures.flight()
        flight.questions["cabin"] = "Would you like economy, premium or business?"
        return PersonaCatalog(personas: [try Fixtures.concierge(), flight])
    }

    static let tools = """
        [{"type":"function","name":"reserve_seat","description":"Reserves a seat on a flight in a cabin and returns the seat.","parameters":{"type":"object","properties":{
            "flight_number":{"type":"string","pattern":"^[A-Z]{2}[0-9]{3,4}$"},"cabin":{"type":"string"}},"required":["flight_number","cabin"]}},
         {"type":"function","name":"check_flight_status","description":"Status of a flight and its seat map.","parameters":{"type":"object","properties":{
            "flight_number":{"type":"string","pattern":"^[A-Z]{2}[0-9]{3,4}$"}},"required":["flight_number"]}}]
        """

    @Test("'I'd like a seat' is the tool whose description starts by making one; the offered choice fills its argument")
    func wantAndChoice() throws {
        var catalog = try Self.catalog()
        var flight = try #require(catalog.persona(named: "flight"))
        flight.tools = [PersonaTool(name: "reserve_seat"), PersonaTool(name: "check_flight_status", triggers: ["status"])]
        catalog = PersonaCatalog(personas: [try Fixtures.concierge(), flight])
        var hub = try HubScript(.ga, catalog: catalog, tools: Self.tools)
        #expect(try hub.say("I'd like a seat on SB204").spokenText == "Would you like economy, premium or business?")
        let call = try #require(try hub.say("Premium, please").functionCall(.ga))
        #expect(call.name == "reserve_seat")
        #expect(call.arguments == ["flight_number": .string("SB204"), "cabin": .string("premium")])
    }

    @Test("'cancel it' after a listing of one record is about that record; after a listing of two, it asks")
    func itAfterListing() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let listing = try #require(try hub.say("What are my bookings?").functionCall(.ga))
        _ = try hub.output(listing, #"{"outcome":"found","customer_name":"Alex","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23"}]}"#)
        let change = try #require(try hub.say("Please change it to Friday").functionCall(.ga))
        #expect(change.name == "check_change_flight")
        #expect(change.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])

        var two = try HubScript(.ga, catalog: try Fixtures.catalog(), tools: Fixtures.flightToolsWithoutListing)
        let status = try #require(try two.say("Is SB204 on time?").functionCall(.ga))
        _ = try two.output(status, #"{"outcome":"found","flight_number":"SB204","date":"2026-11-18","status":"on time"}"#)
        #expect(try two.say("Please change it to Friday").spokenText == "What is your booking confirmation number?")

        var several = try HubScript(.ga, catalog: try Fixtures.catalog())
        let all = try #require(try several.say("What are my bookings?").functionCall(.ga))
        _ = try several.output(all, #"{"outcome":"found","customer_name":"Alex","bookings":[{"confirmation":"BKQ431","date":"2026-11-23"},{"confirmation":"BKR518","date":"2026-11-30"}]}"#)
        #expect(try several.say("Please change it to Friday").spokenText == "What is your booking confirmation number?")
    }
}
