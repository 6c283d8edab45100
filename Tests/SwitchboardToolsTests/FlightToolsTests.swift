import Foundation
import SwitchboardCore
import RealtimeProtocol
@testable import SwitchboardData
import SwitchboardTools
import Testing

@Suite("Flight tools")
struct FlightToolsTests {
    private func demoFlight(_ number: String, _ offset: Int) throws -> Flight {
        try #require(Fixture.demo.flights.first { $0.number == number && $0.date == Fixture.day(offset) })
    }

    @Test("load_user_flight_info lists the caller's upcoming bookings")
    func loadUserFlights() async throws {
        try await withDemoData { (data) async throws in
            let call = try await standardRegistry(data).call("load_user_flight_info", "")
            #expect(call.outcome == "found")
            #expect(call["customer_name"] == .string("Alex Morgan"))
            #expect(call["count"] == .int(2))
            let bookings = try #require(call["bookings"]?.arrayValue)
            #expect(bookings.map { $0["confirmation"]?.stringValue } == ["BKQ431", "BKR518"])
            let first = try #require(bookings.first?.objectValue)
            #expect(first == [
                "confirmation": .string("BKQ431"), "flight_number": .string("SB204"), "date": .string(Fixture.day(5).iso),
                "origin": .string("SFO"), "destination": .string("JFK"), "departure_time": .string("08:15"),
                "status": .string("on time"), "seat": .string("14C"),
            ])
            #expect(call.result.sources == [
                .object(["source": .string("sqlite:bookings"), "id": .string("BKQ431")]),
                .object(["source": .string("sqlite:bookings"), "id": .string("BKR518")]),
            ])
        }
    }

    @Test("load_user_flight_info is scoped to the caller and not_found for unknown callers")
    func loadUserFlightsScoping() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let sam = try await registry.call("load_user_flight_info", as: Fixture.sam)
            #expect(sam.outcome == "found")
            let confirmations = sam["bookings"]?.arrayValue?.compactMap { $0["confirmation"]?.stringValue }
            #expect(confirmations == ["BKS602", "BKT275"])
            let stranger = try await registry.call("load_user_flight_info", as: Fixture.stranger)
            #expect(stranger.outcome == "not_found")
            #expect(stranger["customer_name"] == .string("Pat Unknown"))
            #expect(try await registry.call("load_user_flight_info", as: Fixture.anonymous).outcome == "not_found")
        }
    }

    @Test("check_flight_status finds a departure by date")
    func flightStatusByDate() async throws {
        try await withDemoData { (data) async throws in
            let call = try await standardRegistry(data).call("check_flight_status", #"{"flight_number":"SB204","date":"\#(Fixture.day(5).iso)"}"#)
            #expect(call.outcome == "found")
            #expect(call.output == [
                "outcome": .string("found"), "flight_number": .string("SB204"), "date": .string(Fixture.day(5).iso),
                "origin": .string("SFO"), "destination": .string("JFK"), "departure_time": .string("08:15"),
                "arrival_time": .string("16:50"), "status": .string("on time"), "gate": .string("B12"), "delay_minutes": .int(0),
            ])
            #expect(call.result.sources == [.object(["source": .string("sqlite:flights"), "id": .string("SB204 \(Fixture.day(5).iso)")])])
        }
    }

    @Test("check_flight_status without a date gives the next departure, delays and cancellations")
    func flightStatusNext() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let today = try await registry.call("check_flight_status", #"{"flight_number":"SB204"}"#)
            #expect(today["date"] == .string(Fixture.today.iso))
            #expect(today["status"] == .string("delayed"))
            #expect(today["delay_minutes"] == .int(40))
            let cancelled = try await registry.call("check_flight_status", #"{"flight_number":"SB118","date":"\#(Fixture.day(2).iso)"}"#)
            #expect(cancelled["status"] == .string("cancelled"))
        }
    }

    @Test("check_flight_status is not_found for an unknown flight or a day without one")
    func flightStatusNotFound() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let unknown = try await registry.call("check_flight_status", #"{"flight_number":"XY999"}"#)
            #expect(unknown.outcome == "not_found")
            #expect(unknown.output == ["outcome": .string("not_found"), "flight_number": .string("XY999")])
            let late = try await registry.call("check_flight_status", #"{"flight_number":"SB204","date":"\#(Fixture.day(45).iso)"}"#)
            #expect(late.output == ["outcome": .string("not_found"), "flight_number": .string("SB204"), "date": .string(Fixture.day(45).iso)])
        }
    }

    @Test("check_change_flight quotes the fee and fare difference and changes nothing")
    func checkChangeAvailable() async throws {
        try await withDemoData { (data) async throws in
            let old = try demoFlight("SB204", 5), new = try demoFlight("SB204", 6)
            let difference = max(0, new.baseFare.cents - old.baseFare.cents)
            let call = try await standardRegistry(data).call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#)
            #expect(call.output == [
                "outcome": .string("available"), "confirmation": .string("BKQ431"), "flight_number": .string("SB204"),
                "old_date": .string(Fixture.day(5).iso), "new_date": .string(Fixture.day(6).iso), "departure_time": .string("08:15"),
                "change_fee": .string("75.00"), "fare_difference": .string(Money(cents: difference).decimalString),
                "total": .string(Money(cents: 7500 + difference).decimalString), "currency": .string("USD"),
                "seats_available": .int(new.seatsAvailable),
            ])
            let booking = try await data.booking(confirmation: "BKQ431", customerID: "C-1001")
            #expect(booking?.status == .confirmed)
            #expect(booking?.flight.date == Fixture.day(5))
            #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == new.seatsAvailable)
        }
    }

    @Test("check_change_flight is unavailable when sold out, cancelled, past or beyond the schedule", arguments: [7, 9, 31, -1])
    func checkChangeUnavailable(offset: Int) async throws {
        try await withDemoData { (data) async throws in
            let date = Fixture.day(offset).iso
            let call = try await standardRegistry(data).call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(date)"}"#)
            #expect(call.output == [
                "outcome": .string("unavailable"), "confirmation": .string("BKQ431"), "flight_number": .string("SB204"),
                "new_date": .string(date),
            ])
        }
    }

    @Test("check_change_flight is not_changeable for basic fares and the booked date")
    func checkChangeNotChangeable() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let basic = try await registry.call("check_change_flight", #"{"confirmation":"BKS602","new_date":"\#(Fixture.day(4).iso)"}"#, as: Fixture.sam)
            #expect(basic.outcome == "not_changeable")
            #expect(basic["confirmation"] == .string("BKS602"))
            #expect(basic["reason"]?.stringValue?.contains("Basic Economy") == true)
            let same = try await registry.call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(5).iso)"}"#)
            #expect(same.outcome == "not_changeable")
        }
    }

    @Test("another customer's booking is not_found, never described")
    func checkChangeScoping() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            for name in ["check_change_flight", "confirm_flight_change"] {
                let call = try await registry.call(name, #"{"confirmation":"BKS602","new_date":"\#(Fixture.day(4).iso)"}"#)
                #expect(call.output == ["outcome": .string("not_found"), "confirmation": .string("BKS602")], "\(name)")
                #expect(call.result.sources.isEmpty)
            }
            let anonymous = try await registry.call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#, as: Fixture.anonymous)
            #expect(anonymous.outcome == "not_found")
            // Sam's booking is untouched.
            #expect(try await data.booking(confirmation: "BKS602", customerID: "C-1002")?.status == .confirmed)
        }
    }

    @Test("confirm_flight_change makes the new booking, cancels the old one and moves the seat")
    func confirmChange() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let seatsOld = try #require(try await data.seatsAvailable("SB204", Fixture.day(5)))
            let seatsNew = try #require(try await data.seatsAvailable("SB204", Fixture.day(6)))
            let check = try await registry.call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#)
            let call = try await registry.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#)
            #expect(call.outcome == "confirmed")
            #expect(call["old_confirmation"] == .string("BKQ431"))
            #expect(call["flight_number"] == .string("SB204"))
            #expect(call["new_date"] == .string(Fixture.day(6).iso))
            #expect(call["departure_time"] == .string("08:15"))
            #expect(call["total"] == check["total"])
            #expect(call["currency"] == .string("USD"))
            let newConfirmation = try #require(call["new_confirmation"]?.stringValue)
            #expect(newConfirmation.wholeMatch(of: /[A-Z]{3}[0-9]{3}/) != nil)
            #expect(newConfirmation != "BKQ431")

            let old = try #require(try await data.booking(confirmation: "BKQ431", customerID: "C-1001"))
            #expect(old.status == .cancelled)
            #expect(old.replacedBy == newConfirmation)
            let new = try #require(try await data.booking(confirmation: newConfirmation, customerID: "C-1001"))
            #expect(new.status == .confirmed)
            #expect(new.flight.date == Fixture.day(6))
            #expect(new.fareRule.fareClass == "Y")
            #expect(try await data.seatsAvailable("SB204", Fixture.day(5)) == seatsOld + 1)
            #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew - 1)

            let listed = try await registry.call("load_user_flight_info")
            #expect(listed["bookings"]?.arrayValue?.compactMap { $0["confirmation"]?.stringValue } == [newConfirmation, "BKR518"])
        }
    }

    @Test("a second confirm of the same old booking is refused and changes nothing")
    func secondConfirmRefused() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let first = try await registry.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#)
            #expect(first.outcome == "confirmed")
            let seats = try await data.seatsAvailable("SB204", Fixture.day(8))
            let bookings = try await data.integerForTest("SELECT COUNT(*) FROM bookings")
            let second = try await registry.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(8).iso)"}"#)
            #expect(second.outcome == "not_changeable")
            #expect(second["reason"]?.stringValue?.contains(first["new_confirmation"]?.stringValue ?? "?") == true)
            #expect(try await data.seatsAvailable("SB204", Fixture.day(8)) == seats)
            #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings") == bookings)
        }
    }

    @Test("concurrent confirms of one booking: exactly one succeeds")
    func concurrentConfirms() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for offset in [6, 8, 10, 11] {
                    group.addTask {
                        try await registry.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(offset).iso)"}"#).outcome
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == "confirmed" }.count == 1)
            #expect(outcomes.filter { $0 == "not_changeable" }.count == 3)
            let confirmed = try await data.bookings(customerID: "C-1001").filter { $0.status == .confirmed && $0.flight.number == "SB204" }
            #expect(confirmed.count == 1)
        }
    }

    @Test("confirm re-checks availability inside the transaction")
    func confirmRechecks() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let arguments = #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#
            #expect(try await registry.call("check_change_flight", arguments).outcome == "available")
            // Someone else takes the last seats between the check and the confirmation.
            try await data.executeForTest("UPDATE flights SET seats_available = 0 WHERE number = ? AND date = ?", [.text("SB204"), .text(Fixture.day(6).iso)])
            let call = try await registry.call("confirm_flight_change", arguments)
            #expect(call.outcome == "unavailable")
            #expect(try await data.booking(confirmation: "BKQ431", customerID: "C-1001")?.status == .confirmed)
        }
    }

    @Test("a failure midway through a change leaves every row as it was")
    func atomicity() async throws {
        try await withDemoData { (data) async throws in
            let seatsOld = try await data.seatsAvailable("SB204", Fixture.day(5))
            let seatsNew = try await data.seatsAvailable("SB204", Fixture.day(6))
            let bookings = try await data.integerForTest("SELECT COUNT(*) FROM bookings")
            // Taking a seat is the last step: the new booking is inserted, the old one cancelled and
            // its seat given back before this trigger fails the statement.
            try await data.executeForTest("""
                CREATE TRIGGER fail_seat_taking BEFORE UPDATE OF seats_available ON flights
                WHEN NEW.seats_available < OLD.seats_available
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
            let call = try await standardRegistry(data).call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Fixture.day(6).iso)"}"#)
            #expect(call.outcome == "error")
            #expect(call.errorCode == "data_unavailable")
            let old = try await data.booking(confirmation: "BKQ431", customerID: "C-1001")
            #expect(old?.status == .confirmed)
            #expect(old?.replacedBy == nil)
            #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings") == bookings)
            #expect(try await data.seatsAvailable("SB204", Fixture.day(5)) == seatsOld)
            #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew)
        }
    }
}
