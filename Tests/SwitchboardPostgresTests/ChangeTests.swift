import Foundation
import SwitchboardData
@testable import SwitchboardPostgres
import Testing

extension PostgresTests {
    @Suite("Changes")
    struct Changes {
        @Test("a flight change is one transaction: a new booking, the old one cancelled, the seat moved")
        func changeFlight() async throws {
            try await withDemoData { (data) async throws in
                let seatsOld = try #require(try await data.seatsAvailable("SB204", Fixture.day(5)))
                let seatsNew = try #require(try await data.seatsAvailable("SB204", Fixture.day(6)))
                let quote = try await data.quoteFlightChange(
                    confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                guard case .available(let offer) = quote else {
                    Issue.record("expected an offer, got \(quote)")
                    return
                }
                // A quote changes nothing.
                #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew)
                #expect(try await data.booking(confirmation: "BKQ431", customerID: "C-1001")?.status == .confirmed)

                let result = try await data.changeFlight(
                    confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                guard case .confirmed(let receipt) = result else {
                    Issue.record("expected a confirmed change, got \(result)")
                    return
                }
                #expect(receipt.total == offer.total)
                #expect(receipt.oldBooking.confirmation == "BKQ431")
                #expect(receipt.oldBooking.status == .cancelled)
                #expect(receipt.oldBooking.replacedBy == receipt.newBooking.confirmation)
                #expect(receipt.newBooking.status == .confirmed)
                #expect(receipt.newBooking.flight.date == Fixture.day(6))
                #expect(receipt.newBooking.seat == "14C")
                #expect(receipt.newBooking.farePaid == offer.booking.farePaid + offer.fareDifference)
                #expect(receipt.newBooking.confirmation.hasPrefix("BK") && receipt.newBooking.confirmation.count == 6)
                #expect(try await data.seatsAvailable("SB204", Fixture.day(5)) == seatsOld + 1)
                #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew - 1)
                let bookings = try await data.bookings(customerID: "C-1001")
                #expect(bookings.map(\.confirmation) == ["BKQ431", receipt.newBooking.confirmation, "BKR518"])

                // The same change again is refused: the booking was already changed.
                let again = try await data.changeFlight(
                    confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                guard case .refused(.notChangeable(let reason)) = again else {
                    Issue.record("expected a refusal, got \(again)")
                    return
                }
                #expect(reason.contains(receipt.newBooking.confirmation))
                #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew - 1)
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings WHERE customer_id = 'C-1001'") == 3)
            }
        }

        @Test("refusals come from the shared rules and change nothing")
        func refusals() async throws {
            try await withDemoData { (data) async throws in
                func change(_ confirmation: String, _ customer: String, _ offset: Int) async throws -> FlightChangeResult {
                    try await data.changeFlight(confirmation: confirmation, customerID: customer, newDate: Fixture.day(offset), today: Fixture.today)
                }
                // Basic Economy cannot be changed.
                guard case .refused(.notChangeable(let reason)) = try await change("BKS602", "C-1002", 4) else {
                    Issue.record("Basic Economy was changed")
                    return
                }
                #expect(reason.contains("Basic Economy"))
                // Sold out (SB204 on +7) and cancelled (SB204 on +9) departures; no departure on +40.
                #expect(try await change("BKQ431", "C-1001", 7) == .refused(.unavailable(flightNumber: "SB204")))
                #expect(try await change("BKQ431", "C-1001", 9) == .refused(.unavailable(flightNumber: "SB204")))
                #expect(try await change("BKQ431", "C-1001", 40) == .refused(.unavailable(flightNumber: "SB204")))
                #expect(try await change("BKQ431", "C-1001", -1) == .refused(.unavailable(flightNumber: "SB204")))
                #expect(try await change("BKX000", "C-1001", 6) == .refused(.notFound))
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings") == Fixture.demo.bookings.count)
                #expect(try await data.booking(confirmation: "BKQ431", customerID: "C-1001")?.status == .confirmed)
            }
        }

        @Test("concurrent confirms of one booking: exactly one is confirmed, one seat is taken")
        func concurrentConfirmsOfOneBooking() async throws {
            try await withDemoData { (data) async throws in
                let seatsNew = try #require(try await data.seatsAvailable("SB204", Fixture.day(6)))
                // The booking is locked while the confirms start, so that they all overlap.
                let results = try await data.withRowsLockedForTest("SELECT 1 FROM bookings WHERE confirmation = 'BKQ431' FOR UPDATE") {
                    try await withThrowingTaskGroup(of: FlightChangeResult.self) { group in
                        for _ in 0..<6 {
                            group.addTask {
                                try await data.changeFlight(
                                    confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                #expect(results.count == 6)
                let confirmed = results.compactMap { result -> FlightChangeReceipt? in
                    if case .confirmed(let receipt) = result { return receipt }
                    return nil
                }
                #expect(confirmed.count == 1)
                for result in results {
                    if case .refused(let refusal) = result {
                        guard case .notChangeable(let reason) = refusal else {
                            Issue.record("unexpected refusal \(refusal)")
                            continue
                        }
                        #expect(reason.contains("already changed"))
                    }
                }
                #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew - 1)
                #expect(try await data.integerForTest(
                    "SELECT COUNT(*) FROM bookings WHERE customer_id = 'C-1001' AND status = 'confirmed'") == 2)
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings") == Fixture.demo.bookings.count + 1)
            }
        }

        @Test("two bookings racing for the last seat: one moves, the other is refused inside its transaction")
        func lastSeat() async throws {
            try await withDemoData { (data) async throws in
                // A second SB204 booking on +5, for Sam, and one seat left on +6.
                try await data.executeForTest(
                    """
                    INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                    VALUES ('BKW777', 'C-1002', 'SB204', '\(Fixture.day(5).iso)', 'Y', 32900, '15A', 'confirmed')
                    """
                )
                try await data.executeForTest(
                    "UPDATE flights SET seats_available = 1 WHERE number = 'SB204' AND date = '\(Fixture.day(6).iso)'")
                // Both bookings are locked while the changes start, so that they overlap.
                let results = try await data.withRowsLockedForTest(
                    "SELECT 1 FROM bookings WHERE confirmation IN ('BKQ431', 'BKW777') FOR UPDATE"
                ) {
                    async let alex = data.changeFlight(confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                    async let sam = data.changeFlight(confirmation: "BKW777", customerID: "C-1002", newDate: Fixture.day(6), today: Fixture.today)
                    return try await [alex, sam]
                }
                let confirmed = results.filter { if case .confirmed = $0 { true } else { false } }
                #expect(confirmed.count == 1, "\(results)")
                #expect(results.contains(.refused(.unavailable(flightNumber: "SB204"))), "\(results)")
                #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == 0)
                #expect(try await data.integerForTest(
                    "SELECT COUNT(*) FROM bookings WHERE flight_date = '\(Fixture.day(6).iso)' AND status = 'confirmed'") == 1)
            }
        }

        @Test("moves in opposite directions between two departures do not deadlock")
        func crossingMoves() async throws {
            try await withDemoData { (data) async throws in
                try await data.executeForTest(
                    """
                    INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                    VALUES ('BKW778', 'C-1002', 'SB204', '\(Fixture.day(6).iso)', 'Y', 32900, '15B', 'confirmed')
                    """
                )
                let results = try await data.withRowsLockedForTest(
                    "SELECT 1 FROM bookings WHERE confirmation IN ('BKQ431', 'BKW778') FOR UPDATE"
                ) {
                    async let forward = data.changeFlight(confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                    async let backward = data.changeFlight(confirmation: "BKW778", customerID: "C-1002", newDate: Fixture.day(5), today: Fixture.today)
                    return try await [forward, backward]
                }
                #expect(results.allSatisfy { if case .confirmed = $0 { true } else { false } }, "\(results)")
            }
        }

        @Test("a reservation change moves the stay in one transaction, re-checking the rooms")
        func changeReservation() async throws {
            try await withDemoData { (data) async throws in
                let quote = try await data.quoteReservationChange(
                    confirmation: "H204518", customerID: "C-1001", checkIn: Fixture.day(10), nights: 2, today: Fixture.today)
                guard case .available(let offer) = quote else {
                    Issue.record("expected an offer, got \(quote)")
                    return
                }
                #expect(offer.total == Money(cents: 28900 * 2 + 2500))
                #expect(try await data.reservation(confirmation: "H204518", customerID: "C-1001")?.checkIn == Fixture.day(5))

                let result = try await data.changeReservation(
                    confirmation: "H204518", customerID: "C-1001", checkIn: Fixture.day(10), nights: 2, today: Fixture.today)
                guard case .confirmed(let receipt) = result else {
                    Issue.record("expected a confirmed change, got \(result)")
                    return
                }
                #expect(receipt.total == offer.total)
                #expect(receipt.reservation.checkIn == Fixture.day(10) && receipt.reservation.nights == 2)
                #expect(receipt.reservation.checkOut == Fixture.day(12))
                let stored = try #require(try await data.reservation(confirmation: "H204518", customerID: "C-1001"))
                #expect(stored == receipt.reservation)
                #expect(try await data.textForTest("SELECT check_out::text FROM reservations WHERE confirmation = 'H204518'")
                    == Fixture.day(12).iso)

                // Keeping its length (nights: nil) into the sold-out King nights is refused.
                let soldOut = try await data.changeReservation(
                    confirmation: "H204518", customerID: "C-1001", checkIn: Fixture.day(20), nights: nil, today: Fixture.today)
                #expect(soldOut == .refused(.unavailable(hotel: "Harbor View Hotel", checkIn: Fixture.day(20), checkOut: Fixture.day(22))))
                #expect(try await data.reservation(confirmation: "H204518", customerID: "C-1001")?.checkIn == Fixture.day(10))
            }
        }

        @Test("two reservations racing for the last room: exactly one moves")
        func lastRoom() async throws {
            try await withDemoData { (data) async throws in
                // King rooms: 2; Jordan takes one on +25, leaving one.
                try await data.executeForTest(
                    """
                    INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                    VALUES ('H999001', 'C-1003', 'HVNYC', 'King', '\(Fixture.day(25).iso)', '\(Fixture.day(26).iso)', 1, 'confirmed')
                    """
                )
                // Both reservations are locked while the changes start, so that they overlap.
                let results = try await data.withRowsLockedForTest(
                    "SELECT 1 FROM reservations WHERE confirmation IN ('H204518', 'H402277') FOR UPDATE"
                ) {
                    async let alex = data.changeReservation(
                        confirmation: "H204518", customerID: "C-1001", checkIn: Fixture.day(25), nights: 1, today: Fixture.today)
                    async let sam = data.changeReservation(
                        confirmation: "H402277", customerID: "C-1002", checkIn: Fixture.day(25), nights: 1, today: Fixture.today)
                    return try await [alex, sam]
                }
                let confirmed = results.filter { if case .confirmed = $0 { true } else { false } }
                #expect(confirmed.count == 1, "\(results)")
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(25), nights: 1, excluding: nil) == 0)
                #expect(try await data.integerForTest(
                    "SELECT COUNT(*) FROM reservations WHERE check_in = '\(Fixture.day(25).iso)' AND room_type = 'King'") == 2)
            }
        }
    }
}
