import Foundation
import SwitchboardData
import SwitchboardTesting
import Testing
@testable import SwitchboardPlatform

@Suite("platform store")
struct PlatformStoreTests {
    @Test("in memory") func memory() async throws {
        try await PlatformStoreConformance.everything(MemoryPlatformStore())
    }

    @Test("in SQLite: everything, kept across reopening, migrated once")
    func sqlite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-platform-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = SQLitePlatformStore.path(forDataPath: directory.appendingPathComponent("hub.sqlite").path)
        #expect(path.hasSuffix("/hub.platform.sqlite"))
        let store = try await SQLitePlatformStore.open(path: path)
        try await PlatformStoreConformance.everything(store)
        let kept = Tenant(name: "Kept", packs: ["travel"], defaultAgent: "concierge", limits: TenantLimits(monthlySpend: 120.5))
        try await store.createTenant(kept)
        let version = try await store.version()
        await store.shutdown()
        let again = try await SQLitePlatformStore.open(path: path)
        #expect(try await again.tenant(id: kept.id) == kept)
        #expect(try await again.version() == version, "reopening migrates nothing twice and writes nothing")
        await again.shutdown()
    }

    @Test("an SQLite file from a newer build, or one that is no database, is refused as corrupt")
    func refusals() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-platform-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let garbage = directory.appendingPathComponent("garbage.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        let refused = await #expect(throws: PlatformError.self) { try await SQLitePlatformStore.open(path: garbage) }
        #expect(refused?.kind == .corrupt || refused?.kind == .unavailable)
        let newer = directory.appendingPathComponent("newer.sqlite").path
        await (try SQLitePlatformStore.open(path: newer)).shutdown()
        let connection = try SQLiteConnection(path: newer)
        try connection.withDatabase { (database) throws(DataError) in
            try database.run("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)")
        }
        connection.close()
        let error = await #expect(throws: PlatformError.self) { try await SQLitePlatformStore.open(path: newer) }
        #expect(error?.kind == .corrupt && error?.message.contains("version 99") == true)
    }

    @Test("numbers and SIP addresses are keyed one way; anything else is refused")
    func numbers() {
        #expect(NumberBinding.normalized(" +1 (555) 010-0001 ") == "+15550100001")
        #expect(NumberBinding.normalized("sip:Desk@PBX.example.com") == "sip:desk@pbx.example.com")
        for bad in ["", "5550100001", "+0155501000", "+1555", "+1234567890123456", "+1555０100001", "sip:", "sip:@host", "sip:a@", "sip:a b@host",
                    "sip:a@host;transport=tcp", "tel:+15550100001", "sip:" + String(repeating: "a", count: 300) + "@h"] {
            #expect(NumberBinding.normalized(bad) == nil, "\(bad)")
        }
    }
}
