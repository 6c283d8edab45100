import Logging
import PostgresNIO
import SwitchboardData
import Synchronization

/// Stops a pack statement on the server when the task that runs it is cancelled (the client
/// cancelled the response, hung up, or the tool ran out of time), rather than let it run to its
/// end: `SELECT pg_cancel_backend(pid)` is sent for the server process behind the statement's
/// connection, and the statement fails with SQLSTATE 57014 (`query_canceled`).
///
/// The cancel goes over a small pool of its own, so that it never waits for a connection that
/// the statements it would stop are holding. Each pooled connection's server process id is
/// asked for once (`SELECT pg_backend_pid()`) and remembered by connection.
final class PostgresCanceller: Sendable {
    /// Connection ids remembered before the table is emptied (connections come and go; their
    /// ids are never reused, so a forgotten one is only asked for again).
    private static let remembered = 256

    private let pool: BusinessConnectionPool
    private let pids = Mutex<[PostgresConnection.ID: Int32]>([:])
    private let logger: Logger

    init(pool: BusinessConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// A canceller for `location`, with a pool of one connection, opened on the first cancel.
    static func start(location: PostgresURL, options: PostgresBusinessData.Options, logger: Logger) -> PostgresCanceller {
        let options = PostgresBusinessData.Options(connectionTimeout: options.connectionTimeout, maximumConnections: 1)
        return PostgresCanceller(pool: BusinessConnectionPool.start(location: location, options: options, logger: logger), logger: logger)
    }

    func shutdown() async {
        await pool.shutdown()
    }

    /// What stops statements on `connection`: `nil` (they run to their end when cancelled) when
    /// its server process id cannot be had.
    func backend(of connection: PostgresConnection, logger: Logger) async -> PostgresBackend? {
        if let pid = pids.withLock({ $0[connection.id] }) { return PostgresBackend(pid: pid, canceller: self) }
        let pid: Int32
        do {
            let result = try await PostgresPackCommands.query(connection, "SELECT pg_backend_pid()", logger: logger)
            guard let row = result.rows.first else { return nil }
            pid = try row.decode(Int32.self)
        } catch {
            logger.warning("the connection's server process is unknown; its statements cannot be stopped mid-way",
                           metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
        pids.withLock { pids in
            if pids.count >= Self.remembered { pids.removeAll() }
            pids[connection.id] = pid
        }
        return PostgresBackend(pid: pid, canceller: self)
    }

    /// Asks the server to cancel what process `pid` is running; whether the signal was sent.
    /// It is, once this returns true: a statement running then stops, and a process waiting for
    /// its next command ignores it.
    func cancel(pid: Int32) async -> Bool {
        do {
            return try await pool.withConnection { (connection) in
                let result = try await PostgresPackCommands.query(
                    connection.connection, "SELECT pg_cancel_backend(\(pid))", logger: connection.logger
                )
                return try result.rows.first?.decode(Bool.self) ?? false
            }
        } catch {
            logger.warning("the statement could not be cancelled; it runs to its end",
                           metadata: ["error": "\(String(reflecting: error))", "data.pid": "\(pid)"])
            return false
        }
    }
}

/// The server process behind one leased connection, and what cancels its statements.
struct PostgresBackend: Sendable {
    let pid: Int32
    let canceller: PostgresCanceller

    /// Runs `query` (one statement on this process's connection) so that cancelling the calling
    /// task stops it on the server. A cancel is sent only while the statement runs, and `run`
    /// returns only once a cancel it sent is settled, so the connection never goes back to the
    /// pool with a cancel on its way that could stop the next caller's statement.
    ///
    /// Throws `CancellationError` when the task was cancelled before the statement started, or
    /// when the cancel stopped it (SQLSTATE 57014); a statement that ended before the cancel
    /// reached it answers as it ended.
    func run(_ query: @Sendable () async throws -> PostgresQueryResult) async throws -> PostgresQueryResult {
        try Task.checkCancellation()
        let statement = RunningStatement()
        let canceller = self.canceller, pid = self.pid
        return try await withTaskCancellationHandler {
            guard statement.start() else { throw CancellationError() }
            let result: Result<PostgresQueryResult, any Error>
            do {
                result = .success(try await query())
            } catch {
                result = .failure(error)
            }
            let cancelled = await statement.finish()
            if cancelled, case .failure(let error) = result, PostgresPackErrors.isCancel(error) {
                throw StatementCancelled(error)
            }
            return try result.get()
        } onCancel: {
            statement.cancel { Task { await canceller.cancel(pid: pid) } }
        }
    }
}

/// A statement stopped by its task's cancellation: PostgreSQL's error, which aborted the
/// transaction; callers see `CancellationError`.
struct StatementCancelled: Error {
    let underlying: any Error
    init(_ underlying: any Error) { self.underlying = underlying }
}

/// One statement's life, for its cancellation: a cancel is sent only while it runs, once.
private final class RunningStatement: Sendable {
    private enum State {
        case waiting
        case running
        /// Cancelled while running: the cancel sent, or on its way.
        case cancelling(Task<Bool, Never>)
        /// Cancelled before it started: it must not start.
        case refused
        case finished
    }

    private let state = Mutex(State.waiting)

    /// Whether the statement may start (it may not when its task is already cancelled).
    func start() -> Bool {
        state.withLock { state in
            guard case .waiting = state else { return false }
            state = .running
            return true
        }
    }

    /// The task was cancelled: `send` starts the cancel when the statement is running.
    func cancel(_ send: () -> Task<Bool, Never>) {
        state.withLock { state in
            switch state {
            case .waiting: state = .refused
            case .running: state = .cancelling(send())
            case .cancelling, .refused, .finished: break
            }
        }
    }

    /// The statement ended: whether a cancel was sent for it, once that cancel is settled.
    func finish() async -> Bool {
        let sending = state.withLock { state -> Task<Bool, Never>? in
            defer { state = .finished }
            if case .cancelling(let task) = state { return task }
            return nil
        }
        guard let sending else { return false }
        return await sending.value
    }
}
