import Foundation
import Logging
import SwitchboardCalls
import Testing

/// The shared store checks against the memory store and SQLite (PostgreSQL's run is in
/// SwitchboardPostgresTests).
@Suite("Call stores: memory and SQLite alike")
struct CallStoreTests {
    enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case memory, sqlite
        var testDescription: String { rawValue }
    }

    static let names = CallStoreConformance.checks.map(\.name)

    @Test(arguments: Engine.allCases, CallStoreTests.names)
    func conformance(engine: Engine, check name: String) async throws {
        let check = try CallStoreConformance.check(named: name)
        switch engine {
        case .memory:
            let store = MemoryCallStore()
            try await check(CallStoreConformance.Subject(store: store, replica: { store }))
        case .sqlite:
            let directory = try TemporaryDirectory()
            let path = directory.path + "/switchboard.calls.sqlite"
            let store = try await SQLiteCallStore.open(path: path)
            do {
                try await check(CallStoreConformance.Subject(store: store, replica: { try await SQLiteCallStore.open(path: path) }))
            } catch {
                await store.shutdown()
                throw error
            }
            await store.shutdown()
        }
    }

    @Test func memoryStoreDropsTheOldestEndedRecords() async throws {
        let store = MemoryCallStore(maximumRecords: 3)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        var records: [CallRecord] = []
        for index in 0..<5 {
            var record = CallRecord(channel: .websocket, direction: .inbound, sessionKey: "k\(index)", startedAt: base.addingTimeInterval(Double(index)))
            if index != 0 { record.endedAt = record.startedAt.addingTimeInterval(1) }
            records.append(record)
            try await store.save(record, events: [])
        }
        // The ongoing first record stays; the ended records 1 and 2 went.
        let ids = try await store.records(CallQuery(limit: 100)).data.map(\.id)
        #expect(ids == [records[4].id, records[3].id, records[0].id])
    }

    @Test func memoryStoreForgetsDeliveredAndBoundsDeadEvents() async throws {
        let store = MemoryCallStore(maximumDeadEvents: 2)
        let record = CallStoreConformanceFixtures.record
        let events = (0..<4).map { OutboxEvent.make(type: .callStarted, record: record, endpoint: "http://a/", at: Date(timeIntervalSince1970: Double($0))) }
        try await store.save(record, events: events)
        try await store.markDelivered(eventID: events[0].id, at: Date())
        for event in events.dropFirst() { try await store.markFailed(eventID: event.id, error: "no", retryAt: nil) }
        let counts = try await store.outboxCounts()
        #expect(counts.pending == 0)
        #expect(counts.dead == 2)
    }

    @Test func sqlitePathSitsBesideTheDataPath() {
        #expect(SQLiteCallStore.path(forDataPath: "data/switchboard.sqlite").hasSuffix("data/switchboard.calls.sqlite"))
        #expect(SQLiteCallStore.path(forDataPath: "/var/lib/sb/hub.db") == "/var/lib/sb/hub.calls.db")
        #expect(SQLiteCallStore.path(forDataPath: "/var/lib/sb/hub") == "/var/lib/sb/hub.calls")
    }

    @Test func sqliteKeepsRecordsAndEventsAcrossReopening() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/nested/dir/switchboard.calls.sqlite"
        let first = try await SQLiteCallStore.open(path: path)
        let record = CallStoreConformance.fullRecord()
        try await first.save(record, events: [OutboxEvent.make(type: .callEnded, record: record, endpoint: "http://a/", at: Date())])
        await first.shutdown()
        await #expect(throws: CallStoreError.self) { try await first.record(id: record.id) }
        let second = try await SQLiteCallStore.open(path: path)
        #expect(try await second.record(id: record.id) == record.withMillisecondTimes())
        #expect(try await second.outboxCounts().pending == 1)
        await second.shutdown()
    }

    @Test func sqliteRefusesANewerSchemaAndAFileThatIsNotADatabase() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/calls.sqlite"
        let store = try await SQLiteCallStore.open(path: path)
        await store.shutdown()
        // A later build wrote version 2.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE schema_version SET version = 2'); c.commit()", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let newer = try await #require(throws: CallStoreError.self) { try await SQLiteCallStore.open(path: path) }
        #expect(newer.kind == .corrupt)
        let garbage = directory.path + "/garbage.sqlite"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        let notDatabase = try await #require(throws: CallStoreError.self) { try await SQLiteCallStore.open(path: garbage) }
        #expect(notDatabase.kind == .corrupt)
    }
}

/// A directory of its own under the temporary directory, deleted when the value goes.
final class TemporaryDirectory: Sendable {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-calls-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("Picking the call store")
struct CallStoresTests {
    static let logger = Logger(label: "switchboard.calls.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func memoryWithoutDataAndAFileBesideASQLitePath() async throws {
        let memory = try await CallStores.open(data: nil, logger: Self.logger)
        #expect(memory is MemoryCallStore)
        let directory = try TemporaryDirectory()
        let sqlite = try await CallStores.open(data: "sqlite:\(directory.path)/hub.sqlite", logger: Self.logger)
        let store = try #require(sqlite as? SQLiteCallStore)
        #expect(store.path == "\(directory.path)/hub.calls.sqlite")
        #expect(FileManager.default.fileExists(atPath: store.path))
        await store.shutdown()
    }

    @Test func refusesAnUnknownLocationWithoutShowingThePassword() async throws {
        let error = try await #require(throws: CallStoreError.self) {
            try await CallStores.open(data: "mysql://u:hunter2@db/x", logger: Self.logger)
        }
        #expect(error.kind == .unavailable)
        #expect(!error.message.contains("hunter2"))
    }
}
