import Foundation
import Logging
import PostgresNIO
import SwitchboardData

/// A pack's business data in a PostgreSQL database that every replica shares: the pack's
/// tables live in a PostgreSQL schema named after the pack, and every connection of its pool
/// opens with `search_path` set to that schema and `public`, so that its statements name its
/// tables unqualified and never meet another pack's.
///
/// `connect` creates the schema on first start — the helper functions (`add_days`,
/// `days_between`, `money_text`), the pack's `schema.sql`, its `seed.sql` bound with `:today`
/// and a `switchboard_pack` table that marks it created — in one transaction under an advisory
/// lock keyed by the pack, so that replicas starting together create and seed it once; later
/// starts keep the data.
///
/// Parameters are bound (integers as `int8`, reals as `float8`, texts as `text`); a `NULL` is
/// written as the keyword in its place, so that PostgreSQL types it from its context.
/// Transactions are `SERIALIZABLE` and run again, up to `maximumRetries` times, when they
/// conflict with another one. A statement that changes the session's settings (`SET`, `RESET`,
/// `DISCARD`) has them reset when its `read` or `transaction` ends, so that the pooled
/// connection goes back to the pack's `search_path` for the next caller.
///
/// A statement whose task is cancelled is cancelled on the server (`pg_cancel_backend` for the
/// connection's server process, sent over a connection of its own) and throws
/// `CancellationError`; its transaction is rolled back, and the connection goes back to the pool
/// only once the cancel is settled.
public final class PostgresPackDatabase: PackDatabase {
    /// How many times a transaction that conflicted with another (a serialization failure or
    /// a deadlock) is run again before it fails with `DataError.unavailable`.
    public static let maximumRetries = 3

    /// The pack: the PostgreSQL schema its data lives in.
    public let pack: String
    /// Whether `connect` created the pack's schema and seeded it (false when it kept data).
    public let wasSeeded: Bool
    /// `host:port/database`, for messages (never the password).
    public var endpoint: String { pool.endpoint }
    public var engine: String { "postgres" }

    private let pool: BusinessConnectionPool
    private let canceller: PostgresCanceller

