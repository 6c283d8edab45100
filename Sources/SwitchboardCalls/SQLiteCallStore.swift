import Foundation
import SwitchboardData

/// Call records and the outbox in an SQLite file of their own, beside the packs' files
/// (`path(forDataPath:)`). Tables are created on open; the file is in WAL mode. Every call runs
/// on `NIOThreadPool` (never on the cooperative pool), holding the one connection for its whole
/// transaction. Several stores (replicas on one host) may open the same file: claims run in
/// `BEGIN IMMEDIATE` transactions, so two owners never take the same event.
///
/// Times are stored as Unix milliseconds (see `CallTime`); a record reads back as
/// `record.withMillisecondTimes()`.
public final class SQLiteCallStore: CallStore {
    /// The schema this code writes; a file with a newer one is refused.
    public static let schemaVersion = 1

    /// The file.
    public let path: String
    private let connection: SQLiteConnection

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    /// The calls file of `--data sqlite:PATH`: `data/switchboard.sqlite` → `data/switchboard.calls.sqlite`
    /// (named like the packs' files, `HubPacks.sqlitePath`).
    public static func path(forDataPath path: String) -> String {
        SQLiteSidecar.path(forDataPath: path, kind: "calls")
    }

    /// Opens (creating it, its directory and its tables when missing) the calls file at `path`.
    /// Throws `CallStoreError(.unavailable)` when it cannot be opened, `.corrupt` when it is not
    /// a database or holds a newer schema.
    public static func open(path: String) async throws -> SQLiteCallStore {
        try await run { () throws(DataError) -> SQLiteCallStore in
            let connection = try SQLiteSidecar.connect(path: path)
            do throws(DataError) {
                try connection.withDatabase { (database) throws(DataError) in
                    try database.transaction { () throws(DataError) in
                        for statement in schema { try database.execute(statement) }
                        let versions = try database.query("SELECT version FROM schema_version") { $0.integer() }
                        if let newest = versions.max() {
                            guard newest <= schemaVersion else {
                                throw DataError.corrupt("\(path) holds calls schema version \(newest); this build reads \(schemaVersion)")
                            }
                        } else {
                            try database.run("INSERT INTO schema_version (version) VALUES (?)", [.integer(schemaVersion)])
                        }
                    }
                }
            } catch {
                connection.close()
                throw error
            }
            return SQLiteCallStore(path: path, connection: connection)
        }
    }

