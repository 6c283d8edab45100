import Foundation
import SwitchboardData
@testable import SwitchboardPostgres
import Testing

extension PostgresTests {
    @Suite("Schema and seed")
    struct Seeding {
        @Test("the first connect creates the schema and the demo data")
        func seedsOnFirstConnect() async throws {
            try await withDemoData { (data) async throws in
                #expect(data.wasSeeded)
                #expect(data.sourceName == "postgres")
                #expect(try await data.customer(id: "C-1001")?.name == "Alex Morgan")
                #expect(try await data.customer(id: "C-1002")?.email == "sam.rivera@example.com")
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM flights") == 6 * DemoData.flightDays.count)
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings") == Fixture.demo.bookings.count)
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM reservations") == Fixture.demo.reservations.count)
                #expect(try await data.integerForTest("SELECT version FROM schema_version") == PostgresSchema.version)
                #expect(try await data.textForTest("SELECT seeded_on::text FROM schema_version") == Fixture.today.iso)
                // Days are real dates and amounts integer cents.
                #expect(try await data.textForTest(
                    "SELECT data_type FROM information_schema.columns WHERE table_name = 'flights' AND column_name = 'date'") == "date")
                #expect(try await data.textForTest(
                    "SELECT data_type FROM information_schema.columns WHERE table_name = 'bookings' AND column_name = 'fare_paid_cents'") == "integer")
            }
        }

        @Test("a second connect keeps the existing data and its dates")
        func reconnectKeepsData() async throws {
            let url = try await PostgresTestServer.current().createDatabase()
            let first = try await connect(url)
            try await first.executeForTest("UPDATE customers SET name = 'Alexandra Morgan' WHERE id = 'C-1001'")
            await first.shutdown()

            // A later day must not re-seed or shift anything.
            let second = try await connect(url, today: Fixture.day(10))
            #expect(!second.wasSeeded)
            #expect(try await second.customer(id: "C-1001")?.name == "Alexandra Morgan")
            #expect(try await second.integerForTest("SELECT COUNT(*) FROM customers") == Fixture.demo.customers.count)
            #expect(try await second.integerForTest("SELECT COUNT(*) FROM schema_version") == 1)
            let booking = try #require(try await second.booking(confirmation: "BKQ431", customerID: "C-1001"))
            #expect(booking.flight.date == Fixture.day(5))
            await second.shutdown()
        }

        @Test("replicas starting together on an empty database seed it once")
        func concurrentFirstStarts() async throws {
            let url = try await PostgresTestServer.current().createDatabase()
            let replicas = try await withThrowingTaskGroup(of: PostgresBusinessData.self) { group in
                for _ in 0..<4 { group.addTask { try await connect(url) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replicas.filter(\.wasSeeded).count == 1)
            let data = replicas[0]
            #expect(try await data.integerForTest("SELECT COUNT(*) FROM customers") == Fixture.demo.customers.count)
            #expect(try await data.integerForTest("SELECT COUNT(*) FROM flights") == Fixture.demo.flights.count)
            #expect(try await data.integerForTest("SELECT COUNT(*) FROM schema_version") == 1)
            for replica in replicas { await replica.shutdown() }
        }

        @Test("a schema from a newer version is refused as corrupt")
        func newerSchema() async throws {
            let url = try await PostgresTestServer.current().createDatabase()
            let first = try await connect(url)
            try await first.executeForTest("UPDATE schema_version SET version = 99")
            await first.shutdown()
            let error = await #expect(throws: DataError.self) { _ = try await connect(url) }
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains("99") == true)
        }

        @Test("a database holding other tables of the same names is refused as corrupt")
        func foreignSchema() async throws {
            let url = try await PostgresTestServer.current().createDatabase()
            let first = try await connect(url)
            try await first.executeForTest("DROP TABLE schema_version")
            await first.shutdown()
            let error = await #expect(throws: DataError.self) { _ = try await connect(url) }
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains("already exists") == true, "\(error?.message ?? "")")
        }

        @Test("a write that breaks a foreign key is a constraint error and changes nothing")
        func constraint() async throws {
            try await withDemoData { (data) async throws in
                let error = await #expect(throws: DataError.self) {
                    try await data.executeForTest(
                        """
                        INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, status)
                        VALUES ('BKZ999', 'C-4040', 'SB204', '\(Fixture.day(1).iso)', 'Y', 100, 'confirmed')
                        """
                    )
                }
                #expect(error?.kind == .constraint)
                #expect(try await data.integerForTest("SELECT COUNT(*) FROM bookings WHERE confirmation = 'BKZ999'") == 0)
            }
        }
    }
}