    private init(pack: String, pool: BusinessConnectionPool, canceller: PostgresCanceller, wasSeeded: Bool) {
        self.pack = pack
        self.pool = pool
        self.canceller = canceller
        self.wasSeeded = wasSeeded
    }

    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with
    /// an optional `?sslmode=`) for the pack `pack` (`[a-z][a-z0-9_]*`), creating its schema
    /// from `schema` and `seed` (the texts of its `schema.sql` and `seed.sql`; `:today` is
    /// `today` as `yyyy-MM-dd`) when the database has none. Throws `DataError`: `unavailable`
    /// for a bad URL or pack name or a server that cannot be reached; for a statement of the
    /// schema or seed that fails, PostgreSQL's error with the file and line.
    public static func connect(
        url: String, pack: String, schema: String, seed: String, today: Date = Date(),
        options: PostgresBusinessData.Options = .init(), logger: Logger
    ) async throws -> PostgresPackDatabase {
        try PostgresPackSchema.validate(pack: pack)
        let location = try PostgresURL(parsing: url)
        let script = try PostgresPackSchema.Script(schema: schema, seed: seed, today: CalendarDate(today).iso)
        var logger = logger
        logger[metadataKey: "data.endpoint"] = "\(location.endpoint)"
        logger[metadataKey: "data.pack"] = "\(pack)"
        let pool = BusinessConnectionPool.start(
            location: location, options: options,
            startupParameters: [("search_path", PostgresPackSchema.searchPath(pack: pack))], logger: logger
        )
        do {
            let endpoint = location.endpoint
            let seeded = try await pool.withConnection { (connection) in
                try await PostgresPackSchema.create(pack: pack, script: script, on: connection.connection, logger: connection.logger,
                                                    endpoint: endpoint)
            }
            logger.info("pack data ready", metadata: ["data.seeded": "\(seeded)"])
            let canceller = PostgresCanceller.start(location: location, options: options, logger: logger)
            return PostgresPackDatabase(pack: pack, pool: pool, canceller: canceller, wasSeeded: seeded)
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    // MARK: PackDatabase

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        let endpoint = pool.endpoint, canceller = self.canceller
        // The body's own errors come back as they were thrown (the pool maps only its own).
        let result = try await pool.withConnection { (connection) -> Outcome<T> in
            let tracker = PostgresRunTracker()
            let backend = await canceller.backend(of: connection.connection, logger: connection.logger)
            let runner = PostgresPackRunner(
                connection: connection.connection, logger: connection.logger, endpoint: endpoint, tracker: tracker, backend: backend
            )
            let outcome: Outcome<T>
            do {
                outcome = .done(try await body(runner))
            } catch {
                outcome = .failed(error)
            }
            if tracker.changedSettings { await PostgresPackCommands.resetSettings(connection.connection, logger: connection.logger) }
            return outcome
        }
        switch result {
        case .done(let value): return value
        case .failed(let error), .conflicted(let error): throw error
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        let endpoint = pool.endpoint, canceller = self.canceller
        var lastConflict: (any Error)?
        for attempt in 0...Self.maximumRetries {
            if attempt > 0 {
                // Apart, so that the transactions that collided do not collide again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * attempt))))
            }
            let outcome = try await pool.withConnection { (connection) -> Outcome<T> in
                let tracker = PostgresRunTracker()
                let backend = await canceller.backend(of: connection.connection, logger: connection.logger)
                let outcome = await Self.attempt(
                    body, on: connection.connection, backend: backend, tracker: tracker, logger: connection.logger, endpoint: endpoint
                )
                if tracker.changedSettings { await PostgresPackCommands.resetSettings(connection.connection, logger: connection.logger) }
                return outcome
            }
            switch outcome {
            case .done(let value): return value
            case .failed(let error): throw error
            case .conflicted(let error): lastConflict = error
            }
        }
        let reason = (lastConflict as? DataError)?.message ?? lastConflict.map { "\($0)" } ?? "a conflict"
        throw DataError.unavailable(
            "the transaction conflicted with concurrent ones \(Self.maximumRetries + 1) times and was given up; the last time: \(reason)"
        )
    }

    public func prepare(_ statement: NamedStatement) async throws {
        let endpoint = pool.endpoint
        guard !PostgresPackValues.isEmpty(statement.text) else { throw PostgresPackErrors.empty(statement.text) }
        // Prepared as it runs when every parameter is NULL: parsed and analysed, never run.
        let sql = statement.rendered { _ in "NULL" }
        let name = "switchboard_check_\(UInt64.random(in: 0...UInt64.max))"
        try await pool.withConnection { (connection) in
            do {
                try await PostgresPackCommands.command(connection.connection, "PREPARE \(name) AS \(sql)", logger: connection.logger)
            } catch {
                throw PostgresPackErrors.map(error, statement: statement.text, endpoint: endpoint)
            }
            do {
                try await PostgresPackCommands.command(connection.connection, "DEALLOCATE \(name)", logger: connection.logger)
            } catch {
                try? await connection.connection.close()
            }
        }
    }

    public func shutdown() async {
        await pool.shutdown()
        await canceller.shutdown()
    }

    // MARK: Transactions

    /// How one run of a body ended.
    private enum Outcome<T: Sendable>: Sendable {
        case done(T)
        /// Failed for good: the body's error or the database's.
        case failed(any Error)
        /// Lost a race with a concurrent transaction (rolled back): worth running again.
        case conflicted(any Error)
    }

    /// Runs `body` once in a `SERIALIZABLE` transaction on `connection`: committed when it
    /// returns and none of its statements failed, rolled back otherwise (also when the task
    /// is cancelled: the rollback does not check for cancellation). A statement running when the
    /// task is cancelled is stopped on the server (see `PostgresBackend`), and the transaction
    /// fails with `CancellationError`.
    private static func attempt<T: Sendable>(
        _ body: @escaping @Sendable (any StatementRunner) async throws -> T,
        on connection: PostgresConnection, backend: PostgresBackend?, tracker: PostgresRunTracker, logger: Logger, endpoint: String
    ) async -> Outcome<T> {
        do {
            try await PostgresPackCommands.command(connection, "BEGIN ISOLATION LEVEL SERIALIZABLE", logger: logger)
        } catch {
            return .failed(PostgresPackErrors.map(error, statement: "BEGIN", endpoint: endpoint))
        }
        let runner = PostgresPackRunner(connection: connection, logger: logger, endpoint: endpoint, tracker: tracker, backend: backend)
        let value: T
        do {
            value = try await body(runner)
        } catch {
            await PostgresPackCommands.rollback(connection, logger: logger)
            return tracker.isConflict ? .conflicted(error) : .failed(error)
        }
        if let failure = tracker.failure {
            // The body went on after a statement failed; PostgreSQL has aborted the
            // transaction, and its COMMIT would only roll back.
            await PostgresPackCommands.rollback(connection, logger: logger)
            if tracker.isConflict { return .conflicted(failure) }
            if failure is CancellationError { return .failed(failure) }
            let message = (failure as? DataError)?.message ?? "\(failure)"
            return .failed(DataError((failure as? DataError)?.kind ?? .unavailable,
                                     "the transaction was rolled back, one of its statements failed: \(message)"))
        }
        do {
            let tag = try await PostgresPackCommands.command(connection, "COMMIT", logger: logger)
            guard tag == "COMMIT" else {
                return .failed(DataError.unavailable("PostgreSQL at \(endpoint) answered the COMMIT with \(tag): nothing was changed"))
            }
        } catch {
            let mapped = PostgresPackErrors.map(error, statement: "COMMIT", endpoint: endpoint)
            return PostgresPackErrors.isConflict(error) ? .conflicted(mapped) : .failed(mapped)
        }
        return .done(value)
    }
}
