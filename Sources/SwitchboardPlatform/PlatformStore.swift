import Foundation
import Synchronization

/// Where the platform's configuration lives: tenants, their numbers, keys, tool settings and
/// secrets. Every write bumps `version`, which replicas poll to drop what they read through.
/// Reads of a tenant's things take the tenant's id: nothing crosses tenants.
public protocol PlatformStore: Sendable {
    func createTenant(_ tenant: Tenant) async throws
    func tenant(id: String) async throws -> Tenant?
    func tenants() async throws -> [Tenant]
    func updateTenant(_ tenant: Tenant) async throws
    /// Removes the tenant and everything of it (numbers, keys, settings, secrets).
    func deleteTenant(id: String) async throws

    /// Binds a number; `.conflict` when another tenant (or this one) has it already.
    func bind(_ binding: NumberBinding) async throws
    /// The binding of `number` (normalized), whichever tenant it is: how a call is routed.
    func binding(of number: String) async throws -> NumberBinding?
    func numbers(tenant: String) async throws -> [NumberBinding]
    /// How many numbers are bound, across tenants (none: the hub serves one business).
    func numberCount() async throws -> Int
    /// `.notFound` unless the tenant has the number.
    func unbind(_ number: String, tenant: String) async throws

    func addKey(_ key: TenantKey) async throws
    /// The key with this SHA-256 (revoked ones too: the caller checks).
    func key(hash: String) async throws -> TenantKey?
    func keys(tenant: String) async throws -> [TenantKey]
    func revokeKey(id: String, tenant: String, at: Date) async throws

    func setTool(_ setting: ToolSetting) async throws
    func tools(tenant: String) async throws -> [ToolSetting]

    func setSecret(_ secret: SealedSecret) async throws
    func secret(tenant: String, name: String) async throws -> SealedSecret?
    func secrets(tenant: String) async throws -> [SealedSecret]
    func deleteSecret(tenant: String, name: String) async throws

    /// Grows with every write.
    func version() async throws -> Int64
    func shutdown() async
}

extension NumberBinding {
    /// `text` as the number table keys it: E.164 (`+` and 8–15 digits, spaces, dashes, dots and
    /// parentheses dropped), or a `sip:user@host` address, lowercased; nil when it is neither.
    public static func normalized(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("+") {
            let digits = trimmed.dropFirst().filter { !" -.()".contains($0) }
            guard (8...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0" else { return nil }
            return "+" + digits
        }
        let lower = trimmed.lowercased()
        guard lower.hasPrefix("sip:"), lower.utf8.count <= 256 else { return nil }
        let rest = lower.dropFirst(4)
        let parts = rest.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !rest.contains(where: { $0.isWhitespace || "<>\";,".contains($0) }) else { return nil }
        return lower
    }
}

/// The platform's configuration in memory (tests, and a hub with no `--data`).
public final class MemoryPlatformStore: PlatformStore {
    private struct State {
        var tenants: [String: Tenant] = [:]
        var numbers: [String: NumberBinding] = [:]
        var keys: [String: TenantKey] = [:]
        var tools: [String: ToolSetting] = [:]
        var secrets: [String: SealedSecret] = [:]
        var version: Int64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    private func write<T>(_ body: (inout State) throws(PlatformError) -> T) throws(PlatformError) -> T {
        try state.withLock { (state: inout State) throws(PlatformError) -> T in
            let result = try body(&state)
            state.version += 1
            return result
        }
    }

    private func requireTenant(_ id: String, in state: State) throws(PlatformError) {
        guard state.tenants[id] != nil else { throw PlatformError(.notFound, "no tenant \(id)") }
    }

    public func createTenant(_ tenant: Tenant) async throws {
        try write { (state) throws(PlatformError) in
            guard state.tenants[tenant.id] == nil else { throw PlatformError(.conflict, "a tenant \(tenant.id) exists already") }
            guard !state.tenants.values.contains(where: { $0.name == tenant.name }) else {
                throw PlatformError(.conflict, "a tenant named \(tenant.name) exists already")
            }
            state.tenants[tenant.id] = tenant
        }
    }

    public func tenant(id: String) async throws -> Tenant? { state.withLock { $0.tenants[id] } }

