import Foundation
import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// Changes stated against a record: the record's own values are looked up and moved.
@Suite("the local model applies changes stated against a record")
struct RelativeChangeTests {
    let bookings = #"{"outcome":"found","bookings":[{"confirmation":"BKQ431","flight_number":"SB204","date":"2026-11-23","destination_city":"New York"},{"confirmation":"BKR518","flight_number":"SB311","date":"2026-11-30","destination_city":"London"}]}"#

    @Test("moved by days, as callers say it", arguments: [
        ("Can you move BKQ431 a day later?", "2026-11-24"), ("Push BKR518 back two days please", "2026-12-02"),
        ("Could BKQ431 go a week earlier?", "2026-11-16"), ("Bring BKR518 forward a day", "2026-11-29"),
    ])
    func shifted(_ text: String, _ date: String) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let lookup = try #require(try hub.say(text).functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        let check = try #require(try hub.output(lookup, bookings).functionCall(.ga))
        #expect(check.name == "check_change_flight")
        #expect(check.arguments["new_date"] == .string(date))
    }

    @Test("'in two days' is a date, not a move; a date said outright wins over a move")
    func notAMove() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let check = try #require(try hub.say("Change BKQ431 to in two days").functionCall(.ga))
        #expect(check.arguments["new_date"] == .string("2026-11-20"))
    }

    @Test("after a quote, 'and a day later?' moves the quoted date")
    func afterQuote() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let check = try #require(try hub.say("Can I change BKQ431 to Friday?").functionCall(.ga))
        _ = try hub.output(check, #"{"outcome":"available","confirmation":"BKQ431","new_date":"2026-11-20","departure_time":"08:15","total":"75.00","currency":"USD"}"#)
        let again = try #require(try hub.say("What about a day later?").functionCall(.ga))
        #expect(again.name == "check_change_flight")
        #expect(again.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-21")])
    }
}

/// A count changed against a record: "one more night", "drop a night".
@Suite("the local model changes counts against a record")
struct RelativeCountTests {
    /// The flight tools, with the change check also taking a count of nights (for this test).
    static var tools: String {
        // The first of the two tools with these properties is the check.
        let plain = #""new_date":{"type":"string","format":"date"}},"required":["confirmation","new_date"]"#
        let counted = #""new_date":{"type":"string","format":"date"},"nights":{"type":"integer","minimum":1}},"required":["confirmation","new_date"]"#
        guard let range = Fixtures.flightTools.range(of: plain) else { return Fixtures.flightTools }
        return Fixtures.flightTools.replacingCharacters(in: range, with: counted)
    }
    let bookings = #"{"outcome":"found","bookings":[{"confirmation":"BKQ431","date":"2026-11-23","nights":3}]}"#

    @Test("the count moves from the record's, the date stays the record's", arguments: [
        ("Can I have one more night on BKQ431?", 4), ("Add a couple of nights to BKQ431", 5), ("Drop a night from BKQ431", 2),
        ("Extend BKQ431 by two nights", 5), ("BKQ431 with one night fewer please", 2),
    ])
    func counted(_ text: String, _ nights: Int) throws {
        #expect(Self.tools.contains(#""nights""#))
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog(), tools: Self.tools)
        let lookup = try #require(try hub.say(text).functionCall(.ga))
        #expect(lookup.name == "load_user_flight_info")
        let check = try #require(try hub.output(lookup, bookings).functionCall(.ga))
        #expect(check.name == "check_change_flight")
        #expect(check.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-23"), "nights": .int(nights)])
    }
}
