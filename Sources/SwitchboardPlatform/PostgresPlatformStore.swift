import Foundation
import Logging
import PostgresNIO
import RealtimeProtocol
import SwitchboardData
import SwitchboardPostgres

/// The platform's configuration in the `--data` PostgreSQL database that every replica shares,
/// in a schema of its own, `switchboard_platform`. Its tables grow by numbered migrations (as
/// `SQLitePlatformStore`'s do), each applied once; `connect` applies the missing ones under an
/// advisory lock, so replicas starting together migrate once, and refuses a database migrated
/// by a newer build.
///
/// Every write is one transaction that starts by moving `config_version` on: the row lock that
/// takes makes platform writes run one at a time across replicas (as SQLite's `BEGIN IMMEDIATE`
/// does), so a check (a name taken, a tenant missing) holds until the write commits. A refusal
/// rolls the transaction back, version included.
///
/// Times are Unix milliseconds (`bigint`); lists are ordered as the other stores order them,
/// text by its bytes (`COLLATE "C"`). PostgreSQL text cannot hold NUL: a lookup by text with one
/// finds nothing, and a write of one is refused as `.invalid`.
public final class PostgresPlatformStore: PlatformStore {
    /// The PostgreSQL schema of the tables.
    public static let schemaName = "switchboard_platform"

    /// The migrations this build knows, in order; a migration's number is its place here plus one.
    package static let migrations: [[String]] = [
        [
            """
            CREATE TABLE switchboard_platform.tenants (
                id text PRIMARY KEY, name text NOT NULL UNIQUE, packs text NOT NULL, default_agent text NOT NULL,
                limits text NOT NULL, created_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE switchboard_platform.numbers (
                number text PRIMARY KEY, tenant_id text NOT NULL REFERENCES switchboard_platform.tenants (id) ON DELETE CASCADE,
                agent text NOT NULL, created_at bigint NOT NULL
            )
            """,
            #"CREATE INDEX numbers_by_tenant ON switchboard_platform.numbers (tenant_id, number COLLATE "C")"#,
            """
            CREATE TABLE switchboard_platform.keys (
                id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES switchboard_platform.tenants (id) ON DELETE CASCADE,
                scope text NOT NULL, hash text NOT NULL UNIQUE, hint text NOT NULL, created_at bigint NOT NULL, revoked_at bigint
            )
            """,
            #"CREATE INDEX keys_by_tenant ON switchboard_platform.keys (tenant_id, created_at, id COLLATE "C")"#,
            """
            CREATE TABLE switchboard_platform.tools (
                tenant_id text NOT NULL REFERENCES switchboard_platform.tenants (id) ON DELETE CASCADE, agent text NOT NULL, tool text NOT NULL,
                enabled boolean NOT NULL, settings text NOT NULL, updated_at bigint NOT NULL,
                PRIMARY KEY (tenant_id, agent, tool)
            )
            """,
            """
            CREATE TABLE switchboard_platform.secrets (
                tenant_id text NOT NULL REFERENCES switchboard_platform.tenants (id) ON DELETE CASCADE, name text NOT NULL, sealed text NOT NULL,
                hint text NOT NULL, updated_at bigint NOT NULL,
                PRIMARY KEY (tenant_id, name)
            )
            """,
            "CREATE TABLE switchboard_platform.config_version (version bigint NOT NULL)",
            "INSERT INTO switchboard_platform.config_version (version) VALUES (0)",
        ],
    ]

    /// `host:port/database`, for messages (never the password).
    public var endpoint: String { pool.endpoint }
    private let pool: BusinessConnectionPool

