import Foundation
import Logging
import PostgresNIO
import SwitchboardData
import SwitchboardPostgres

/// Call records and the outbox in the `--data` PostgreSQL database that every replica shares,
/// in a schema of their own, `switchboard_calls`. `connect` creates the schema and its tables
/// when missing, once across replicas starting together (under an advisory lock). Claims take
/// due events with `SELECT … FOR UPDATE SKIP LOCKED` in a transaction, so two replicas never
/// hold the same event (and never wait for each other's rows); the `UPDATE` that leases them
/// checks the lease again, so a row is never leased twice even by a claim that did not lock it.
///
/// Times are stored as Unix milliseconds (`bigint`, see `CallTime`); a record reads back as
/// `record.withMillisecondTimes()`.
public final class PostgresCallStore: CallStore {
    /// The PostgreSQL schema of the tables.
    public static let schemaName = "switchboard_calls"
    /// The schema this code writes; a database with a newer one is refused.
    public static let schemaVersion = 1

    /// `host:port/database`, for messages (never the password).
    public var endpoint: String { pool.endpoint }
    private let pool: BusinessConnectionPool

    private init(pool: BusinessConnectionPool) {
        self.pool = pool
    }

    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with
    /// an optional `?sslmode=`) and creates the `switchboard_calls` schema when missing. Throws
    /// `CallStoreError`: `.unavailable` for a bad URL or a server that cannot be reached,
    /// `.corrupt` for a schema newer than this build.
    public static func connect(url: String, options: PostgresBusinessData.Options = .init(), logger: Logger) async throws -> PostgresCallStore {
        let location: PostgresURL
        do {
            location = try PostgresURL(parsing: url)
        } catch {
            throw CallStoreError(error)
        }
        var logger = logger
        logger[metadataKey: "data.endpoint"] = "\(location.endpoint)"
        let pool = BusinessConnectionPool.start(location: location, options: options, logger: logger)
        let store = PostgresCallStore(pool: pool)
        do {
            try await store.withConnection { connection in
                try await connection.transaction {
                    try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
                    for statement in Self.schema { try await connection.execute(PostgresQuery(unsafeSQL: statement)) }
                    let versions = try await connection.rows("SELECT version FROM switchboard_calls.schema_version") { (row) throws(DataError) in
                        try row.next(Int.self)
                    }
                    if let newest = versions.max() {
                        guard newest <= Self.schemaVersion else {
                            throw DataError.corrupt("the schema \(Self.schemaName) is version \(newest); this build reads \(Self.schemaVersion)")
                        }
                    } else {
                        try await connection.execute("INSERT INTO switchboard_calls.schema_version (version) VALUES (\(Self.schemaVersion))")
                    }
                }
            }
        } catch {
            await pool.shutdown()
            throw error
        }
        logger.info("call store ready", metadata: ["data.schema": "\(schemaName)"])
        return store
    }

    /// The advisory lock key of the schema's creation: FNV-1a (64 bits) of `switchboard.calls`.
    static let advisoryLockKey = PostgresPackSchema.advisoryLockKey("switchboard.calls")

