import Foundation
import SwitchboardCore
import RealtimeProtocol
@testable import SwitchboardData
import SwitchboardTools
import Testing

@Suite("Hotel tools")
struct HotelToolsTests {
    @Test("load_user_reservation_info lists the caller's stays")
    func loadReservations() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let call = try await registry.call("load_user_reservation_info")
            #expect(call.outcome == "found")
            #expect(call["customer_name"] == .string("Alex Morgan"))
            #expect(call["count"] == .int(2))
            let first = try #require(call["reservations"]?.arrayValue?.first?.objectValue)
            #expect(first == [
                "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"), "city": .string("New York"),
                "check_in": .string(Fixture.day(5).iso), "check_out": .string(Fixture.day(8).iso), "nights": .int(3),
                "room_type": .string("King"), "status": .string("confirmed"),
            ])
            #expect(call["reservations"]?.arrayValue?.last?["confirmation"] == .string("H311702"))
            let sam = try await registry.call("load_user_reservation_info", as: Fixture.sam)
            #expect(sam["reservations"]?.arrayValue?.compactMap { $0["confirmation"]?.stringValue } == ["H402277"])
            #expect(try await registry.call("load_user_reservation_info", as: Fixture.stranger).outcome == "not_found")
        }
    }

    @Test("check_reservation_status finds the caller's reservation only")
    func reservationStatus() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let call = try await registry.call("check_reservation_status", #"{"confirmation":"H204518"}"#)
            #expect(call.output == [
                "outcome": .string("found"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "city": .string("New York"), "address": .string("88 Water Street, New York, NY 10005"),
                "check_in": .string(Fixture.day(5).iso), "check_out": .string(Fixture.day(8).iso), "nights": .int(3),
                "room_type": .string("King"), "status": .string("confirmed"),
            ])
            #expect(call.result.sources == [.object(["source": .string("sqlite:reservations"), "id": .string("H204518")])])
            let other = try await registry.call("check_reservation_status", #"{"confirmation":"H402277"}"#)
            #expect(other.output == ["outcome": .string("not_found"), "confirmation": .string("H402277")])
            let missing = try await registry.call("check_reservation_status", #"{"confirmation":"H000000"}"#)
            #expect(missing.outcome == "not_found")
        }
    }

    @Test("check_change_reservation quotes the new stay, keeping the length when nights is left out")
    func checkChangeAvailable() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let call = try await registry.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Fixture.day(9).iso)"}"#)
            #expect(call.output == [
                "outcome": .string("available"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "old_check_in": .string(Fixture.day(5).iso), "old_check_out": .string(Fixture.day(8).iso),
                "check_in": .string(Fixture.day(9).iso), "check_out": .string(Fixture.day(12).iso), "nights": .int(3),
                "nightly_rate": .string("289.00"), "change_fee": .string("25.00"), "total": .string("892.00"),
                "currency": .string("USD"), "rooms_available": .int(2),
            ])
            let shorter = try await registry.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Fixture.day(6).iso)","nights":2}"#)
            #expect(shorter["check_out"] == .string(Fixture.day(8).iso))
            #expect(shorter["total"] == .string("603.00"))
            // Overlapping its own nights does not count against itself.
            #expect(shorter["rooms_available"] == .int(2))
            #expect(try await data.reservation(confirmation: "H204518", customerID: "C-1001")?.checkIn == Fixture.day(5))
        }
    }

    @Test("check_change_reservation is unavailable on sold-out or past nights")
    func checkChangeUnavailable() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let soldOut = try await registry.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Fixture.day(19).iso)","nights":2}"#)
            #expect(soldOut.output == [
                "outcome": .string("unavailable"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "check_in": .string(Fixture.day(19).iso), "check_out": .string(Fixture.day(21).iso),
            ])
            let past = try await registry.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Fixture.day(-2).iso)"}"#)
            #expect(past.outcome == "unavailable")
            let other = try await registry.call("check_change_reservation", #"{"confirmation":"H402277","check_in":"\#(Fixture.day(9).iso)"}"#)
            #expect(other.output == ["outcome": .string("not_found"), "confirmation": .string("H402277")])
        }
    }

    @Test("confirm_reservation_change moves the stay and the rooms it holds")
    func confirmChange() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let call = try await registry.call("confirm_reservation_change", #"{"confirmation":"H204518","check_in":"\#(Fixture.day(17).iso)","nights":2}"#)
            #expect(call.output == [
                "outcome": .string("confirmed"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "check_in": .string(Fixture.day(17).iso), "check_out": .string(Fixture.day(19).iso), "nights": .int(2),
                "total": .string("603.00"), "currency": .string("USD"),
            ])
            let stay = try #require(try await data.reservation(confirmation: "H204518", customerID: "C-1001"))
            #expect(stay.checkIn == Fixture.day(17) && stay.nights == 2 && stay.checkOut == Fixture.day(19))
            #expect(try await data.textForTest("SELECT check_out FROM reservations WHERE confirmation = 'H204518'") == Fixture.day(19).iso)
            // Its old nights are free again, its new ones taken.
            #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(5), nights: 3, excluding: nil) == 2)
            #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(17), nights: 2, excluding: nil) == 1)
        }
    }

    @Test("confirm_reservation_change re-checks availability and is scoped to the caller")
    func confirmRechecks() async throws {
        try await withDemoData { (data) async throws in
            let registry = standardRegistry(data)
            let arguments = #"{"confirmation":"H204518","check_in":"\#(Fixture.day(24).iso)"}"#
            #expect(try await registry.call("check_change_reservation", arguments).outcome == "available")
            // Both King rooms are booked by others between the check and the confirmation.
            for (code, customer) in [("H900001", "C-1002"), ("H900002", "C-1003")] {
                try await data.executeForTest(
                    "INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status) VALUES (?, ?, 'HVNYC', 'King', ?, ?, 1, 'confirmed')",
                    [.text(code), .text(customer), .text(Fixture.day(25).iso), .text(Fixture.day(26).iso)]
                )
            }
            #expect(try await registry.call("confirm_reservation_change", arguments).outcome == "unavailable")
            #expect(try await data.reservation(confirmation: "H204518", customerID: "C-1001")?.checkIn == Fixture.day(5))

            let other = try await registry.call("confirm_reservation_change", #"{"confirmation":"H402277","check_in":"\#(Fixture.day(3).iso)"}"#)
            #expect(other.outcome == "not_found")
            #expect(try await data.reservation(confirmation: "H402277", customerID: "C-1002")?.checkIn == Fixture.day(20))
        }
    }
}
