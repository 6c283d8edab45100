import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// "My flight", "my booking": an identifier the caller did not say comes from their own records,
/// through the persona's listing tool, and the record that fits what they said is used.
@Suite("the local model looks up the caller's own records")
struct RecordLookupTests {
    /// Two bookings, the New York one first (the next upcoming).
    let bookings = #"{"outcome":"found","customer_name":"Alex","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23","destination_city":"New York"},{"confirmation":"BKR518","flight_number":"SB311","date":"2026-11-30","destination_city":"London"}]}"#

    @Test("a change of 'my London flight': the listing runs, the London booking is chosen, the check follows with its code")
    func changeByDescription() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let lookup = try #require(try hub.say("I want to change my London flight to November 27").functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        #expect(lookup.arguments.isEmpty)
        let check = try #require(try hub.output(lookup, bookings).functionCall(.ga))
        #expect(check.name == "check_change_flight")
        #expect(check.arguments == ["confirmation": .string("BKR518"), "new_date": .string("2026-11-27")])
    }

    @Test("several records and nothing tells which: it asks, naming them; the answer picks one; a status check takes its date too")
    func whichOne() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let lookup = try #require(try hub.say("Is my flight delayed?").functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        #expect(try hub.output(lookup, bookings).spokenText == "Which one: SB204 (BKQ431, 2026-11-23), or SB311 (BKR518, 2026-11-30)?")
        let status = try #require(try hub.say("The London one").functionCall(.ga))
        #expect(status.name == "check_flight_status")
        #expect(status.arguments == ["flight_number": .string("SB311"), "date": .string("2026-11-30")])
    }

    @Test("one record: it is the one")
    func onlyOne() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let lookup = try #require(try hub.say("Is my flight delayed?").functionCall(.ga))
        let one = #"{"outcome":"found","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23"}]}"#
        let status = try #require(try hub.output(lookup, one).functionCall(.ga))
        #expect(status.arguments == ["flight_number": .string("SB204"), "date": .string("2026-11-23")])
    }

    @Test("someone else's flight, or a flight with no 'my': asked for, not looked up", arguments: [
        "What's the status of a flight my mum is on?", "Is my son's flight on time?", "Could you look up a flight status for me?",
    ])
    func notMine(_ text: String) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let events = try hub.say(text)
        #expect(events.functionCall(.ga) == nil)
        #expect(events.spokenText == "What is the flight number?")
    }

    @Test("no records: the identifier is asked for, as before; a missing date is asked after the lookup")
    func noRecords() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let lookup = try #require(try hub.say("I need to change my flight").functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        #expect(try hub.output(lookup, #"{"outcome":"not_found"}"#).spokenText == "What is your booking confirmation number?")
        #expect(try hub.say("It's B K Q 4 3 1.").spokenText == "What date would you like to fly instead?")

        var other = try HubScript(.ga, catalog: try Fixtures.catalog())
        let found = try #require(try other.say("I need to change my flight").functionCall(.ga))
        let one = #"{"outcome":"found","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23"}]}"#
        #expect(try other.output(found, one).spokenText == "What date would you like to fly instead?")
        let check = try #require(try other.say("the day after tomorrow").functionCall(.ga))
        #expect(check.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
    }

    @Test("a code the caller said is used as said: no lookup")
    func codeSaid() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let check = try #require(try hub.say("Can I change booking BKQ431 to November 27?").functionCall(.ga))
        #expect(check.name == "check_change_flight")
    }
}
