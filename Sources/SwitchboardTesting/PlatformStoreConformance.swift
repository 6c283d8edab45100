import Foundation
import SwitchboardPlatform

/// What every `PlatformStore` does, run by the test targets on each engine (memory, SQLite,
/// PostgreSQL). This library does not link the test framework (it is shipped to other packages),
/// so a check that fails throws `PlatformStoreConformance.Failure` saying what differed and where.
public enum PlatformStoreConformance {
    /// A check that did not hold.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Tenants, numbers, keys, tool settings and secrets: written, read back, refused, and
    /// removed with their tenant. Leaves one tenant (`Bistro`) and its number behind.
    public static func everything(_ store: any PlatformStore) async throws {
        let start = try await store.version()
        let acme = Tenant(name: "Acme", packs: ["desk"], defaultAgent: "front", limits: TenantLimits(concurrentCalls: 5))
        let bistro = Tenant(name: "Bistro", packs: ["bookings"], defaultAgent: "host")
        try await store.createTenant(acme)
        try await store.createTenant(bistro)
        try expect(try await store.version() > start, "writes move the version on")
        try expectEqual(try await store.tenant(id: acme.id), acme, "the tenant read back")
        try expectEqual(try await store.tenants().map(\.id).sorted(), [acme.id, bistro.id].sorted(), "the tenants")
        try await expectRefusal("a second tenant with a name taken", PlatformError(.conflict, "a tenant named Acme exists already")) {
            try await store.createTenant(Tenant(name: "Acme", packs: [], defaultAgent: "x"))
        }
        var renamed = acme
        renamed.defaultAgent = "sales"
        renamed.limits.callsPerMinute = 30
        try await store.updateTenant(renamed)
        try expectEqual(try await store.tenant(id: acme.id), renamed, "the updated tenant")

        // Numbers: one tenant each; routing finds the tenant and agent.
        try await store.bind(NumberBinding(number: "+15550100001", tenantID: acme.id, agent: "sales"))
        try await store.bind(NumberBinding(number: "sip:desk@pbx.example.com", tenantID: acme.id, agent: "support"))
        try await store.bind(NumberBinding(number: "+15550100002", tenantID: bistro.id, agent: "bookings"))
        try await expectRefusal("binding a number another tenant has") {
            try await store.bind(NumberBinding(number: "+15550100001", tenantID: bistro.id, agent: "x"))
        }
        try expectEqual(try await store.binding(of: "+15550100001")?.tenantID, acme.id, "the tenant of +15550100001")
        try expectEqual(try await store.binding(of: "+15550100002")?.agent, "bookings", "the agent of +15550100002")
        try expectEqual(try await store.binding(of: "+15550109999"), nil, "the binding of a number nobody has")
        try expectEqual(try await store.numbers(tenant: acme.id).map(\.number), ["+15550100001", "sip:desk@pbx.example.com"], "Acme's numbers")
        // Another tenant cannot unbind it.
        try await expectRefusal("unbinding another tenant's number") { try await store.unbind("+15550100001", tenant: bistro.id) }
        try await store.unbind("sip:desk@pbx.example.com", tenant: acme.id)
        try expectEqual(try await store.numbers(tenant: acme.id).count, 1, "Acme's numbers after unbinding one")

        // Keys: found by hash, revoked by their own tenant only.
        let key = TenantKey(tenantID: acme.id, scope: .admin, hash: String(repeating: "a", count: 64), hint: "…abcd")
        try await store.addKey(key)
        try expectEqual(try await store.key(hash: key.hash), key, "the key found by its hash")
        try await expectRefusal("revoking another tenant's key") { try await store.revokeKey(id: key.id, tenant: bistro.id, at: Date()) }
        try await store.revokeKey(id: key.id, tenant: acme.id, at: Date(timeIntervalSince1970: 1_800_000_000.1234))
        try expectEqual(try await store.key(hash: key.hash)?.revokedAt, Date(timeIntervalSince1970: 1_800_000_000.123),
                        "the revocation time, to the millisecond")
        try expect(try await store.keys(tenant: bistro.id).isEmpty, "Bistro has no keys")

        // Tool settings and secrets, per tenant.
        let setting = ToolSetting(tenantID: acme.id, agent: "sales", tool: "crm_lookup", enabled: true, settings: #"{"endpoint":"https://crm.example.com"}"#)
        try await store.setTool(setting)
        var disabled = setting
        disabled.enabled = false
        try await store.setTool(disabled)
        try expectEqual(try await store.tools(tenant: acme.id), [disabled], "Acme's tools after setting one twice")
        try expect(try await store.tools(tenant: bistro.id).isEmpty, "Bistro has no tools")
        let secret = SealedSecret(tenantID: acme.id, name: "crm_token", sealed: "v1:abc", hint: "…1234")
        try await store.setSecret(secret)
        try expectEqual(try await store.secret(tenant: acme.id, name: "crm_token"), secret, "the secret read back")
        try expectEqual(try await store.secret(tenant: bistro.id, name: "crm_token"), nil, "nothing crosses tenants")
        try await expectRefusal("deleting another tenant's secret") { try await store.deleteSecret(tenant: bistro.id, name: "crm_token") }

        // A tenant's end takes everything of it, and nothing of the other's.
        try await store.deleteTenant(id: acme.id)
        try expectEqual(try await store.tenant(id: acme.id), nil, "the deleted tenant")
        try expectEqual(try await store.binding(of: "+15550100001"), nil, "the deleted tenant's number")
        try expectEqual(try await store.key(hash: key.hash), nil, "the deleted tenant's key")
        try expect(try await store.secrets(tenant: acme.id).isEmpty, "the deleted tenant's secrets are gone")
        try expect(try await store.tools(tenant: acme.id).isEmpty, "the deleted tenant's tools are gone")
        try expectEqual(try await store.binding(of: "+15550100002")?.tenantID, bistro.id, "the other tenant's number")
        try await expectRefusal("binding a number to the deleted tenant") {
            try await store.bind(NumberBinding(number: "+15550100003", tenantID: acme.id, agent: "x"))
        }
    }

    // MARK: Checks

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) throws {
        if !condition { throw Failure("\(file):\(line): \(message())") }
    }

    static func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String, file: StaticString = #fileID, line: UInt = #line) throws {
        if actual != expected { throw Failure("\(file):\(line): \(what): got \(actual), expected \(expected)") }
    }

    /// `body` throws a `PlatformError` (equal to `expected`, when given).
    static func expectRefusal(_ what: String, _ expected: PlatformError? = nil, file: StaticString = #fileID, line: UInt = #line,
                              _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as PlatformError {
            if let expected, error != expected {
                throw Failure("\(file):\(line): \(what): refused with \(error.kind) \"\(error.message)\", expected \(expected.kind) \"\(expected.message)\"")
            }
            return
        } catch {
            throw Failure("\(file):\(line): \(what): failed with \(type(of: error)) \(error), not a PlatformError")
        }
        throw Failure("\(file):\(line): \(what): was not refused")
    }
}
