import Foundation
import Logging
import SwitchboardCore
import SwitchboardData
@testable import SwitchboardPostgres
import Testing

/// The fixed day every test's data is seeded for.
enum Fixture {
    static let today = CalendarDate(iso: "2025-11-20")!

    static func day(_ offset: Int) -> CalendarDate { today.adding(days: offset) }

    static let demo = DemoData(today: today)

    /// Waits long enough for a machine busy with other tests, short enough that a test of an
    /// unreachable server ends well before the pool's own 60 s.
    static let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 4)
}

/// A logger that prints nothing: the tests assert on results and errors, not on logs.
let quietLogger = Logger(label: "switchboard.postgres.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Starts one PostgreSQL server for the whole suite it is applied to and deletes it afterwards.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await PostgresTestServer.start()
        do {
            try await PostgresTestServer.$shared.withValue(server) { try await function() }
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }
}

extension SuiteTrait where Self == PostgresServerTrait {
    /// A real PostgreSQL server for the suite (`PostgresTestServer.current()`).
    static var postgresServer: Self { PostgresServerTrait() }
}

/// Connects to `url` for the fixture's day.
func connect(_ url: String, today: CalendarDate = Fixture.today) async throws -> PostgresBusinessData {
    try await PostgresBusinessData.connect(url: url, today: today.date(), options: Fixture.options, logger: quietLogger)
}

/// Runs `body` with freshly seeded demo data in a new database of the shared server, then shuts
/// the store down.
func withDemoData(_ body: (PostgresBusinessData) async throws -> Void) async throws {
    let data = try await connect(try await PostgresTestServer.current().createDatabase())
    do {
        try await body(data)
    } catch {
        await data.shutdown()
        throw error
    }
    await data.shutdown()
}

extension PostgresBusinessData {
    func seatsAvailable(_ number: String, _ date: CalendarDate) async throws -> Int? {
        try await flight(number: number, date: date)?.seatsAvailable
    }
}

/// The top-level suite: every PostgreSQL test runs inside it, against its one server.
@Suite("PostgreSQL business data", .postgresServer)
struct PostgresTests {}
