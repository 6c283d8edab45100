import Logging
import PostgresNIO
import SwitchboardData
import Synchronization

/// Runs a pack's declared statements on one leased connection (`PostgresPackDatabase.read`
/// and `transaction`). Every failure is a `DataError` that names the statement.
struct PostgresPackRunner: StatementRunner {
    let connection: PostgresConnection
    let logger: Logger
    let endpoint: String
    /// What the statements did that matters after them: inside a transaction, what failed in
    /// it, so that a body that catches a failure and goes on is never reported as committed;
    /// whether a statement changed the session's settings.
    let tracker: PostgresRunTracker
    /// What stops a statement on the server when its task is cancelled; `nil` when the
    /// connection's server process is unknown (its statements then run to their end).
    let backend: PostgresBackend?

    /// The first keywords of statements that begin or end a transaction: refused, so that a
    /// transaction is never committed half-way and a connection never goes back to the pool
    /// inside one. (Savepoints stay inside the transaction and are allowed.)
    static let transactionKeywords: Set<String> = ["begin", "start", "commit", "end", "rollback", "abort"]

    func rows(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> [SQLRow] {
        let result = try await execute(statement, parameters)
        var rows: [SQLRow] = []
        rows.reserveCapacity(result.rows.count)
        do {
            for row in result.rows { rows.append(try PostgresPackValues.row(row)) }
        } catch {
            throw DataError(error.kind, "\(error.message), in statement: \(PostgresPackErrors.shown(statement.text))")
        }
        return rows
    }

    func run(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> Int {
        let metadata = try await execute(statement, parameters).metadata
        if let rows = metadata.rows { return rows }
        // A tag postgres-nio does not count for (`MERGE 3`): its last word when it is a number.
        return metadata.command.split(separator: " ").last.flatMap { Int($0) } ?? 0
    }

    private func execute(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> PostgresQueryResult {
        guard !PostgresPackValues.isEmpty(statement.text) else { throw PostgresPackErrors.empty(statement.text) }
        guard !Self.transactionKeywords.contains(statement.keyword) else {
            throw DataError.corrupt("a pack statement may not begin or end transactions: \(PostgresPackErrors.shown(statement.text))")
        }
        if PostgresRunTracker.settingKeywords.contains(statement.keyword) { tracker.noteSettingsChanged() }
        let query = PostgresPackValues.query(statement, parameters)
        let connection = self.connection, logger = self.logger
        do {
            guard let backend else { return try await PostgresPackCommands.query(connection, query, logger: logger) }
            return try await backend.run { try await PostgresPackCommands.query(connection, query, logger: logger) }
        } catch let stopped as StatementCancelled {
            // Stopped on the server (57014): the transaction is aborted, and the caller sees
            // the cancellation, as on SQLite.
            tracker.record(stopped.underlying, as: CancellationError())
            throw CancellationError()
        } catch {
            let mapped = PostgresPackErrors.map(error, statement: statement.text, endpoint: endpoint)
            tracker.record(error, as: mapped)
            throw mapped
        }
    }
}

/// What the statements of one `read` or `transaction` did that matters after them: the first
/// statement that failed (after which PostgreSQL refuses the rest of a transaction) and whether
/// that was a conflict with a concurrent transaction, worth running the whole transaction again;
/// whether a statement changed the session's settings (`SET search_path …`), which the pooled
/// connection would otherwise keep for the next caller.
final class PostgresRunTracker: Sendable {
    /// The first keywords of statements that change a session's settings.
    static let settingKeywords: Set<String> = ["set", "reset", "discard"]

    private struct State {
        var failure: (any Error)?
        var isConflict = false
        var changedSettings = false
    }

    private let state = Mutex(State())

    /// Whether a statement may have changed the session's settings.
    var changedSettings: Bool { state.withLock { $0.changedSettings } }

    func noteSettingsChanged() {
        state.withLock { $0.changedSettings = true }
    }

    /// The first failure of a statement, as its caller saw it.
    var failure: (any Error)? { state.withLock { $0.failure } }
    /// Whether the first failure was a serialization failure or a deadlock.
    var isConflict: Bool { state.withLock { $0.isConflict } }

    func record(_ error: any Error, as mapped: any Error) {
        // Only the server's errors abort the transaction (a cancelled wait does not reach it).
        guard let error = error as? PSQLError else { return }
        state.withLock { state in
            guard state.failure == nil else { return }
            state.failure = mapped
            state.isConflict = PostgresPackErrors.isConflict(error)
        }
    }
}

/// Commands on a connection through postgres-nio's future interface, which reads the command
/// tag (the count of rows a write changed) and runs to its end even when the calling task is
/// cancelled — so that a `ROLLBACK` is sent by a cancelled transaction too.
enum PostgresPackCommands {
    static func query(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> PostgresQueryResult {
        let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
        return try await future.get()
    }

    /// Runs SQL text without parameters; the command tag's first word (`COMMIT`, `ROLLBACK`, …).
    @discardableResult
    static func command(_ connection: PostgresConnection, _ sql: String, logger: Logger) async throws -> String {
        try await query(connection, PostgresQuery(unsafeSQL: sql), logger: logger).metadata.command
    }

    /// Puts the session's settings back as the connection opened with them (`search_path` the
    /// pack's schema and `public`); a connection where that fails is closed.
    static func resetSettings(_ connection: PostgresConnection, logger: Logger) async {
        do {
            try await command(connection, "RESET ALL", logger: logger)
        } catch {
            logger.warning("resetting the session failed; closing the connection", metadata: ["error": "\(String(reflecting: error))"])
            try? await connection.close()
        }
    }

    /// Rolls back the connection's transaction; a connection whose rollback fails is closed, so
    /// that the pool never lends it out inside a broken transaction.
    static func rollback(_ connection: PostgresConnection, logger: Logger) async {
        do {
            try await command(connection, "ROLLBACK", logger: logger)
        } catch {
            logger.warning("rollback failed; closing the connection", metadata: ["error": "\(String(reflecting: error))"])
            try? await connection.close()
        }
    }
}

/// `DataError`s for pack statements: PostgreSQL's message and SQLSTATE (mapped to a kind as
/// `PostgresErrors` does), and the statement that failed.
enum PostgresPackErrors {
    /// `error` as a `DataError` naming `statement`; cancellation passes through.
    static func map(_ error: any Error, statement: String, endpoint: String) -> any Error {
        let mapped = PostgresErrors.map(error, endpoint: endpoint)
        guard let dataError = mapped as? DataError else { return mapped }
        return DataError(dataError.kind, "\(dataError.message), in statement: \(shown(statement))")
    }

    /// A statement with nothing to run.
    static func empty(_ statement: String) -> DataError {
        DataError.corrupt("a statement holds nothing but blanks and comments: \"\(shown(statement))\"")
    }

    /// Whether `error` is PostgreSQL's answer to a cancel (57014, `query_canceled`).
    static func isCancel(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return error.serverInfo?[.sqlState] == "57014"
    }

    /// Whether `error` is a serialization failure (40001) or a deadlock (40P01): the
    /// transaction lost a race with another and may succeed when run again.
    static func isConflict(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The statement on one line, cut to a length fit for a log line.
    static func shown(_ statement: String) -> String {
        let text = statement.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return text.count > 300 ? String(text.prefix(300)) + " …" : text
    }
}