    private init(pool: BusinessConnectionPool) {
        self.pool = pool
    }

    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with
    /// an optional `?sslmode=`) and applies the migrations it lacks. Throws `PlatformError`:
    /// `.unavailable` for a bad URL or a server that cannot be reached, `.corrupt` for a
    /// database migrated by a newer build.
    public static func connect(url: String, options: PostgresBusinessData.Options = .init(), logger: Logger) async throws -> PostgresPlatformStore {
        let location: PostgresURL
        do {
            location = try PostgresURL(parsing: url)
        } catch {
            throw failure(error)
        }
        var logger = logger
        logger[metadataKey: "data.endpoint"] = "\(location.endpoint)"
        let pool = BusinessConnectionPool.start(location: location, options: options, logger: logger)
        let store = PostgresPlatformStore(pool: pool)
        do {
            try await store.withConnection { connection in
                try await connection.transaction {
                    try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
                    try await connection.execute("CREATE SCHEMA IF NOT EXISTS switchboard_platform")
                    try await connection.execute(
                        "CREATE TABLE IF NOT EXISTS switchboard_platform.schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)"
                    )
                    let applied = try await connection.rows("SELECT coalesce(max(version), 0) FROM switchboard_platform.schema_migrations") {
                        (row) throws(DataError) in try row.next(Int.self)
                    }.first ?? 0
                    guard applied <= migrations.count else {
                        throw DataError.corrupt(
                            "the schema \(schemaName) holds platform schema version \(applied); this build reads \(migrations.count)"
                        )
                    }
                    for (index, statements) in migrations.enumerated() where index + 1 > applied {
                        for statement in statements { try await connection.execute(PostgresQuery(unsafeSQL: statement)) }
                        try await connection.execute(
                            """
                            INSERT INTO switchboard_platform.schema_migrations (version, applied_at)
                            VALUES (\(Int32(index + 1)), \(PlatformTime.integer(Date())))
                            """
                        )
                    }
                }
            }
        } catch {
            await pool.shutdown()
            throw error
        }
        logger.info("platform store ready", metadata: ["data.schema": "\(schemaName)"])
        return store
    }

    /// The advisory lock key of the migrations: FNV-1a (64 bits) of `switchboard.platform`.
    static let advisoryLockKey = PostgresPackSchema.advisoryLockKey("switchboard.platform")

    // MARK: Running

    /// `error` of the data layer as the platform's.
    private static func failure(_ error: DataError) -> PlatformError {
        PlatformError(error.kind == .corrupt ? .corrupt : .unavailable, "platform store: \(error.message)")
    }

