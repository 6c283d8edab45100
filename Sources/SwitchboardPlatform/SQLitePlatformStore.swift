import Foundation
import RealtimeProtocol
import SwitchboardData

/// The platform's configuration in an SQLite file of its own beside the packs' files
/// (`<name>.platform.sqlite` for `--data sqlite:<name>.sqlite`), in WAL mode, so replicas on
/// one host share it. Its schema grows by numbered migrations, each applied once in its own
/// transaction; a file migrated by a newer build is refused. Every call runs on `NIOThreadPool`.
public final class SQLitePlatformStore: PlatformStore {
    /// The migrations this build knows, in order; a migration's number is its place here plus one.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE tenants (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, packs TEXT NOT NULL, default_agent TEXT NOT NULL,
                limits TEXT NOT NULL, created_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE numbers (
                number TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                agent TEXT NOT NULL, created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX numbers_by_tenant ON numbers (tenant_id, number)",
            """
            CREATE TABLE keys (
                id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER
            )
            """,
            "CREATE INDEX keys_by_tenant ON keys (tenant_id, created_at)",
            """
            CREATE TABLE tools (
                tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE, agent TEXT NOT NULL, tool TEXT NOT NULL,
                enabled INTEGER NOT NULL, settings TEXT NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, agent, tool)
            )
            """,
            """
            CREATE TABLE secrets (
                tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE, name TEXT NOT NULL, sealed TEXT NOT NULL,
                hint TEXT NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, name)
            )
            """,
            "CREATE TABLE config_version (version INTEGER NOT NULL)",
            "INSERT INTO config_version (version) VALUES (0)",
        ],
    ]

    public let path: String
    private let connection: SQLiteConnection

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    /// The platform file of `--data sqlite:PATH`: `data/switchboard.sqlite` → `data/switchboard.platform.sqlite`.
    public static func path(forDataPath path: String) -> String {
        SQLiteSidecar.path(forDataPath: path, kind: "platform")
    }

    /// Opens (creating it and migrating it when needed) the platform file at `path`.
    public static func open(path: String) async throws -> SQLitePlatformStore {
        try await run { () throws(DataError) -> SQLitePlatformStore in
            let connection = try SQLiteSidecar.connect(path: path)
            do throws(DataError) {
                try connection.withDatabase { (database) throws(DataError) in
                    try database.execute("PRAGMA foreign_keys = ON")
                    try database.transaction { () throws(DataError) in
                        try database.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
                        let applied = try database.query("SELECT version FROM schema_migrations") { $0.integer() }.max() ?? 0
                        guard applied <= migrations.count else {
                            throw DataError.corrupt("\(path) holds platform schema version \(applied); this build reads \(migrations.count)")
                        }
                        for (index, statements) in migrations.enumerated() where index + 1 > applied {
                            for statement in statements { try database.execute(statement) }
                            try database.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                             [.integer(index + 1), .integer(Int(PlatformTime.integer(Date())))])
                        }
                    }
                }
            } catch {
                connection.close()
                throw error
            }
            return SQLitePlatformStore(path: path, connection: connection)
        }
    }

    // MARK: Running

    private static func run<T: Sendable>(_ body: @escaping @Sendable () throws(DataError) -> T) async throws -> T {
        do {
            return try await SQLitePackDatabase.onThreadPool(body)
        } catch let error as DataError {
            throw PlatformError(error.kind == .corrupt ? .corrupt : .unavailable, "platform store: \(error.message)")
        }
    }

    /// Reads.
    private func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws(DataError) -> T) async throws -> T {
        let connection = self.connection
        return try await Self.run { () throws(DataError) in try connection.withDatabase(body) }
    }

    /// A write in one transaction that moves the version on. A refusal `body` returns (a
    /// missing tenant, a number taken) rolls the transaction back and is thrown as it is.
    private func write(_ body: @escaping @Sendable (SQLiteDatabase) throws(DataError) -> PlatformError?) async throws {
        let connection = self.connection
        let refusal = try await Self.run { () throws(DataError) -> PlatformError? in
            try connection.withDatabase { (database) throws(DataError) -> PlatformError? in
                try database.execute("PRAGMA foreign_keys = ON")
                try database.execute("BEGIN IMMEDIATE")
                do throws(DataError) {
                    if let refusal = try body(database) {
                        try? database.execute("ROLLBACK")
                        return refusal
                    }
                    try database.run("UPDATE config_version SET version = version + 1")
                    try database.execute("COMMIT")
                    return nil
                } catch {
                    try? database.execute("ROLLBACK")
                    throw error
                }
            }
        }
        if let refusal { throw refusal }
    }

    private static func tenantExists(_ id: String, _ database: SQLiteDatabase) throws(DataError) -> Bool {
        try !database.query("SELECT 1 FROM tenants WHERE id = ?", [.text(id)]) { _ in 1 }.isEmpty
    }

    // MARK: Tenants

    public func createTenant(_ tenant: Tenant) async throws {
        let values = try Self.values(tenant)
        try await write { (database) throws(DataError) -> PlatformError? in
            if try !database.query("SELECT 1 FROM tenants WHERE id = ?", [.text(tenant.id)]) { _ in 1 }.isEmpty {
                return PlatformError(.conflict, "a tenant \(tenant.id) exists already")
            }
            if try !database.query("SELECT 1 FROM tenants WHERE name = ?", [.text(tenant.name)]) { _ in 1 }.isEmpty {
                return PlatformError(.conflict, "a tenant named \(tenant.name) exists already")
            }
            try database.run("INSERT INTO tenants (id, name, packs, default_agent, limits, created_at) VALUES (?, ?, ?, ?, ?, ?)", values)
            return nil
        }
    }

    public func tenant(id: String) async throws -> Tenant? {
        let rows = try await read { (database) throws(DataError) in
            try database.query("SELECT id, name, packs, default_agent, limits, created_at FROM tenants WHERE id = ?", [.text(id)], Self.tenantRow)
        }
        return try rows.first.map(Self.tenant)
    }

    public func tenants() async throws -> [Tenant] {
        try await read { (database) throws(DataError) in
            try database.query("SELECT id, name, packs, default_agent, limits, created_at FROM tenants ORDER BY created_at, id", [], Self.tenantRow)
        }.map(Self.tenant)
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        let values = try Self.values(tenant)
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try Self.tenantExists(tenant.id, database) else { return PlatformError(.notFound, "no tenant \(tenant.id)") }
            if try !database.query("SELECT 1 FROM tenants WHERE name = ? AND id <> ?", [.text(tenant.name), .text(tenant.id)]) { _ in 1 }.isEmpty {
                return PlatformError(.conflict, "a tenant named \(tenant.name) exists already")
            }
            try database.run("UPDATE tenants SET name = ?2, packs = ?3, default_agent = ?4, limits = ?5 WHERE id = ?1", Array(values.prefix(5)))
            return nil
        }
    }

    public func deleteTenant(id: String) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            // Foreign keys cascade to the tenant's numbers, keys, tools and secrets.
            try database.run("DELETE FROM tenants WHERE id = ?", [.text(id)]) == 0 ? PlatformError(.notFound, "no tenant \(id)") : nil
        }
    }

    private typealias TenantRow = (id: String, name: String, packs: String, agent: String, limits: String, created: Int)

    private static func tenantRow(_ row: inout SQLiteRow) -> TenantRow {
        (row.text(), row.text(), row.text(), row.text(), row.text(), row.integer())
    }

    private static func values(_ tenant: Tenant) throws -> [SQLiteValue] {
        let packs = JSONValue.array(tenant.packs.map { .string($0) }).jsonString
        var limits = JSONObject()
        if let calls = tenant.limits.concurrentCalls { limits["concurrent_calls"] = .int(calls) }
        if let rate = tenant.limits.callsPerMinute { limits["calls_per_minute"] = .int(rate) }
        if let spend = tenant.limits.monthlySpend { limits["monthly_spend"] = .double(spend) }
        return [.text(tenant.id), .text(tenant.name), .text(packs), .text(tenant.defaultAgent), .text(JSONValue.object(limits).jsonString),
                .integer(Int(PlatformTime.integer(tenant.createdAt)))]
    }

    private static func tenant(_ row: TenantRow) throws -> Tenant {
        guard let packs = (try? JSONParser.parse(row.packs))?.arrayValue?.compactMap(\.stringValue),
              let limits = (try? JSONParser.parse(row.limits))?.objectValue else {
            throw PlatformError(.corrupt, "tenant \(row.id) is not as this build writes it")
        }
        let spend = limits["monthly_spend"]?.doubleValue
        return Tenant(id: row.id, name: row.name, packs: packs, defaultAgent: row.agent,
                      limits: TenantLimits(concurrentCalls: limits["concurrent_calls"]?.intValue, callsPerMinute: limits["calls_per_minute"]?.intValue,
                                           monthlySpend: spend),
                      createdAt: PlatformTime.date(Int64(row.created)))
    }

    // MARK: Numbers

    public func bind(_ binding: NumberBinding) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try Self.tenantExists(binding.tenantID, database) else { return PlatformError(.notFound, "no tenant \(binding.tenantID)") }
            if try !database.query("SELECT 1 FROM numbers WHERE number = ?", [.text(binding.number)]) { _ in 1 }.isEmpty {
                return PlatformError(.conflict, "\(binding.number) is bound already")
            }
            try database.run("INSERT INTO numbers (number, tenant_id, agent, created_at) VALUES (?, ?, ?, ?)",
                             [.text(binding.number), .text(binding.tenantID), .text(binding.agent), .integer(Int(PlatformTime.integer(binding.createdAt)))])
            return nil
        }
    }

    private static func numberRow(_ row: inout SQLiteRow) -> NumberBinding {
        NumberBinding(number: row.text(), tenantID: row.text(), agent: row.text(), createdAt: PlatformTime.date(Int64(row.integer())))
    }

    public func binding(of number: String) async throws -> NumberBinding? {
        try await read { (database) throws(DataError) in
            try database.query("SELECT number, tenant_id, agent, created_at FROM numbers WHERE number = ?", [.text(number)], Self.numberRow).first
        }
    }

    public func numbers(tenant: String) async throws -> [NumberBinding] {
        try await read { (database) throws(DataError) in
            try database.query("SELECT number, tenant_id, agent, created_at FROM numbers WHERE tenant_id = ? ORDER BY number", [.text(tenant)], Self.numberRow)
        }
    }

    public func numberCount() async throws -> Int {
        try await read { (database) throws(DataError) in try database.query("SELECT count(*) FROM numbers") { $0.integer() }.first ?? 0 }
    }

    public func unbind(_ number: String, tenant: String) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            try database.run("DELETE FROM numbers WHERE number = ? AND tenant_id = ?", [.text(number), .text(tenant)]) == 0
                ? PlatformError(.notFound, "\(tenant) has no number \(number)") : nil
        }
    }

    // MARK: Keys

    public func addKey(_ key: TenantKey) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try Self.tenantExists(key.tenantID, database) else { return PlatformError(.notFound, "no tenant \(key.tenantID)") }
            if try !database.query("SELECT 1 FROM keys WHERE hash = ? OR id = ?", [.text(key.hash), .text(key.id)]) { _ in 1 }.isEmpty {
                return PlatformError(.conflict, "that key exists already")
            }
            try database.run("INSERT INTO keys (id, tenant_id, scope, hash, hint, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [.text(key.id), .text(key.tenantID), .text(key.scope.rawValue), .text(key.hash), .text(key.hint),
                              .integer(Int(PlatformTime.integer(key.createdAt))), key.revokedAt.map { .integer(Int(PlatformTime.integer($0))) } ?? .null])
            return nil
        }
    }

    private static func keyRow(_ row: inout SQLiteRow) throws(DataError) -> TenantKey {
        let id = row.text(), tenant = row.text(), scope = row.text(), hash = row.text(), hint = row.text(), created = row.integer()
        let revoked = row.optionalInteger()
        guard let scope = TenantKey.Scope(rawValue: scope) else { throw DataError.corrupt("key \(id) has a scope this build does not know") }
        return TenantKey(id: id, tenantID: tenant, scope: scope, hash: hash, hint: hint, createdAt: PlatformTime.date(Int64(created)),
                         revokedAt: revoked.map { PlatformTime.date(Int64($0)) })
    }

    public func key(hash: String) async throws -> TenantKey? {
        try await read { (database) throws(DataError) in
            try database.query("SELECT id, tenant_id, scope, hash, hint, created_at, revoked_at FROM keys WHERE hash = ?", [.text(hash)], Self.keyRow).first
        }
    }

    public func keys(tenant: String) async throws -> [TenantKey] {
        try await read { (database) throws(DataError) in
            try database.query("SELECT id, tenant_id, scope, hash, hint, created_at, revoked_at FROM keys WHERE tenant_id = ? ORDER BY created_at, id",
                               [.text(tenant)], Self.keyRow)
        }
    }

    public func revokeKey(id: String, tenant: String, at: Date) async throws {
        let revoked = Int(PlatformTime.integer(at))
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try !database.query("SELECT 1 FROM keys WHERE id = ? AND tenant_id = ?", [.text(id), .text(tenant)]) { _ in 1 }.isEmpty else {
                return PlatformError(.notFound, "\(tenant) has no key \(id)")
            }
            try database.run("UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [.integer(revoked), .text(id)])
            return nil
        }
    }

    // MARK: Tools and secrets

    public func setTool(_ setting: ToolSetting) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try Self.tenantExists(setting.tenantID, database) else { return PlatformError(.notFound, "no tenant \(setting.tenantID)") }
            try database.run(
                """
                INSERT INTO tools (tenant_id, agent, tool, enabled, settings, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (tenant_id, agent, tool) DO UPDATE SET enabled = ?4, settings = ?5, updated_at = ?6
                """,
                [.text(setting.tenantID), .text(setting.agent), .text(setting.tool), .integer(setting.enabled ? 1 : 0), .text(setting.settings),
                 .integer(Int(PlatformTime.integer(setting.updatedAt)))])
            return nil
        }
    }

    public func tools(tenant: String) async throws -> [ToolSetting] {
        try await read { (database) throws(DataError) in
            try database.query("SELECT tenant_id, agent, tool, enabled, settings, updated_at FROM tools WHERE tenant_id = ? ORDER BY agent, tool",
                               [.text(tenant)]) { (row) throws(DataError) in
                ToolSetting(tenantID: row.text(), agent: row.text(), tool: row.text(), enabled: row.integer() != 0, settings: row.text(),
                            updatedAt: PlatformTime.date(Int64(row.integer())))
            }
        }
    }

    public func setSecret(_ secret: SealedSecret) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            guard try Self.tenantExists(secret.tenantID, database) else { return PlatformError(.notFound, "no tenant \(secret.tenantID)") }
            try database.run(
                """
                INSERT INTO secrets (tenant_id, name, sealed, hint, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = ?3, hint = ?4, updated_at = ?5
                """,
                [.text(secret.tenantID), .text(secret.name), .text(secret.sealed), .text(secret.hint), .integer(Int(PlatformTime.integer(secret.updatedAt)))])
            return nil
        }
    }

    private static func secretRow(_ row: inout SQLiteRow) -> SealedSecret {
        SealedSecret(tenantID: row.text(), name: row.text(), sealed: row.text(), hint: row.text(), updatedAt: PlatformTime.date(Int64(row.integer())))
    }

    public func secret(tenant: String, name: String) async throws -> SealedSecret? {
        try await read { (database) throws(DataError) in
            try database.query("SELECT tenant_id, name, sealed, hint, updated_at FROM secrets WHERE tenant_id = ? AND name = ?",
                               [.text(tenant), .text(name)], Self.secretRow).first
        }
    }

    public func secrets(tenant: String) async throws -> [SealedSecret] {
        try await read { (database) throws(DataError) in
            try database.query("SELECT tenant_id, name, sealed, hint, updated_at FROM secrets WHERE tenant_id = ? ORDER BY name", [.text(tenant)],
                               Self.secretRow)
        }
    }

    public func deleteSecret(tenant: String, name: String) async throws {
        try await write { (database) throws(DataError) -> PlatformError? in
            try database.run("DELETE FROM secrets WHERE tenant_id = ? AND name = ?", [.text(tenant), .text(name)]) == 0
                ? PlatformError(.notFound, "\(tenant) has no secret \(name)") : nil
        }
    }

    public func version() async throws -> Int64 {
        Int64(try await read { (database) throws(DataError) in try database.query("SELECT version FROM config_version") { $0.integer() }.first ?? 0 })
    }

    public func shutdown() async {
        let connection = self.connection
        _ = try? await Self.run { () throws(DataError) in connection.close() }
    }
}
