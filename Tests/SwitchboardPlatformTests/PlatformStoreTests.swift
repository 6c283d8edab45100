import Foundation
import SwitchboardData
import Testing
@testable import SwitchboardPlatform

/// What every platform store does, run on each engine.
enum PlatformStoreConformance {
    static func everything(_ store: any PlatformStore) async throws {
        let start = try await store.version()
        let acme = Tenant(name: "Acme Travel", packs: ["travel"], defaultAgent: "concierge", limits: TenantLimits(concurrentCalls: 5))
        let bistro = Tenant(name: "Bistro", packs: ["restaurant"], defaultAgent: "orchestrator")
        try await store.createTenant(acme)
        try await store.createTenant(bistro)
        #expect(try await store.version() > start, "writes move the version on")
        #expect(try await store.tenant(id: acme.id) == acme)
        #expect(try await store.tenants().map(\.id).sorted() == [acme.id, bistro.id].sorted())
        await #expect(throws: PlatformError(.conflict, "a tenant named Acme Travel exists already")) {
            try await store.createTenant(Tenant(name: "Acme Travel", packs: [], defaultAgent: "x"))
        }
        var renamed = acme
        renamed.defaultAgent = "flight"
        renamed.limits.callsPerMinute = 30
        try await store.updateTenant(renamed)
        #expect(try await store.tenant(id: acme.id) == renamed)

        // Numbers: one tenant each; routing finds the tenant and agent.
        try await store.bind(NumberBinding(number: "+15550100001", tenantID: acme.id, agent: "flight"))
        try await store.bind(NumberBinding(number: "sip:desk@pbx.example.com", tenantID: acme.id, agent: "hotel"))
        try await store.bind(NumberBinding(number: "+15550100002", tenantID: bistro.id, agent: "reservation"))
        await #expect(throws: PlatformError.self) { try await store.bind(NumberBinding(number: "+15550100001", tenantID: bistro.id, agent: "x")) }
        #expect(try await store.binding(of: "+15550100001")?.tenantID == acme.id)
        #expect(try await store.binding(of: "+15550100002")?.agent == "reservation")
        #expect(try await store.binding(of: "+15550109999") == nil)
        #expect(try await store.numbers(tenant: acme.id).map(\.number) == ["+15550100001", "sip:desk@pbx.example.com"])
        // Another tenant cannot unbind it.
        await #expect(throws: PlatformError.self) { try await store.unbind("+15550100001", tenant: bistro.id) }
        try await store.unbind("sip:desk@pbx.example.com", tenant: acme.id)
        #expect(try await store.numbers(tenant: acme.id).count == 1)

        // Keys: found by hash, revoked by their own tenant only.
        let key = TenantKey(tenantID: acme.id, scope: .admin, hash: String(repeating: "a", count: 64), hint: "…abcd")
        try await store.addKey(key)
        #expect(try await store.key(hash: key.hash) == key)
        await #expect(throws: PlatformError.self) { try await store.revokeKey(id: key.id, tenant: bistro.id, at: Date()) }
        try await store.revokeKey(id: key.id, tenant: acme.id, at: Date(timeIntervalSince1970: 1_800_000_000.1234))
        #expect(try await store.key(hash: key.hash)?.revokedAt == Date(timeIntervalSince1970: 1_800_000_000.123))
        #expect(try await store.keys(tenant: bistro.id).isEmpty)

        // Tool settings and secrets, per tenant.
        let setting = ToolSetting(tenantID: acme.id, agent: "flight", tool: "crm_lookup", enabled: true, settings: #"{"endpoint":"https://crm.example.com"}"#)
        try await store.setTool(setting)
        var disabled = setting
        disabled.enabled = false
        try await store.setTool(disabled)
        #expect(try await store.tools(tenant: acme.id) == [disabled])
        #expect(try await store.tools(tenant: bistro.id).isEmpty)
        let secret = SealedSecret(tenantID: acme.id, name: "crm_token", sealed: "v1:abc", hint: "…1234")
        try await store.setSecret(secret)
        #expect(try await store.secret(tenant: acme.id, name: "crm_token") == secret)
        #expect(try await store.secret(tenant: bistro.id, name: "crm_token") == nil, "nothing crosses tenants")
        await #expect(throws: PlatformError.self) { try await store.deleteSecret(tenant: bistro.id, name: "crm_token") }

        // A tenant's end takes everything of it, and nothing of the other's.
        try await store.deleteTenant(id: acme.id)
        #expect(try await store.tenant(id: acme.id) == nil)
        #expect(try await store.binding(of: "+15550100001") == nil)
        #expect(try await store.key(hash: key.hash) == nil)
        #expect(try await store.secrets(tenant: acme.id).isEmpty)
        #expect(try await store.tools(tenant: acme.id).isEmpty)
        #expect(try await store.binding(of: "+15550100002")?.tenantID == bistro.id)
        await #expect(throws: PlatformError.self) { try await store.bind(NumberBinding(number: "+15550100003", tenantID: acme.id, agent: "x")) }
    }
}

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