    /// A connection from the pool; every failure is a `PlatformError`.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (BusinessConnection) async throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as DataError {
            throw Self.failure(error)
        } catch let error as PlatformError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PlatformError(.unavailable, "platform store at \(pool.endpoint): \(error)")
        }
    }

    /// How a write ended.
    private enum Outcome: Sendable {
        case committed
        case refused(PlatformError)
    }

    /// Carries a refusal out of the transaction, which rolls it back.
    private struct Refusal: Error {
        var error: PlatformError
    }

    /// A write in one transaction that moves the version on. A refusal `body` returns (a
    /// missing tenant, a number taken) rolls the transaction back and is thrown as it is.
    private func write(_ body: @escaping @Sendable (BusinessConnection) async throws -> PlatformError?) async throws {
        let outcome = try await withConnection { (connection) async throws -> Outcome in
            do {
                try await connection.transaction {
                    // First, so that the row lock orders this write after any other in progress.
                    try await connection.execute("UPDATE switchboard_platform.config_version SET version = version + 1")
                    if let refusal = try await body(connection) { throw Refusal(error: refusal) }
                }
                return .committed
            } catch let refusal as Refusal {
                return .refused(refusal.error)
            }
        }
        if case .refused(let error) = outcome { throw error }
    }

    /// Whether `query` finds a row; false without asking when one of the texts it `matches`
    /// holds a NUL (nothing stored does).
    private static func exists(_ query: PostgresQuery, matching texts: String..., on connection: BusinessConnection) async throws -> Bool {
        guard texts.allSatisfy(storable) else { return false }
        return try await !connection.rows(query) { (_) throws(DataError) in 1 }.isEmpty
    }

    /// Whether `text` can be stored or matched: PostgreSQL text holds no NUL, so nothing stored
    /// has one.
    private static func storable(_ text: String) -> Bool { !text.utf8.contains(0) }

    /// The refusal of a write whose `fields` (name: value) hold a NUL, if one does.
    private static func nulRefusal(_ fields: KeyValuePairs<String, String>) -> PlatformError? {
        guard let field = fields.first(where: { !storable($0.value) }) else { return nil }
        return PlatformError(.invalid, "the \(field.key) holds a NUL character, which the platform store cannot keep")
    }

    private static func tenantExists(_ id: String, _ connection: BusinessConnection) async throws -> Bool {
        try await exists("SELECT 1 FROM switchboard_platform.tenants WHERE id = \(id)", matching: id, on: connection)
    }

    // MARK: Tenants

    public func createTenant(_ tenant: Tenant) async throws {
        let (packs, limits) = Self.encoded(tenant)
        let created = PlatformTime.integer(tenant.createdAt)
        try await write { (connection) async throws -> PlatformError? in
            let idTaken = try await Self.tenantExists(tenant.id, connection)
            let nameTaken = try await Self.exists(
                "SELECT 1 FROM switchboard_platform.tenants WHERE name = \(tenant.name)", matching: tenant.name, on: connection
            )
            if idTaken { return PlatformError(.conflict, "a tenant \(tenant.id) exists already") }
            if nameTaken { return PlatformError(.conflict, "a tenant named \(tenant.name) exists already") }
            if let refusal = Self.nulRefusal(["tenant's id": tenant.id, "tenant's name": tenant.name, "default agent": tenant.defaultAgent]) {
                return refusal
            }
            try await connection.execute(
                """
                INSERT INTO switchboard_platform.tenants (id, name, packs, default_agent, limits, created_at)
                VALUES (\(tenant.id), \(tenant.name), \(packs), \(tenant.defaultAgent), \(limits), \(created))
                """
            )
            return nil
        }
    }

    public func tenant(id: String) async throws -> Tenant? {
        guard Self.storable(id) else { return nil }
        let rows = try await withConnection { connection in
            try await connection.rows(
                "SELECT id, name, packs, default_agent, limits, created_at FROM switchboard_platform.tenants WHERE id = \(id)", Self.tenantRow
            )
        }
        return try rows.first.map(Self.tenant)
    }

    public func tenants() async throws -> [Tenant] {
        try await withConnection { connection in
            try await connection.rows(
                #"SELECT id, name, packs, default_agent, limits, created_at FROM switchboard_platform.tenants ORDER BY created_at, id COLLATE "C""#,
                Self.tenantRow
            )
        }.map(Self.tenant)
    }

    public func updateTenant(_ tenant: Tenant) async throws {
        let (packs, limits) = Self.encoded(tenant)
        try await write { (connection) async throws -> PlatformError? in
            guard try await Self.tenantExists(tenant.id, connection) else { return PlatformError(.notFound, "no tenant \(tenant.id)") }
            if try await Self.exists(
                "SELECT 1 FROM switchboard_platform.tenants WHERE name = \(tenant.name) AND id <> \(tenant.id)", matching: tenant.name, on: connection
            ) {
                return PlatformError(.conflict, "a tenant named \(tenant.name) exists already")
            }
            if let refusal = Self.nulRefusal(["tenant's name": tenant.name, "default agent": tenant.defaultAgent]) { return refusal }
            // As in SQLite, the creation time stays as it was.
            try await connection.execute(
                """
                UPDATE switchboard_platform.tenants SET name = \(tenant.name), packs = \(packs), default_agent = \(tenant.defaultAgent),
                    limits = \(limits)
                WHERE id = \(tenant.id)
                """
            )
            return nil
        }
    }

    public func deleteTenant(id: String) async throws {
        try await write { (connection) async throws -> PlatformError? in
            guard Self.storable(id) else { return PlatformError(.notFound, "no tenant \(id)") }
            // Foreign keys cascade to the tenant's numbers, keys, tools and secrets.
            let deleted = try await connection.rows("DELETE FROM switchboard_platform.tenants WHERE id = \(id) RETURNING 1") { (_) throws(DataError) in 1 }
            return deleted.isEmpty ? PlatformError(.notFound, "no tenant \(id)") : nil
        }
    }

    private typealias TenantRow = (id: String, name: String, packs: String, agent: String, limits: String, created: Int64)

    private static func tenantRow(_ row: inout PostgresRowReader) throws(DataError) -> TenantRow {
        (try row.next(), try row.next(), try row.next(), try row.next(), try row.next(), try row.next())
    }

    /// The packs and limits as the JSON text the SQLite store keeps too.
    private static func encoded(_ tenant: Tenant) -> (packs: String, limits: String) {
        let packs = JSONValue.array(tenant.packs.map { .string($0) }).jsonString
        var limits = JSONObject()
        if let calls = tenant.limits.concurrentCalls { limits["concurrent_calls"] = .int(calls) }
        if let rate = tenant.limits.callsPerMinute { limits["calls_per_minute"] = .int(rate) }
        if let spend = tenant.limits.monthlySpend { limits["monthly_spend"] = .double(spend) }
        return (packs, JSONValue.object(limits).jsonString)
    }

    private static func tenant(_ row: TenantRow) throws -> Tenant {
        guard let packs = (try? JSONParser.parse(row.packs))?.arrayValue?.compactMap(\.stringValue),
              let limits = (try? JSONParser.parse(row.limits))?.objectValue else {
            throw PlatformError(.corrupt, "tenant \(row.id) is not as this build writes it")
        }
        return Tenant(id: row.id, name: row.name, packs: packs, defaultAgent: row.agent,
                      limits: TenantLimits(concurrentCalls: limits["concurrent_calls"]?.intValue, callsPerMinute: limits["calls_per_minute"]?.intValue,
                                           monthlySpend: limits["monthly_spend"]?.doubleValue),
                      createdAt: PlatformTime.date(row.created))
    }

    // MARK: Numbers

    public func bind(_ binding: NumberBinding) async throws {
        let created = PlatformTime.integer(binding.createdAt)
        try await write { (connection) async throws -> PlatformError? in
            guard try await Self.tenantExists(binding.tenantID, connection) else { return PlatformError(.notFound, "no tenant \(binding.tenantID)") }
            if try await Self.exists(
                "SELECT 1 FROM switchboard_platform.numbers WHERE number = \(binding.number)", matching: binding.number, on: connection
            ) {
                return PlatformError(.conflict, "\(binding.number) is bound already")
            }
            if let refusal = Self.nulRefusal(["number": binding.number, "agent": binding.agent]) { return refusal }
            try await connection.execute(
                """
                INSERT INTO switchboard_platform.numbers (number, tenant_id, agent, created_at)
                VALUES (\(binding.number), \(binding.tenantID), \(binding.agent), \(created))
                """
            )
            return nil
        }
    }

    private static func numberRow(_ row: inout PostgresRowReader) throws(DataError) -> NumberBinding {
        NumberBinding(number: try row.next(), tenantID: try row.next(), agent: try row.next(), createdAt: PlatformTime.date(try row.next(Int64.self)))
    }

    public func binding(of number: String) async throws -> NumberBinding? {
        guard Self.storable(number) else { return nil }
        return try await withConnection { connection in
            try await connection.rows(
                "SELECT number, tenant_id, agent, created_at FROM switchboard_platform.numbers WHERE number = \(number)", Self.numberRow
            ).first
        }
    }

    public func numbers(tenant: String) async throws -> [NumberBinding] {
        guard Self.storable(tenant) else { return [] }
        return try await withConnection { connection in
            try await connection.rows(
                #"""
                SELECT number, tenant_id, agent, created_at FROM switchboard_platform.numbers WHERE tenant_id = \#(tenant)
                ORDER BY number COLLATE "C"
                """#,
                Self.numberRow
            )
        }
    }

    public func numberCount() async throws -> Int {
        try await withConnection { connection in
            try await connection.rows("SELECT count(*) FROM switchboard_platform.numbers") { (row) throws(DataError) in try row.next(Int.self) }.first ?? 0
        }
    }

    public func unbind(_ number: String, tenant: String) async throws {
        try await write { (connection) async throws -> PlatformError? in
            let refusal = PlatformError(.notFound, "\(tenant) has no number \(number)")
            guard Self.storable(number), Self.storable(tenant) else { return refusal }
            let deleted = try await connection.rows(
                "DELETE FROM switchboard_platform.numbers WHERE number = \(number) AND tenant_id = \(tenant) RETURNING 1"
            ) { (_) throws(DataError) in 1 }
            return deleted.isEmpty ? refusal : nil
        }
    }

    // MARK: Keys

    public func addKey(_ key: TenantKey) async throws {
        let created = PlatformTime.integer(key.createdAt)
        let revoked = key.revokedAt.map(PlatformTime.integer)
        try await write { (connection) async throws -> PlatformError? in
            guard try await Self.tenantExists(key.tenantID, connection) else { return PlatformError(.notFound, "no tenant \(key.tenantID)") }
            let hashTaken = try await Self.exists("SELECT 1 FROM switchboard_platform.keys WHERE hash = \(key.hash)", matching: key.hash, on: connection)
            let idTaken = try await Self.exists("SELECT 1 FROM switchboard_platform.keys WHERE id = \(key.id)", matching: key.id, on: connection)
            if hashTaken || idTaken { return PlatformError(.conflict, "that key exists already") }
            if let refusal = Self.nulRefusal(["key's id": key.id, "key's hash": key.hash, "key's hint": key.hint]) { return refusal }
            try await connection.execute(
                """
                INSERT INTO switchboard_platform.keys (id, tenant_id, scope, hash, hint, created_at, revoked_at)
                VALUES (\(key.id), \(key.tenantID), \(key.scope.rawValue), \(key.hash), \(key.hint), \(created), \(revoked)::bigint)
                """
            )
            return nil
        }
    }

    private static func keyRow(_ row: inout PostgresRowReader) throws(DataError) -> TenantKey {
        let id: String = try row.next(), tenant: String = try row.next(), scope: String = try row.next()
        let hash: String = try row.next(), hint: String = try row.next(), created: Int64 = try row.next()
        let revoked: Int64? = try row.next()
        guard let scope = TenantKey.Scope(rawValue: scope) else { throw DataError.corrupt("key \(id) has a scope this build does not know") }
        return TenantKey(id: id, tenantID: tenant, scope: scope, hash: hash, hint: hint, createdAt: PlatformTime.date(created),
                         revokedAt: revoked.map(PlatformTime.date))
    }

    public func key(hash: String) async throws -> TenantKey? {
        guard Self.storable(hash) else { return nil }
        return try await withConnection { connection in
            try await connection.rows(
                "SELECT id, tenant_id, scope, hash, hint, created_at, revoked_at FROM switchboard_platform.keys WHERE hash = \(hash)", Self.keyRow
            ).first
        }
    }

    public func keys(tenant: String) async throws -> [TenantKey] {
        guard Self.storable(tenant) else { return [] }
        return try await withConnection { connection in
            try await connection.rows(
                #"""
                SELECT id, tenant_id, scope, hash, hint, created_at, revoked_at FROM switchboard_platform.keys WHERE tenant_id = \#(tenant)
                ORDER BY created_at, id COLLATE "C"
                """#,
                Self.keyRow
            )
        }
    }

    public func revokeKey(id: String, tenant: String, at: Date) async throws {
        let revoked = PlatformTime.integer(at)
        try await write { (connection) async throws -> PlatformError? in
            let refusal = PlatformError(.notFound, "\(tenant) has no key \(id)")
            guard Self.storable(id), Self.storable(tenant) else { return refusal }
            // A key revoked already keeps the time it was revoked at.
            let updated = try await connection.rows(
                """
                UPDATE switchboard_platform.keys SET revoked_at = coalesce(revoked_at, \(revoked))
                WHERE id = \(id) AND tenant_id = \(tenant) RETURNING 1
                """
            ) { (_) throws(DataError) in 1 }
            return updated.isEmpty ? refusal : nil
        }
    }

    // MARK: Tools and secrets

    public func setTool(_ setting: ToolSetting) async throws {
        let updated = PlatformTime.integer(setting.updatedAt)
        try await write { (connection) async throws -> PlatformError? in
            guard try await Self.tenantExists(setting.tenantID, connection) else { return PlatformError(.notFound, "no tenant \(setting.tenantID)") }
            if let refusal = Self.nulRefusal(["agent": setting.agent, "tool": setting.tool, "tool's settings": setting.settings]) { return refusal }
            try await connection.execute(
                """
                INSERT INTO switchboard_platform.tools (tenant_id, agent, tool, enabled, settings, updated_at)
                VALUES (\(setting.tenantID), \(setting.agent), \(setting.tool), \(setting.enabled), \(setting.settings), \(updated))
                ON CONFLICT (tenant_id, agent, tool) DO UPDATE
                SET enabled = EXCLUDED.enabled, settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at
                """
            )
            return nil
        }
    }

    public func tools(tenant: String) async throws -> [ToolSetting] {
        guard Self.storable(tenant) else { return [] }
        return try await withConnection { connection in
            try await connection.rows(
                #"""
                SELECT tenant_id, agent, tool, enabled, settings, updated_at FROM switchboard_platform.tools WHERE tenant_id = \#(tenant)
                ORDER BY agent COLLATE "C", tool COLLATE "C"
                """#
            ) { (row) throws(DataError) in
                ToolSetting(tenantID: try row.next(), agent: try row.next(), tool: try row.next(), enabled: try row.next(), settings: try row.next(),
                            updatedAt: PlatformTime.date(try row.next(Int64.self)))
            }
        }
    }

    public func setSecret(_ secret: SealedSecret) async throws {
        let updated = PlatformTime.integer(secret.updatedAt)
        try await write { (connection) async throws -> PlatformError? in
            guard try await Self.tenantExists(secret.tenantID, connection) else { return PlatformError(.notFound, "no tenant \(secret.tenantID)") }
            if let refusal = Self.nulRefusal(["secret's name": secret.name, "sealed secret": secret.sealed, "secret's hint": secret.hint]) {
                return refusal
            }
            try await connection.execute(
                """
                INSERT INTO switchboard_platform.secrets (tenant_id, name, sealed, hint, updated_at)
                VALUES (\(secret.tenantID), \(secret.name), \(secret.sealed), \(secret.hint), \(updated))
                ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = EXCLUDED.sealed, hint = EXCLUDED.hint, updated_at = EXCLUDED.updated_at
                """
            )
            return nil
        }
    }

    private static func secretRow(_ row: inout PostgresRowReader) throws(DataError) -> SealedSecret {
        SealedSecret(tenantID: try row.next(), name: try row.next(), sealed: try row.next(), hint: try row.next(),
                     updatedAt: PlatformTime.date(try row.next(Int64.self)))
    }

    public func secret(tenant: String, name: String) async throws -> SealedSecret? {
        guard Self.storable(tenant), Self.storable(name) else { return nil }
        return try await withConnection { connection in
            try await connection.rows(
                """
                SELECT tenant_id, name, sealed, hint, updated_at FROM switchboard_platform.secrets WHERE tenant_id = \(tenant) AND name = \(name)
                """,
                Self.secretRow
            ).first
        }
    }

    public func secrets(tenant: String) async throws -> [SealedSecret] {
        guard Self.storable(tenant) else { return [] }
        return try await withConnection { connection in
            try await connection.rows(
                #"""
                SELECT tenant_id, name, sealed, hint, updated_at FROM switchboard_platform.secrets WHERE tenant_id = \#(tenant)
                ORDER BY name COLLATE "C"
                """#,
                Self.secretRow
            )
        }
    }

    public func deleteSecret(tenant: String, name: String) async throws {
        try await write { (connection) async throws -> PlatformError? in
            let refusal = PlatformError(.notFound, "\(tenant) has no secret \(name)")
            guard Self.storable(tenant), Self.storable(name) else { return refusal }
            let deleted = try await connection.rows(
                "DELETE FROM switchboard_platform.secrets WHERE tenant_id = \(tenant) AND name = \(name) RETURNING 1"
            ) { (_) throws(DataError) in 1 }
            return deleted.isEmpty ? refusal : nil
        }
    }

    public func version() async throws -> Int64 {
        try await withConnection { connection in
            try await connection.rows("SELECT version FROM switchboard_platform.config_version") { (row) throws(DataError) in
                try row.next(Int64.self)
            }.first ?? 0
        }
    }

    public func shutdown() async {
        await pool.shutdown()
    }
}