    static let schema = [
        "CREATE SCHEMA IF NOT EXISTS switchboard_calls",
        "CREATE TABLE IF NOT EXISTS switchboard_calls.schema_version (version integer NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS switchboard_calls.calls (
            id text PRIMARY KEY,
            started_at bigint NOT NULL,
            ended_at bigint,
            channel text NOT NULL,
            direction text NOT NULL,
            from_number text,
            to_number text,
            pack text,
            tenant text,
            end_reason text,
            record text NOT NULL
        )
        """,
        #"CREATE INDEX IF NOT EXISTS calls_by_start ON switchboard_calls.calls (started_at DESC, id COLLATE "C" DESC)"#,
        "CREATE INDEX IF NOT EXISTS calls_by_end ON switchboard_calls.calls (ended_at)",
        "CREATE INDEX IF NOT EXISTS calls_by_channel ON switchboard_calls.calls (channel, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_direction ON switchboard_calls.calls (direction, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_from ON switchboard_calls.calls (from_number, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_to ON switchboard_calls.calls (to_number, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_pack ON switchboard_calls.calls (pack, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_tenant ON switchboard_calls.calls (tenant, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_end_reason ON switchboard_calls.calls (end_reason, started_at DESC)",
        """
        CREATE TABLE IF NOT EXISTS switchboard_calls.outbox (
            id text PRIMARY KEY,
            type text NOT NULL,
            endpoint text NOT NULL,
            created_at bigint NOT NULL,
            body text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at bigint NOT NULL,
            delivered_at bigint,
            dead boolean NOT NULL DEFAULT false,
            last_error text,
            locked_by text,
            locked_until bigint,
            sequence bigint GENERATED ALWAYS AS IDENTITY
        )
        """,
        "CREATE INDEX IF NOT EXISTS outbox_due ON switchboard_calls.outbox (next_attempt_at) WHERE delivered_at IS NULL AND NOT dead",
    ]

    // MARK: CallStore

    public func save(_ record: CallRecord, events: [OutboxEvent]) async throws {
        let upsert = CallStoreSQL.upsert(table: "switchboard_calls.calls") { "$\($0)" }
        let values = CallStoreSQL.callValues(record)
        try await withConnection { connection in
            try await connection.transaction {
                try await connection.execute(Self.query(upsert, values))
                for event in events {
                    let created = CallTime.milliseconds(event.createdAt)
                    try await connection.execute(
                        """
                        INSERT INTO switchboard_calls.outbox (id, type, endpoint, created_at, body, attempts, next_attempt_at)
                        VALUES (\(event.id), \(event.type), \(event.endpoint), \(created), \(event.body), \(Int32(clamping: event.attempts)), \(created))
                        """
                    )
                }
            }
        }
    }

    public func record(id: String) async throws -> CallRecord? {
        let texts = try await withConnection { connection in
            try await connection.rows("SELECT record FROM switchboard_calls.calls WHERE id = \(id)") { (row) throws(DataError) in
                try row.next(String.self)
            }
        }
        return try texts.first.map { (text) throws(CallStoreError) in try CallRecord(jsonText: text) }
    }

    public func records(_ query: CallQuery) async throws -> CallPage {
        let cursor = try query.decodedCursor()
        let (sql, values) = CallStoreSQL.listing(
            query, cursor: cursor, table: "switchboard_calls.calls", idCollation: #" COLLATE "C""#
        ) { "$\($0)" }
        let texts = try await withConnection { connection in
            try await connection.rows(Self.query(sql, values)) { (row) throws(DataError) in try row.next(String.self) }
        }
        return try CallStoreSQL.page(texts, query: query)
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxEvent] {
        try await claimEvents(owner: owner, now: now, lease: lease, limit: limit, skipping: [])
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int, skipping: Set<String>) async throws -> [OutboxEvent] {
        guard limit > 0 else { return [] }
        let skipped = skipping.sorted()
        let nowMilliseconds = CallTime.milliseconds(now)
        let until = CallTime.milliseconds(now.addingTimeInterval(lease.isFinite ? lease : 0))
        let rows = try await withConnection { connection in
            try await connection.transaction {
                try await connection.rows(
                    """
                    WITH due AS (
                        SELECT id FROM switchboard_calls.outbox
                        WHERE delivered_at IS NULL AND NOT dead AND next_attempt_at <= \(nowMilliseconds)
                          AND (locked_until IS NULL OR locked_until <= \(nowMilliseconds))
                          AND endpoint <> ALL(\(skipped)::text[])
                        ORDER BY created_at, sequence
                        LIMIT \(limit)
                        FOR UPDATE SKIP LOCKED
                    )
                    UPDATE switchboard_calls.outbox AS o SET locked_by = \(owner), locked_until = \(until)
                    FROM due WHERE o.id = due.id
                      AND o.delivered_at IS NULL AND NOT o.dead AND (o.locked_until IS NULL OR o.locked_until <= \(nowMilliseconds))
                    RETURNING o.id, o.type, o.endpoint, o.created_at, o.body, o.attempts, o.sequence
                    """
                ) { (row) throws(DataError) in
                    (event: OutboxEvent(
                        id: try row.next(), type: try row.next(), endpoint: try row.next(),
                        createdAt: CallTime.date(milliseconds: try row.next(Int.self)), body: try row.next(),
                        attempts: Int(try row.next(Int32.self))
                    ), sequence: try row.next(Int.self))
                }
            }
        }
        return rows.sorted { ($0.event.createdAt, $0.sequence) < ($1.event.createdAt, $1.sequence) }.map(\.event)
    }

    public func markDelivered(eventID: String, at: Date) async throws {
        let time = CallTime.milliseconds(at)
        try await withConnection { connection in
            try await connection.execute(
                """
                UPDATE switchboard_calls.outbox SET delivered_at = \(time), attempts = attempts + 1, locked_by = NULL,
                    locked_until = NULL, last_error = NULL
                WHERE id = \(eventID) AND delivered_at IS NULL
                """
            )
        }
    }

    public func markFailed(eventID: String, error: String, retryAt: Date?) async throws {
        let retry = retryAt.map(CallTime.milliseconds)
        let dead = retry == nil
        try await withConnection { connection in
            try await connection.execute(
                """
                UPDATE switchboard_calls.outbox SET attempts = attempts + 1, last_error = \(error), locked_by = NULL,
                    locked_until = NULL, next_attempt_at = coalesce(\(retry)::bigint, next_attempt_at), dead = \(dead)
                WHERE id = \(eventID) AND delivered_at IS NULL
                """
            )
        }
    }

    public func outboxCounts() async throws -> (pending: Int, dead: Int) {
        let counts = try await withConnection { connection in
            try await connection.rows(
                """
                SELECT count(*) FILTER (WHERE NOT dead), count(*) FILTER (WHERE dead)
                FROM switchboard_calls.outbox WHERE delivered_at IS NULL
                """
            ) { (row) throws(DataError) in (try row.next(Int.self), try row.next(Int.self)) }
        }
        return counts.first ?? (0, 0)
    }

    public func shutdown() async {
        await pool.shutdown()
    }

    // MARK: Running

    /// A connection from the pool; every failure is a `CallStoreError`.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (BusinessConnection) async throws -> T) async throws -> T {
        do {
            return try await pool.withConnection(body)
        } catch let error as DataError {
            throw CallStoreError(error)
        } catch let error as CallStoreError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw CallStoreError(.unavailable, "call store at \(pool.endpoint): \(error)")
        }
    }

    /// `sql` (built from this module's constant text with `$n` placeholders) with `values` bound.
    private static func query(_ sql: String, _ values: [CallStoreSQL.Value]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for value in values {
            switch value {
            case .integer(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