    static let schema = [
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS calls (
            id TEXT PRIMARY KEY,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            channel TEXT NOT NULL,
            direction TEXT NOT NULL,
            from_number TEXT,
            to_number TEXT,
            pack TEXT,
            tenant TEXT,
            end_reason TEXT,
            record TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS calls_by_start ON calls (started_at DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_end ON calls (ended_at)",
        "CREATE INDEX IF NOT EXISTS calls_by_channel ON calls (channel, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_direction ON calls (direction, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_from ON calls (from_number, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_to ON calls (to_number, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_pack ON calls (pack, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_tenant ON calls (tenant, started_at DESC)",
        "CREATE INDEX IF NOT EXISTS calls_by_end_reason ON calls (end_reason, started_at DESC)",
        """
        CREATE TABLE IF NOT EXISTS outbox (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            delivered_at INTEGER,
            dead INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            locked_by TEXT,
            locked_until INTEGER
        )
        """,
        "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead = 0",
    ]

    // MARK: CallStore

    public func save(_ record: CallRecord, events: [OutboxEvent]) async throws {
        let connection = self.connection
        let values = CallStoreSQL.callValues(record).map(Self.sqlite)
        let upsert = CallStoreSQL.upsert(table: "calls") { "?\($0)" }
        try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in
                try database.transaction { () throws(DataError) in
                    try database.run(upsert, values)
                    for event in events {
                        let created = CallTime.milliseconds(event.createdAt)
                        try database.run(
                            """
                            INSERT INTO outbox (id, type, endpoint, created_at, body, attempts, next_attempt_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                            [.text(event.id), .text(event.type), .text(event.endpoint), .integer(created), .text(event.body),
                             .integer(event.attempts), .integer(created)]
                        )
                    }
                }
            }
        }
    }

    public func record(id: String) async throws -> CallRecord? {
        let connection = self.connection
        let texts = try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in
                try database.query("SELECT record FROM calls WHERE id = ?", [.text(id)]) { $0.text() }
            }
        }
        return try texts.first.map { (text) throws(CallStoreError) in try CallRecord(jsonText: text) }
    }

    public func records(_ query: CallQuery) async throws -> CallPage {
        let cursor = try query.decodedCursor()
        let (sql, values) = CallStoreSQL.listing(query, cursor: cursor, table: "calls", idCollation: "") { "?\($0)" }
        let bindings = values.map(Self.sqlite)
        let connection = self.connection
        let texts = try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in try database.query(sql, bindings) { $0.text() } }
        }
        return try CallStoreSQL.page(texts, query: query)
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxEvent] {
        try await claimEvents(owner: owner, now: now, lease: lease, limit: limit, skipping: [])
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int, skipping: Set<String>) async throws -> [OutboxEvent] {
        guard limit > 0 else { return [] }
        let skipped = skipping.sorted()
        let exclusion = skipped.isEmpty ? "" : " AND endpoint NOT IN (" + skipped.indices.map { "?\($0 + 3)" }.joined(separator: ", ") + ")"
        let bindings: [SQLiteValue] = [.integer(CallTime.milliseconds(now)), .integer(limit)] + skipped.map(SQLiteValue.text)
        let until = CallTime.milliseconds(now.addingTimeInterval(lease.isFinite ? lease : 0))
        let connection = self.connection
        return try await Self.run { () throws(DataError) -> [OutboxEvent] in
            try connection.withDatabase { (database) throws(DataError) -> [OutboxEvent] in
                try database.transaction { () throws(DataError) -> [OutboxEvent] in
                    let events = try database.query(
                        """
                        SELECT id, type, endpoint, created_at, body, attempts FROM outbox
                        WHERE delivered_at IS NULL AND dead = 0 AND next_attempt_at <= ?1
                          AND (locked_until IS NULL OR locked_until <= ?1)\(exclusion)
                        ORDER BY created_at, rowid LIMIT ?2
                        """,
                        bindings
                    ) { (row) throws(DataError) -> OutboxEvent in
                        OutboxEvent(
                            id: row.text(), type: row.text(), endpoint: row.text(), createdAt: CallTime.date(milliseconds: row.integer()),
                            body: row.text(), attempts: row.integer()
                        )
                    }
                    for event in events {
                        try database.run("UPDATE outbox SET locked_by = ?, locked_until = ? WHERE id = ?",
                                         [.text(owner), .integer(until), .text(event.id)])
                    }
                    return events
                }
            }
        }
    }

    public func markDelivered(eventID: String, at: Date) async throws {
        let connection = self.connection
        let time = CallTime.milliseconds(at)
        _ = try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in
                try database.run(
                    """
                    UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, locked_by = NULL, locked_until = NULL, last_error = NULL
                    WHERE id = ? AND delivered_at IS NULL
                    """,
                    [.integer(time), .text(eventID)]
                )
            }
        }
    }

    public func markFailed(eventID: String, error: String, retryAt: Date?) async throws {
        let connection = self.connection
        let retry = retryAt.map(CallTime.milliseconds)
        _ = try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in
                try database.run(
                    """
                    UPDATE outbox SET attempts = attempts + 1, last_error = ?, locked_by = NULL, locked_until = NULL,
                        next_attempt_at = coalesce(?, next_attempt_at), dead = ?
                    WHERE id = ? AND delivered_at IS NULL
                    """,
                    [.text(error), retry.map(SQLiteValue.integer) ?? .null, .integer(retry == nil ? 1 : 0), .text(eventID)]
                )
            }
        }
    }

    public func outboxCounts() async throws -> (pending: Int, dead: Int) {
        let connection = self.connection
        let counts = try await Self.run { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in
                try database.query(
                    "SELECT coalesce(sum(dead = 0), 0), coalesce(sum(dead = 1), 0) FROM outbox WHERE delivered_at IS NULL"
                ) { ($0.integer(), $0.integer()) }
            }
        }
        return counts.first ?? (0, 0)
    }

    public func shutdown() async {
        let connection = self.connection
        do {
            try await SQLitePackDatabase.onThreadPool { () throws(DataError) in connection.close() }
        } catch {
            connection.close()
        }
    }

    // MARK: Running

    private static func sqlite(_ value: CallStoreSQL.Value) -> SQLiteValue {
        switch value {
        case .integer(let number): .integer(number)
        case .text(let text): .text(text)
        case .null: .null
        }
    }

    /// Runs blocking SQLite work on the NIO thread pool, mapping `DataError` to `CallStoreError`.
    private static func run<T: Sendable>(_ body: @escaping @Sendable () throws(DataError) -> T) async throws -> T {
        do {
            return try await SQLitePackDatabase.onThreadPool(body)
        } catch let error as DataError {
            throw CallStoreError(error)
        }
    }
}

extension CallStoreError {
    /// A business data failure as a call store failure: a store that holds what this program did
    /// not write is `.corrupt`; everything else, a refused write included, is `.unavailable`.
    init(_ error: DataError) {
        switch error.kind {
        case .corrupt: self.init(.corrupt, "call store: \(error.message)")
        case .constraint: self.init(.unavailable, "call store refused the write: \(error.message)")
        case .unavailable: self.init(.unavailable, "call store: \(error.message)")
        }
    }
}
