import Foundation
import SwitchboardData
@testable import SwitchboardPostgres
import Testing

extension PostgresTests {
    @Suite("Queries")
    struct Queries {
        @Test("the demo bookings, reservations and disruptions are where the spec puts them")
        func demoData() async throws {
            try await withDemoData { (data) async throws in
                let alex = try await data.bookings(customerID: "C-1001")
                #expect(alex.map(\.confirmation) == ["BKQ431", "BKR518"])
                #expect(alex.map(\.flight.number) == ["SB204", "SB311"])
                #expect(alex.map(\.flight.date) == [Fixture.day(5), Fixture.day(12)])
                #expect(alex[0].flight.origin == "SFO" && alex[0].flight.destination == "JFK")
                #expect(alex[1].flight.origin == "JFK" && alex[1].flight.destination == "LHR")

                let stays = try await data.reservations(customerID: "C-1001")
                #expect(stays.map(\.confirmation) == ["H204518", "H311702"])
                #expect(stays[0].hotel.name == "Harbor View Hotel" && stays[0].hotel.city == "New York")
                #expect(stays[0].checkIn == Fixture.day(5) && stays[0].nights == 3)
                #expect(stays[1].hotel.name == "Kensington Gardens Hotel" && stays[1].hotel.city == "London")

                #expect(try await data.flight(number: "SB204", date: Fixture.day(-3)) != nil)
                #expect(try await data.flight(number: "SB204", date: Fixture.day(30)) != nil)
                #expect(try await data.flight(number: "SB204", date: Fixture.day(31)) == nil)
                #expect(try await data.textForTest("SELECT string_agg(DISTINCT status, ',' ORDER BY status) FROM flights")
                    == "cancelled,delayed,on time")
            }
        }

        @Test("every row reads back exactly as the seed wrote it")
        func rowsRoundTrip() async throws {
            try await withDemoData { (data) async throws in
                let demo = Fixture.demo
                for customer in demo.customers {
                    #expect(try await data.customer(id: customer.id) == customer)
                }
                for booking in demo.bookings {
                    #expect(try await data.booking(confirmation: booking.confirmation, customerID: booking.customerID) == booking)
                }
                for reservation in demo.reservations {
                    #expect(try await data.reservation(confirmation: reservation.confirmation, customerID: reservation.customerID)
                        == reservation)
                }
                for hotel in demo.hotels {
                    #expect(try await data.hotel(id: hotel.id) == hotel)
                    #expect(try await data.rooms(hotelID: hotel.id)
                        == demo.rooms.filter { $0.hotelID == hotel.id }.sorted { ($0.nightlyRate.cents, $0.roomType) < ($1.nightlyRate.cents, $1.roomType) })
                }
                for flight in demo.flights where flight.number == "SB204" {
                    #expect(try await data.flight(number: flight.number, date: flight.date) == flight)
                }
                #expect(try await data.customer(id: "C-9999") == nil)
                #expect(try await data.hotel(id: "NOPE") == nil)
                #expect(try await data.rooms(hotelID: "NOPE").isEmpty)
            }
        }

        @Test("the next departure is the first on or after the day")
        func nextDeparture() async throws {
            try await withDemoData { (data) async throws in
                #expect(try await data.nextDeparture(number: "SB204", onOrAfter: Fixture.day(4))?.date == Fixture.day(4))
                #expect(try await data.nextDeparture(number: "SB204", onOrAfter: Fixture.day(-10))?.date == Fixture.day(-3))
                #expect(try await data.nextDeparture(number: "SB204", onOrAfter: Fixture.day(31)) == nil)
                #expect(try await data.nextDeparture(number: "SB999", onOrAfter: Fixture.today) == nil)
                let cancelled = try #require(try await data.flight(number: "SB204", date: Fixture.day(9)))
                #expect(cancelled.status == .cancelled)
                let delayed = try #require(try await data.flight(number: "SB204", date: Fixture.today))
                #expect(delayed.status == .delayed && delayed.delayMinutes == 40)
                #expect(try await data.seatsAvailable("SB204", Fixture.day(7)) == 0)
            }
        }

        @Test("customer-scoped queries never return another customer's rows")
        func scoping() async throws {
            try await withDemoData { (data) async throws in
                #expect(try await data.booking(confirmation: "BKS602", customerID: "C-1001") == nil)
                #expect(try await data.booking(confirmation: "BKS602", customerID: "C-1002")?.customerID == "C-1002")
                #expect(try await data.reservation(confirmation: "H402277", customerID: "C-1001") == nil)
                #expect(try await data.bookings(customerID: "C-1002").allSatisfy { $0.customerID == "C-1002" })
                #expect(try await data.bookings(customerID: "C-1002").map(\.confirmation) == ["BKS602", "BKT275"])
                #expect(try await data.reservations(customerID: "C-1002").map(\.confirmation) == ["H402277"])
                #expect(try await data.bookings(customerID: "C-9999").isEmpty)
                // Someone else's booking cannot be quoted or changed either.
                let quote = try await data.quoteFlightChange(
                    confirmation: "BKS602", customerID: "C-1001", newDate: Fixture.day(4), today: Fixture.today)
                #expect(quote == .refused(.notFound))
                let change = try await data.changeReservation(
                    confirmation: "H402277", customerID: "C-1001", checkIn: Fixture.day(25), nights: nil, today: Fixture.today)
                #expect(change == .refused(.notFound))
                #expect(try await data.reservation(confirmation: "H402277", customerID: "C-1002")?.checkIn == Fixture.day(20))
            }
        }

        @Test("room availability counts the busiest night and can leave a reservation out")
        func roomAvailability() async throws {
            try await withDemoData { (data) async throws in
                // King rooms: 2. H402291 holds nights +19…+22, H402277 nights +20…+22.
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(17), nights: 2, excluding: nil) == 2)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(18), nights: 2, excluding: nil) == 1)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(18), nights: 3, excluding: nil) == 0)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(18), nights: 3, excluding: "H402277") == 1)
                // H204518 holds nights +5…+7.
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(6), nights: 1, excluding: nil) == 1)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(6), nights: 1, excluding: "H204518") == 2)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(8), nights: 1, excluding: nil) == 2)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "Penthouse", checkIn: Fixture.day(6), nights: 1, excluding: nil) == 0)
                #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "King", checkIn: Fixture.day(6), nights: 0, excluding: nil) == 2)
                #expect(try await data.rooms(hotelID: "HVNYC").map(\.roomType) == ["Double Queen", "King"])
            }
        }
    }
}
