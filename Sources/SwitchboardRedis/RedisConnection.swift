import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking connection to Redis through hiredis.
///
/// Every call blocks the calling thread up to the configured timeouts, so call it only from a
/// thread of your own (the client uses `NIOThreadPool`), never from an event loop or a task of the
/// cooperative pool. It is not thread-safe: one thread uses it at a time. After a transport error
/// the connection is broken for good (`isBroken`); make a new one.
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// `host:port` of the server.
    public let endpoint: String
    private let commandTimeout: Duration
    /// Set after a transport error: hiredis cannot use the context again.
    public private(set) var isBroken = false

    private init(context: UnsafeMutablePointer<redisContext>, endpoint: String, commandTimeout: Duration) {
        self.context = context
        self.endpoint = endpoint
        self.commandTimeout = commandTimeout
    }

    deinit {
        redisFree(context)
    }

    /// Connects, then authenticates and selects the database when the configuration asks for it.
    public static func connect(_ configuration: RedisConfiguration) throws -> RedisConnection {
        let endpoint = configuration.endpoint
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port),
                                                    timeval(configuration.connectTimeout))
        else {
            throw RedisError(.connectionFailed("could not allocate a hiredis context"), endpoint: endpoint)
        }
        if context.pointee.err != 0 {
            let error = transportError(context, phase: .connect, timeout: configuration.connectTimeout, endpoint: endpoint)
            redisFree(context)
            throw error
        }
        // From here on `connection` owns the context and frees it if a step below throws.
        let connection = RedisConnection(context: context, endpoint: endpoint, commandTimeout: configuration.commandTimeout)
        guard redisSetTimeout(context, timeval(configuration.commandTimeout)) == REDIS_OK else {
            throw transportError(context, phase: .connect, timeout: configuration.connectTimeout, endpoint: endpoint)
        }
        _ = redisEnableKeepAlive(context)
        if let password = configuration.password {
            let auth = configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            try connection.expectOK(auth.map { Array($0.utf8) }, what: "AUTH")
        }
        if configuration.database != 0 {
            try connection.expectOK([Array("SELECT".utf8), Array(String(configuration.database).utf8)], what: "SELECT")
        }
        return connection
    }

    /// Sends one command and waits for its reply. Arguments are binary-safe.
    ///
    /// An error reply is returned as `.error`; transport failures throw `RedisError`.
    public func send(_ arguments: [[UInt8]]) throws -> RedisValue {
        try checkUsable()
        let raw = withArgv(arguments) { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
        guard let raw else { throw fail(.command) }
        return RedisValue(reply: raw)
    }

    /// Sends `arguments` and throws unless the reply is a status (`OK`).
    private func expectOK(_ arguments: [[UInt8]], what: String) throws {
        switch try send(arguments) {
        case .status: return
        case .error(let message): throw RedisError(.server(message), endpoint: endpoint)
        case let other: throw RedisError(.unexpectedReply("\(what) answered \(other)"), endpoint: endpoint)
        }
    }

    // MARK: Pipelined use, for the subscriber

    /// Queues a command in the output buffer without waiting; `flush()` writes it.
    func append(_ arguments: [[UInt8]]) throws {
        try checkUsable()
        let status = withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
        guard status == REDIS_OK else { throw fail(.command) }
    }

    /// Writes the output buffer to the socket.
    func flush() throws {
        try checkUsable()
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw fail(.command) }
        }
    }

    /// Waits (up to the command timeout) for the next reply.
    func readReply() throws -> RedisValue {
        try checkUsable()
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw fail(.command) }
        return RedisValue(reply: raw)
    }

    /// A reply already read from the socket and buffered, without blocking.
    func bufferedReply() throws -> RedisValue? {
        try checkUsable()
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { throw fail(.command) }
        return raw.map { RedisValue(reply: $0) }
    }

    /// The socket, to wait on with `poll`.
    var fileDescriptor: Int32 { context.pointee.fd }

    /// Whether an idle connection still looks alive: nothing may be readable on an idle socket,
    /// so readability means the server closed it (or sent something we did not ask for).
    var looksAlive: Bool {
        guard !isBroken else { return false }
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    // MARK: Errors

    private func checkUsable() throws {
        if isBroken { throw RedisError(.connectionClosed, endpoint: endpoint) }
    }

    private func fail(_ phase: RedisError.Phase) -> RedisError {
        isBroken = true
        return Self.transportError(context, phase: phase, timeout: commandTimeout, endpoint: endpoint)
    }

    /// Reads hiredis' error flags (and errno, which hiredis sets for timeouts) into a `RedisError`.
    private static func transportError(_ context: UnsafeMutablePointer<redisContext>, phase: RedisError.Phase,
                                       timeout: Duration, endpoint: String) -> RedisError {
        let code = errno
        let message = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch context.pointee.err {
        case REDIS_ERR_EOF:
            return RedisError(.connectionClosed, endpoint: endpoint)
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError(message), endpoint: endpoint)
        case REDIS_ERR_IO:
            if code == ECONNREFUSED || message.contains("refused") { return RedisError(.connectionRefused, endpoint: endpoint) }
            if code == ETIMEDOUT || code == EAGAIN || code == EWOULDBLOCK || code == EINPROGRESS
                || message.contains("timed out") || message.contains("temporarily unavailable") {
                return RedisError(.timedOut(during: phase, after: timeout), endpoint: endpoint)
            }
            if code == ECONNRESET || code == EPIPE { return RedisError(.connectionClosed, endpoint: endpoint) }
            return RedisError(.connectionFailed(message), endpoint: endpoint)
        default:
            return RedisError(.connectionFailed(message.isEmpty ? "hiredis error \(context.pointee.err)" : message), endpoint: endpoint)
        }
    }
}

/// Calls `body` with hiredis' argc/argv/argvlen for `arguments`, all pointing into one buffer.
private func withArgv<Result>(
    _ arguments: [[UInt8]],
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
) -> Result {
    var lengths = arguments.map(\.count)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(lengths.reduce(1, +))
    for argument in arguments { bytes.append(contentsOf: argument) }
    bytes.append(0)  // never empty, so there is always a base address
    return bytes.withUnsafeBufferPointer { buffer in
        let base = UnsafeRawPointer(buffer.baseAddress!)
        var offset = 0
        var pointers: [UnsafePointer<CChar>?] = lengths.map { length in
            defer { offset += length }
            return (base + offset).assumingMemoryBound(to: CChar.self)
        }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeMutableBufferPointer { argvlen in
                body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
            }
        }
    }
}

extension RedisValue {
    /// Converts a hiredis reply and frees it.
    init(reply raw: UnsafeMutableRawPointer) {
        self.init(copying: raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
    }

    private init(copying reply: UnsafeMutablePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            self = .bytes(value.str.map { Array(UnsafeRawBufferPointer(start: $0, count: value.len)) } ?? [])
        case REDIS_REPLY_STATUS:
            self = .status(value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: value.len), as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            self = .error(value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: value.len), as: UTF8.self) } ?? "")
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<value.elements).map { index in
                value.element[index].map { RedisValue(copying: $0) } ?? .null
            })
        default:
            self = .null
        }
    }
}

extension timeval {
    init(_ duration: Duration) {
        let micros = max(1000, duration.wholeMilliseconds * 1000)
        self.init(tv_sec: numericCast(micros / 1_000_000), tv_usec: numericCast(micros % 1_000_000))
    }
}
