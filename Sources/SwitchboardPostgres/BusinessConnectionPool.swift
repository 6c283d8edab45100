import Logging
import PostgresNIO
import SwitchboardData
import Synchronization

/// A `PostgresClient` and the task that runs it: lends connections with a bounded wait and maps
/// every failure to `DataError`. Cancelling the run task (`shutdown`, or dropping the pool)
/// closes every connection.
package final class BusinessConnectionPool: Sendable {
    /// `host:port/database`, for messages.
    package let endpoint: String
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let connectionTimeout: Duration
    private let logger: Logger
    private let isShutDown = Mutex(false)

    private init(endpoint: String, client: PostgresClient, runTask: Task<Void, Never>, connectionTimeout: Duration, logger: Logger) {
        self.endpoint = endpoint
        self.client = client
        self.runTask = runTask
        self.connectionTimeout = connectionTimeout
        self.logger = logger
    }

    /// Starts a pool for `location`, run by a task of its own; it connects on first use. Every
    /// connection sends `startupParameters` (settings such as `search_path`) when it opens.
    package static func start(
        location: PostgresURL, options: PostgresBusinessData.Options, startupParameters: [(String, String)] = [], logger: Logger
    ) -> BusinessConnectionPool {
        var configuration = location.clientConfiguration
        configuration.options.additionalStartupParameters = startupParameters
        configuration.options.maximumConnections = options.maximumConnections
        configuration.options.connectTimeout = options.connectionTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        return BusinessConnectionPool(
            endpoint: location.endpoint, client: client, runTask: runTask, connectionTimeout: options.connectionTimeout, logger: logger
        )
    }

    deinit {
        runTask.cancel()
    }

    /// Closes every connection and stops the client; later uses throw `DataError.unavailable`.
    package func shutdown() async {
        isShutDown.withLock { $0 = true }
        runTask.cancel()
        await runTask.value
    }

    /// Runs `body` with a connection from the pool. Waiting for the connection is bounded by
    /// the connection timeout (the pool itself would queue the request for as long as the server
    /// stays down); once it is had, `body` runs to its end, so a change is never cut off between
    /// its commit and its answer. Every failure is mapped to `DataError`.
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (BusinessConnection) async throws -> T) async throws -> T {
        let endpoint = self.endpoint
        guard !isShutDown.withLock({ $0 }) else {
            throw DataError.unavailable("the business data at \(endpoint) is shut down")
        }
        let client = self.client, logger = self.logger, timeout = connectionTimeout
        let lease = LeaseDeadline()
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { (connection) async throws -> T? in
                        guard lease.begin() else { throw CancellationError() }
                        return try await body(BusinessConnection(connection: connection, logger: logger))
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    guard lease.expire() else { return nil }
                    throw DataError.unavailable("no connection to PostgreSQL at \(endpoint) within \(timeout)")
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw DataError.unavailable("the operation on PostgreSQL at \(endpoint) ended without an answer")
            }
        } catch {
            throw PostgresErrors.map(error, endpoint: endpoint)
        }
    }
}

/// Who came first: the connection (the operation runs) or the deadline (it fails).
private final class LeaseDeadline: Sendable {
    private enum State { case waiting, leased, expired }
    private let state = Mutex(State.waiting)

    /// The connection arrived: true when the deadline has not passed.
    func begin() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .leased
            return true
        }
    }

    /// The deadline passed: true when no connection arrived before it.
    func expire() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .expired
            return true
        }
    }
}
