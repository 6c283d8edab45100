import Foundation
import SwitchboardCore
@testable import SwitchboardData
import Testing

@Suite("SQLite business data")
struct SQLiteBusinessDataTests {
    @Test("first open creates the directory, the schema and the demo data")
    func seedsOnFirstOpen() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/dir/business.sqlite").path
        let data = try await SQLiteBusinessData.open(path: path, today: Fixture.today.date())
        #expect(data.wasSeeded)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await data.customer(id: "C-1001")?.name == "Alex Morgan")
        #expect(try await data.customer(id: "C-1002")?.name == "Sam Rivera")
        let flights = try await data.integerForTest("SELECT COUNT(*) FROM flights")
        #expect(flights == 6 * DemoData.flightDays.count)
        #expect(try await data.integerForTest("SELECT version FROM schema_version") == SQLiteSchema.version)
        await data.close()
    }

    @Test("a second open keeps the existing data and its dates")
    func reopenKeepsData() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("business.sqlite").path
        let first = try await SQLiteBusinessData.open(path: path, today: Fixture.today.date())
        try await first.executeForTest("UPDATE customers SET name = ? WHERE id = ?", [.text("Alexandra Morgan"), .text("C-1001")])
        await first.close()

        // A later day must not re-seed or shift anything.
        let second = try await SQLiteBusinessData.open(path: path, today: Fixture.day(10).date())
        #expect(!second.wasSeeded)
        #expect(try await second.customer(id: "C-1001")?.name == "Alexandra Morgan")
        #expect(try await second.integerForTest("SELECT COUNT(*) FROM customers") == Fixture.demo.customers.count)
        let booking = try #require(try await second.booking(confirmation: "BKQ431", customerID: "C-1001"))
        #expect(booking.flight.date == Fixture.day(5))
        await second.close()
    }

    @Test("the connection uses WAL and enforces foreign keys")
    func pragmas() async throws {
        try await withDemoData { (data) async throws in
            #expect(try await data.textForTest("PRAGMA journal_mode") == "wal")
            #expect(try await data.integerForTest("PRAGMA foreign_keys") == 1)
            let error = await #expect(throws: DataError.self) {
                try await data.executeForTest(
                    "INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [.text("BKZ999"), .text("C-4040"), .text("SB204"), .text(Fixture.day(1).iso), .text("Y"), .integer(100), .text("confirmed")]
                )
            }
            #expect(error?.kind == .constraint)
        }
    }

    @Test("a file that is not a database is reported corrupt")
    func notADatabase() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("garbage.sqlite").path
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: DataError.self) {
            _ = try await SQLiteBusinessData.open(path: path, today: Fixture.today.date())
        }
        #expect(error?.kind == .corrupt)
    }

    @Test("a schema from a newer version is refused")
    func newerSchema() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("business.sqlite").path
        let data = try await SQLiteBusinessData.open(path: path, today: Fixture.today.date())
        try await data.executeForTest("UPDATE schema_version SET version = ?", [.integer(99)])
        await data.close()
        let error = await #expect(throws: DataError.self) {
            _ = try await SQLiteBusinessData.open(path: path, today: Fixture.today.date())
        }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains("99") == true)
    }

    @Test("a path that cannot be created is unavailable")
    func unopenable() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A regular file where the parent directory should be.
        let blocker = directory.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let error = await #expect(throws: DataError.self) {
            _ = try await SQLiteBusinessData.open(path: blocker.appendingPathComponent("business.sqlite").path)
        }
        #expect(error?.kind == .unavailable)
    }

    @Test("a closed database answers unavailable")
    func closed() async throws {
        try await withDemoData { (data) async throws in
            await data.close()
            let error = await #expect(throws: DataError.self) { _ = try await data.customer(id: "C-1001") }
            #expect(error?.kind == .unavailable)
        }
    }

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
            let statuses = try await data.withDatabase { (database) throws(DataError) in
                try database.query("SELECT status FROM flights GROUP BY status ORDER BY status") { $0.text() }
            }
            #expect(statuses == ["cancelled", "delayed", "on time"])
        }
    }

    @Test("customer-scoped queries never return another customer's rows")
    func scoping() async throws {
        try await withDemoData { (data) async throws in
            #expect(try await data.booking(confirmation: "BKS602", customerID: "C-1001") == nil)
            #expect(try await data.booking(confirmation: "BKS602", customerID: "C-1002")?.customerID == "C-1002")
            #expect(try await data.reservation(confirmation: "H402277", customerID: "C-1001") == nil)
            #expect(try await data.bookings(customerID: "C-1002").allSatisfy { $0.customerID == "C-1002" })
            #expect(try await data.reservations(customerID: "C-1002").map(\.confirmation) == ["H402277"])
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
            #expect(try await data.roomsAvailable(hotelID: "HVNYC", roomType: "Penthouse", checkIn: Fixture.day(6), nights: 1, excluding: nil) == 0)
            #expect(try await data.rooms(hotelID: "HVNYC").map(\.roomType) == ["Double Queen", "King"])
        }
    }

    @Test("a flight change made directly is one transaction that moves the seat")
    func changeFlightDirectly() async throws {
        try await withDemoData { (data) async throws in
            let seatsOld = try #require(try await data.seatsAvailable("SB204", Fixture.day(5)))
            let seatsNew = try #require(try await data.seatsAvailable("SB204", Fixture.day(6)))
            let result = try await data.changeFlight(confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
            guard case .confirmed(let receipt) = result else {
                Issue.record("expected a confirmed change, got \(result)")
                return
            }
            #expect(receipt.oldBooking.status == .cancelled)
            #expect(receipt.oldBooking.replacedBy == receipt.newBooking.confirmation)
            #expect(receipt.newBooking.flight.date == Fixture.day(6))
            #expect(receipt.newBooking.seat == "14C")
            #expect(try await data.seatsAvailable("SB204", Fixture.day(5)) == seatsOld + 1)
            #expect(try await data.seatsAvailable("SB204", Fixture.day(6)) == seatsNew - 1)
        }
    }
}

@Suite("Data location")
struct DataLocationTests {
    @Test("sqlite locations parse to a path")
    func sqlite() throws {
        #expect(try DataLocation(parsing: "sqlite:data/business.sqlite") == .sqlite(path: "data/business.sqlite"))
        #expect(try DataLocation(parsing: "sqlite:///var/lib/switchboard.db") == .sqlite(path: "/var/lib/switchboard.db"))
        #expect(try DataLocation(parsing: "SQLite:/tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(DataLocation.sqlite(path: "a.db").description == "sqlite:a.db")
    }

    @Test("other schemes are refused with a clear message", arguments: [
        ("mysql://host/db", "unknown data scheme \"mysql\""),
        ("business.sqlite", "no scheme"),
        ("sqlite:", "no file path"),
    ])
    func refused(text: String, expected: String) {
        let error = #expect(throws: DataError.self) { try DataLocation(parsing: text) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("sqlite:PATH") == true)
    }

    @Test("a location opens its store")
    func opens() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try DataLocation(parsing: "sqlite:\(directory.path)/b.sqlite")
        let data = try await location.open(today: Fixture.today.date())
        #expect(data.sourceName == "sqlite")
        #expect(try await data.customer(id: "C-1001") != nil)
        await (data as? SQLiteBusinessData)?.close()
    }
}