    public func tenants() async throws -> [Tenant] {
        state.withLock { $0.tenants.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        try write { (state) throws(PlatformError) in
            guard let existing = state.tenants[tenant.id] else { throw PlatformError(.notFound, "no tenant \(tenant.id)") }
            guard !state.tenants.values.contains(where: { $0.name == tenant.name && $0.id != tenant.id }) else {
                throw PlatformError(.conflict, "a tenant named \(tenant.name) exists already")
            }
            // A tenant's creation time stays what it was, as in the SQL stores.
            var updated = tenant
            updated.createdAt = existing.createdAt
            state.tenants[tenant.id] = updated
        }
    }

    public func deleteTenant(id: String) async throws {
        try write { (state) throws(PlatformError) in
            try requireTenant(id, in: state)
            state.tenants[id] = nil
            state.numbers = state.numbers.filter { $0.value.tenantID != id }
            state.keys = state.keys.filter { $0.value.tenantID != id }
            state.tools = state.tools.filter { $0.value.tenantID != id }
            state.secrets = state.secrets.filter { $0.value.tenantID != id }
        }
    }

    public func bind(_ binding: NumberBinding) async throws {
        try write { (state) throws(PlatformError) in
            try requireTenant(binding.tenantID, in: state)
            guard state.numbers[binding.number] == nil else { throw PlatformError(.conflict, "\(binding.number) is bound already") }
            state.numbers[binding.number] = binding
        }
    }

    public func binding(of number: String) async throws -> NumberBinding? { state.withLock { $0.numbers[number] } }

    public func numbers(tenant: String) async throws -> [NumberBinding] {
        state.withLock { $0.numbers.values.filter { $0.tenantID == tenant }.sorted { $0.number < $1.number } }
    }

    public func numberCount() async throws -> Int { state.withLock { $0.numbers.count } }

    public func unbind(_ number: String, tenant: String) async throws {
        try write { (state) throws(PlatformError) in
            guard state.numbers[number]?.tenantID == tenant else { throw PlatformError(.notFound, "\(tenant) has no number \(number)") }
            state.numbers[number] = nil
        }
    }

    public func addKey(_ key: TenantKey) async throws {
        try write { (state) throws(PlatformError) in
            try requireTenant(key.tenantID, in: state)
            guard state.keys[key.id] == nil, !state.keys.values.contains(where: { $0.hash == key.hash }) else {
                throw PlatformError(.conflict, "that key exists already")
            }
            state.keys[key.id] = key
        }
    }

    public func key(hash: String) async throws -> TenantKey? { state.withLock { $0.keys.values.first { $0.hash == hash } } }

    public func keys(tenant: String) async throws -> [TenantKey] {
        state.withLock { $0.keys.values.filter { $0.tenantID == tenant }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    public func revokeKey(id: String, tenant: String, at: Date) async throws {
        try write { (state) throws(PlatformError) in
            guard var key = state.keys[id], key.tenantID == tenant else { throw PlatformError(.notFound, "\(tenant) has no key \(id)") }
            if key.revokedAt == nil { key.revokedAt = PlatformTime.milliseconds(at) }
            state.keys[id] = key
        }
    }

    private static func toolKey(_ tenant: String, _ agent: String, _ tool: String) -> String { "\(tenant)\u{0}\(agent)\u{0}\(tool)" }

    public func setTool(_ setting: ToolSetting) async throws {
        try write { (state) throws(PlatformError) in
            try requireTenant(setting.tenantID, in: state)
            state.tools[Self.toolKey(setting.tenantID, setting.agent, setting.tool)] = setting
        }
    }

    public func tools(tenant: String) async throws -> [ToolSetting] {
        state.withLock { $0.tools.values.filter { $0.tenantID == tenant }.sorted { ($0.agent, $0.tool) < ($1.agent, $1.tool) } }
    }

    public func setSecret(_ secret: SealedSecret) async throws {
        try write { (state) throws(PlatformError) in
            try requireTenant(secret.tenantID, in: state)
            state.secrets["\(secret.tenantID)\u{0}\(secret.name)"] = secret
        }
    }

    public func secret(tenant: String, name: String) async throws -> SealedSecret? { state.withLock { $0.secrets["\(tenant)\u{0}\(name)"] } }

    public func secrets(tenant: String) async throws -> [SealedSecret] {
        state.withLock { $0.secrets.values.filter { $0.tenantID == tenant }.sorted { $0.name < $1.name } }
    }

    public func deleteSecret(tenant: String, name: String) async throws {
        try write { (state) throws(PlatformError) in
            guard state.secrets.removeValue(forKey: "\(tenant)\u{0}\(name)") != nil else { throw PlatformError(.notFound, "\(tenant) has no secret \(name)") }
        }
    }

    public func version() async throws -> Int64 { state.withLock { $0.version } }
    public func shutdown() async {}
}
