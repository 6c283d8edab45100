import Foundation
import Logging
import SwitchboardCalls
import SwitchboardPostgres
import Testing

/// The shared call store checks (CallStoreConformance, also run against memory and SQLite in
/// SwitchboardCallsTests) against PostgreSQL: each check gets a new database.
@Suite("Call store: PostgreSQL", PostgresSuiteServer())
struct CallStorePostgresTests {
    static let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 4)
    static let logger = Logger(label: "switchboard.calls.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func connect(_ url: String) async throws -> PostgresCallStore {
        try await PostgresCallStore.connect(url: url, options: options, logger: logger)
    }

    @Test(arguments: CallStoreConformance.checks.map(\.name))
    func conformance(check name: String) async throws {
        let check = try CallStoreConformance.check(named: name)
        let url = try await PostgresTestServer.current().createDatabase()
        let store = try await Self.connect(url)
        do {
            try await check(CallStoreConformance.Subject(store: store, replica: { try await Self.connect(url) }))
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

    @Test func replicasConnectingTogetherCreateTheSchemaOnce() async throws {
        let url = try await PostgresTestServer.current().createDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresCallStore.self) { group in
            for _ in 0..<6 { group.addTask { try await Self.connect(url) } }
            var stores: [PostgresCallStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        #expect(stores.count == 6)
        let record = CallStoreConformance.fullRecord()
        try await stores[0].save(record, events: [])
        #expect(try await stores[5].record(id: record.id) == record.withMillisecondTimes())
        for store in stores { await store.shutdown() }
        // Connecting again keeps the data.
        let again = try await Self.connect(url)
        #expect(try await again.record(id: record.id) == record.withMillisecondTimes())
        await again.shutdown()
    }

    @Test func aBadURLOrADeadServerIsUnavailable() async throws {
        let bad = try await #require(throws: CallStoreError.self) { try await Self.connect("postgres://nobody@") }
        #expect(bad.kind == .unavailable)
        let port = try PostgresTestServer.freePort()
        let quick = PostgresBusinessData.Options(connectionTimeout: .seconds(1), maximumConnections: 1)
        let dead = try await #require(throws: CallStoreError.self) {
            try await PostgresCallStore.connect(url: "postgres://u:p@127.0.0.1:\(port)/d?sslmode=disable", options: quick, logger: Self.logger)
        }
        #expect(dead.kind == .unavailable)
        #expect(!dead.message.contains(":p@"))
    }
}
