import PostgresNIO
import SwitchboardData

/// Direct SQL for tests that arrange or inspect a state the typed queries cannot (reached with
/// `@testable import`). Never used by the program: every query of its own is a bound
/// `PostgresQuery`.
extension PostgresBusinessData {
    /// Runs constant SQL text.
    func executeForTest(_ sql: String) async throws {
        try await withConnection { try await $0.execute(PostgresQuery(unsafeSQL: sql)) }
    }

    /// Reads one integer (`int4` or `int8`).
    func integerForTest(_ sql: String) async throws -> Int? {
        try await withConnection { (connection) in
            try await connection.rows(PostgresQuery(unsafeSQL: sql)) { (row) throws(DataError) -> Int in try row.next() }.first
        }
    }

    /// Reads one text.
    func textForTest(_ sql: String) async throws -> String? {
        try await withConnection { (connection) in
            try await connection.rows(PostgresQuery(unsafeSQL: sql)) { (row) throws(DataError) -> String in try row.next() }.first
        }
    }
}

extension PostgresBusinessData {
    /// Locks rows with `lockSQL` (a `SELECT … FOR UPDATE`) on a connection of its own, starts
    /// `body`, keeps the lock for `holding` so that whatever `body` started queues up behind it,
    /// then releases it and returns what `body` returns: concurrent changes that really overlap.
    func withRowsLockedForTest<T: Sendable>(
        _ lockSQL: String, holding: Duration = .milliseconds(300), _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withConnection { (connection) in
            try await connection.execute("BEGIN")
            try await connection.execute(PostgresQuery(unsafeSQL: lockSQL))
            async let result = body()
            try await Task.sleep(for: holding)
            try await connection.execute("COMMIT")
            return try await result
        }
    }
}
