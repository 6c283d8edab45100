import Logging
import NIOPosix
import Synchronization

/// A Redis client for async code: a small pool of blocking hiredis connections, each used on a
/// thread of the client's own `NIOThreadPool`, so no blocking call ever runs on an event loop or
/// on the cooperative pool.
///
/// Connections are made on demand, at most `poolSize` of them. A connection that fails is dropped;
/// the next command connects again. While Redis is unreachable, connection attempts back off
/// exponentially (`reconnectBackoff` doubling up to `maxReconnectBackoff`) and commands in between
/// fail at once with the last error, so callers learn quickly that Redis is down. Commands are
/// never retried by the client: a command that failed on a lost connection may or may not have run.
///
/// Call `shutdown()` when done (or use `withRedisClient`).
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let threads: NIOThreadPool
    private let pool = Mutex(Pool())
    private let logger: Logger

    private struct Pool {
        var idle: [PooledConnection] = []
        var failuresInARow = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: RedisError?
        var subscriber: RedisSubscriber?
        var isShutDown = false
    }

    /// A connection moving between the pool and the one thread that uses it.
    private struct PooledConnection: @unchecked Sendable {
        let connection: RedisConnection
    }

    /// Starts the client's threads; connections are made when first needed.
    public init(configuration: RedisConfiguration, logger: Logger) {
        precondition(configuration.poolSize >= 1, "poolSize must be at least 1")
        self.configuration = configuration
        self.logger = logger
        threads = NIOThreadPool(numberOfThreads: configuration.poolSize)
        threads.start()
    }

    /// Sends one command (binary-safe arguments) and returns its reply; an error reply throws
    /// `RedisError` with the server's message.
    public func command(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let reply = try await withConnection { connection in try connection.send(arguments) }
        if case .error(let message) = reply { throw RedisError(.server(message), endpoint: configuration.endpoint) }
        return reply
    }

    /// Sends one command given as text.
    public func command(_ arguments: [String]) async throws -> RedisValue {
        try await command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command given as text.
    public func command(_ arguments: String...) async throws -> RedisValue {
        try await command(arguments)
    }

    /// Checks that Redis answers `PING`: for readiness probes.
    public func ping() async throws {
        let reply = try await command("PING")
        guard reply == .status("PONG") else {
            throw RedisError(.unexpectedReply("PING answered \(reply)"), endpoint: configuration.endpoint)
        }
    }

    /// Runs a Lua script with `EVALSHA`, falling back to `EVAL` (which caches it again) when the
    /// server does not know it (`NOSCRIPT`, after a restart or `SCRIPT FLUSH`).
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [[UInt8]]) async throws -> RedisValue {
        let tail = [Array(String(keys.count).utf8)] + keys.map { Array($0.utf8) } + arguments
        let reply = try await withConnection { connection in
            let reply = try connection.send([Array("EVALSHA".utf8), Array(script.sha1.utf8)] + tail)
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                return try connection.send([Array("EVAL".utf8), Array(script.source.utf8)] + tail)
            }
            return reply
        }
        if case .error(let message) = reply { throw RedisError(.server(message), endpoint: configuration.endpoint) }
        return reply
    }

    /// Messages published on `channel`, from a subscriber connection on a thread of its own.
    ///
    /// Returns once Redis has confirmed the subscription, or at once when Redis cannot be reached
    /// (the subscriber subscribes again whenever it reconnects). Pub/sub does not queue: messages
    /// published while the subscriber is disconnected are lost. Stop iterating to unsubscribe.
    public func subscribe(to channel: String) async -> AsyncStream<String> {
        let subscriber = pool.withLock { pool -> RedisSubscriber? in
            guard !pool.isShutDown else { return nil }
            if let subscriber = pool.subscriber { return subscriber }
            let subscriber = RedisSubscriber(configuration: configuration, logger: logger)
            pool.subscriber = subscriber
            return subscriber
        }
        guard let subscriber else { return AsyncStream { $0.finish() } }
        return await subscriber.subscribe(to: channel)
    }

    /// Closes every connection, ends every subscription and stops the client's threads.
    /// Commands after this throw.
    public func shutdown() async throws {
        let (wasShutDown, subscriber) = pool.withLock { pool in
            defer { pool.isShutDown = true; pool.subscriber = nil }
            return (pool.isShutDown, pool.subscriber)
        }
        guard !wasShutDown else { return }
        await subscriber?.stop()
        try await threads.shutdownGracefully()
        let idle = pool.withLock { pool in
            defer { pool.idle.removeAll() }
            return pool.idle
        }
        _ = idle  // the connections close as they are released here, outside the lock
    }

    // MARK: The pool

    /// Runs `body` with a connection on one of the client's threads.
    private func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws -> Result
    ) async throws -> Result {
        let shutDown = RedisError(.shutDown, endpoint: configuration.endpoint)
        if pool.withLock({ $0.isShutDown }) { throw shutDown }
        do {
            return try await threads.runIfActive { [self] in
                let connection = try checkOut()
                defer { checkIn(connection) }
                return try body(connection)
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw shutDown
        } catch is CancellationError where pool.withLock({ $0.isShutDown }) {
            throw shutDown  // the pool cancels what it had not started when it shut down
        }
    }

    private func checkOut() throws -> RedisConnection {
        while let pooled = pool.withLock({ $0.idle.popLast() }) {
            if pooled.connection.looksAlive { return pooled.connection }
            logger.debug("dropping a closed idle Redis connection", metadata: ["redis.endpoint": "\(configuration.endpoint)"])
        }
        let now = ContinuousClock.now
        let refusal = pool.withLock { pool -> RedisError? in
            if pool.isShutDown { return RedisError(.shutDown, endpoint: configuration.endpoint) }
            if let retryAt = pool.retryAt, now < retryAt, let lastError = pool.lastError {
                return lastError.retrying(in: retryAt - now)
            }
            return nil
        }
        if let refusal { throw refusal }
        do {
            let connection = try RedisConnection.connect(configuration)
            let failures = pool.withLock { pool in
                defer { pool.failuresInARow = 0; pool.retryAt = nil; pool.lastError = nil }
                return pool.failuresInARow
            }
            if failures > 0 {
                logger.info("reconnected to Redis", metadata: ["redis.endpoint": "\(configuration.endpoint)"])
            }
            return connection
        } catch let error as RedisError {
            let (failures, delay) = pool.withLock { pool in
                pool.failuresInARow += 1
                let delay = configuration.backoff(afterFailures: pool.failuresInARow)
                pool.retryAt = ContinuousClock.now + delay
                pool.lastError = error
                return (pool.failuresInARow, delay)
            }
            if failures == 1 {
                logger.warning("cannot connect to Redis; retrying with backoff",
                               metadata: ["error": "\(error)", "redis.retry_in": "\(delay.formattedMilliseconds)"])
            }
            throw error
        }
    }

    private func checkIn(_ connection: RedisConnection) {
        guard !connection.isBroken else { return }
        let pooled = PooledConnection(connection: connection)
        pool.withLock { pool in
            if !pool.isShutDown { pool.idle.append(pooled) }
        }
    }
}

/// Runs `body` with a client that is shut down afterwards, whether `body` returns or throws.
public func withRedisClient<Result: Sendable>(
    _ configuration: RedisConfiguration, logger: Logger, _ body: (RedisClient) async throws -> Result
) async throws -> Result {
    let client = RedisClient(configuration: configuration, logger: logger)
    let result: Result
    do {
        result = try await body(client)
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
    return result
}

extension RedisConfiguration {
    /// The wait before the next connection attempt after `failures` failures in a row.
    func backoff(afterFailures failures: Int) -> Duration {
        let doubled = reconnectBackoff * (1 << min(max(failures - 1, 0), 20))
        return min(doubled, maxReconnectBackoff)
    }
}
