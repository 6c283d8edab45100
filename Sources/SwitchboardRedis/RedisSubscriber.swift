import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The pub/sub side of a `RedisClient`: one connection in subscribe mode, owned by one thread of
/// its own that waits (with `poll`) on the socket and on a pipe used to wake it when the set of
/// channels changes. It reconnects with backoff and subscribes again to every channel.
final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let state = Mutex(State())
    /// The wake-up pipe; both ends non-blocking, closed (under the lock) by `stop()`.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private struct State {
        /// Channel → listener id → stream.
        var listeners: [String: [Int: AsyncStream<String>.Continuation]] = [:]
        var nextListener = 0
        /// Whether the subscriber is connected; `connecting` only until the first attempt ends, so
        /// the first `subscribe(to:)` waits for it rather than returning unconfirmed.
        var link = Link.connecting
        /// Channels whose subscription Redis confirmed on the current connection.
        var confirmed: Set<String> = []
        /// `subscribe(to:)` calls waiting for a confirmation, resumed on it or on disconnection.
        var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
        var stopping = false
    }

    private enum Link {
        case connecting
        case up
        case down
    }

    init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var ends: [Int32] = [-1, -1]
        let made = ends.withUnsafeMutableBufferPointer { pipe($0.baseAddress!) }
        precondition(made == 0, "cannot create a pipe for the Redis subscriber")
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        thread.start()
        thread.submit { [self] workState in
            if case .active = workState { run() }
        }
    }

    /// A stream of the messages on `channel`; see `RedisClient.subscribe(to:)`.
    func subscribe(to channel: String) async -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = state.withLock { state in
            defer { state.nextListener += 1 }
            return state.nextListener
        }
        continuation.onTermination = { [weak self] _ in self?.removeListener(id, from: channel) }
        let added = state.withLock { state in
            guard !state.stopping else { return false }
            state.listeners[channel, default: [:]][id] = continuation
            return true
        }
        guard added else {
            continuation.finish()
            return stream
        }
        wake()
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let waiting = state.withLock { state in
                guard state.link != .down, !state.stopping, !state.confirmed.contains(channel) else { return false }
                state.waiters[channel, default: []].append(waiter)
                return true
            }
            if !waiting { waiter.resume() }
        }
        return stream
    }

    /// Ends every stream, closes the connection and stops the thread.
    func stop() async {
        let (listeners, waiters) = state.withLock { state in
            state.stopping = true
            _ = write(wakeWrite, [UInt8(1)], 1)
            defer { state.listeners = [:]; state.waiters = [:] }
            return (state.listeners.values.flatMap(\.values), state.waiters.values.flatMap { $0 })
        }
        do {
            try await thread.shutdownGracefully()
        } catch {
            logger.warning("Redis subscriber thread did not stop cleanly", metadata: ["error": "\(error)"])
        }
        for waiter in waiters { waiter.resume() }
        for listener in listeners { listener.finish() }
        state.withLock { _ in
            close(wakeRead)
            close(wakeWrite)
        }
    }

    private func removeListener(_ id: Int, from channel: String) {
        state.withLock { state in
            state.listeners[channel]?[id] = nil
            if state.listeners[channel]?.isEmpty == true { state.listeners[channel] = nil }
            if !state.stopping { _ = write(wakeWrite, [UInt8(1)], 1) }
        }
    }

    private func wake() {
        state.withLock { state in
            if !state.stopping { _ = write(wakeWrite, [UInt8(1)], 1) }
        }
    }

    // MARK: The thread

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func run() {
        var connection: RedisConnection?
        var subscribed: Set<String> = []
        var unconfirmed: Set<String> = []
        var deadline: ContinuousClock.Instant?
        var failures = 0
        while !isStopping {
            guard let current = connection else {
                do {
                    connection = try RedisConnection.connect(configuration)
                    (subscribed, unconfirmed, deadline) = ([], [], nil)
                    if failures > 0 {
                        logger.info("Redis subscriber reconnected", metadata: ["redis.endpoint": "\(configuration.endpoint)"])
                    }
                    failures = 0
                    state.withLock { $0.link = .up }
                } catch {
                    disconnected()
                    failures += 1
                    if failures == 1 {
                        logger.warning("Redis subscriber cannot connect; retrying with backoff", metadata: ["error": "\(error)"])
                    }
                    pause(for: configuration.backoff(afterFailures: failures))
                }
                continue
            }
            do {
                let desired = state.withLock { Set($0.listeners.keys) }
                let added = desired.subtracting(subscribed)
                let removed = subscribed.subtracting(desired)
                if !added.isEmpty {
                    try current.append([Array("SUBSCRIBE".utf8)] + added.map { Array($0.utf8) })
                    subscribed.formUnion(added)
                    unconfirmed.formUnion(added)
                    deadline = deadline ?? .now + configuration.commandTimeout
                }
                if !removed.isEmpty {
                    try current.append([Array("UNSUBSCRIBE".utf8)] + removed.map { Array($0.utf8) })
                    subscribed.subtract(removed)
                    unconfirmed.subtract(removed)
                    state.withLock { $0.confirmed.subtract(removed) }
                }
                if !added.isEmpty || !removed.isEmpty { try current.flush() }
                if unconfirmed.isEmpty { deadline = nil }

                if waitForSocket(current.fileDescriptor, until: deadline) {
                    var reply: RedisValue? = try current.readReply()
                    while let value = reply {
                        handle(value, unconfirmed: &unconfirmed)
                        reply = try current.bufferedReply()
                    }
                    if unconfirmed.isEmpty { deadline = nil }
                } else if let deadline, ContinuousClock.now >= deadline {
                    throw RedisError(.timedOut(during: .command, after: configuration.commandTimeout),
                                     endpoint: configuration.endpoint)
                }
            } catch {
                if !isStopping {
                    logger.warning("Redis subscriber connection lost; reconnecting", metadata: ["error": "\(error)"])
                }
                connection = nil
                disconnected()
            }
        }
        connection = nil
        disconnected()
    }

    private func handle(_ reply: RedisValue, unconfirmed: inout Set<String>) {
        guard let parts = reply.array, parts.count >= 3, let kind = parts[0].string, let channel = parts[1].string else { return }
        switch kind {
        case "message":
            guard case .bytes(let payload) = parts[2] else { return }
            let message = String(decoding: payload, as: UTF8.self)
            let listeners = state.withLock { Array(($0.listeners[channel] ?? [:]).values) }
            for listener in listeners { listener.yield(message) }
        case "subscribe":
            unconfirmed.remove(channel)
            let waiters = state.withLock { state in
                state.confirmed.insert(channel)
                return state.waiters.removeValue(forKey: channel) ?? []
            }
            for waiter in waiters { waiter.resume() }
        default:
            break
        }
    }

    /// Marks the subscriber disconnected and releases everyone waiting for a confirmation.
    private func disconnected() {
        let waiters = state.withLock { state in
            state.link = .down
            state.confirmed = []
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap { $0 }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the socket is readable (true), the pipe wakes us, or `deadline` passes (false).
    private func waitForSocket(_ socket: Int32, until deadline: ContinuousClock.Instant?) -> Bool {
        var descriptors = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        let timeout = deadline.map { Int32(clamping: max(0, (($0 - .now).wholeMilliseconds))) } ?? -1
        guard poll(&descriptors, 2, timeout) > 0 else { return false }
        if descriptors[1].revents != 0 { drainWakePipe() }
        return descriptors[0].revents != 0
    }

    /// Sleeps for `delay`, waking early only to stop.
    private func pause(for delay: Duration) {
        let end = ContinuousClock.now + delay
        while !isStopping {
            let left = (end - .now).wholeMilliseconds
            guard left > 0 else { return }
            var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(clamping: left)) > 0 { drainWakePipe() }
        }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }
}
