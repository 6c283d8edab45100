/// Why a Redis operation failed: the server could not be reached or answered with an error.
///
/// Transport failures (`isConnectionFailure`) mean the command may not have run; the client drops
/// the connection and reconnects, with backoff, on the next command.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case connectionRefused
        case timedOut(during: Phase, after: Duration)
        case connectionClosed
        case connectionFailed(String)
        case server(String)
        case protocolError(String)
        case unexpectedReply(String)
        case invalidURL(String)
        case shutDown
    }

    enum Phase: Sendable, Equatable {
        case connect
        case command
    }

    let kind: Kind
    /// `host:port` of the server, when the error concerns one.
    public let endpoint: String?
    /// While reconnecting with backoff: how long until the next attempt.
    public let retryIn: Duration?

    init(_ kind: Kind, endpoint: String? = nil, retryIn: Duration? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.retryIn = retryIn
    }

    /// Nothing listens at the server's address.
    public var isConnectionRefused: Bool { kind == .connectionRefused }

    /// The server did not answer within the connect or command timeout.
    public var isTimeout: Bool {
        if case .timedOut = kind { return true }
        return false
    }

    /// The server could not be reached or the connection was lost: the command may not have run.
    public var isConnectionFailure: Bool {
        switch kind {
        case .connectionRefused, .timedOut, .connectionClosed, .connectionFailed, .shutDown: return true
        case .server, .protocolError, .unexpectedReply, .invalidURL: return false
        }
    }

    /// The server's error text (`ERR …`, `NOSCRIPT …`, `WRONGPASS …`), when the server refused a command.
    public var serverMessage: String? {
        if case .server(let message) = kind { return message }
        return nil
    }

    /// The same error, noting that the client waits `delay` before trying to connect again.
    func retrying(in delay: Duration) -> RedisError {
        RedisError(kind, endpoint: endpoint, retryIn: delay)
    }

    public var description: String {
        let what: String
        switch kind {
        case .connectionRefused: what = "connection refused (is redis-server running?)"
        case .timedOut(let phase, let after):
            what = "\(phase == .connect ? "connect" : "command") timed out after \(after.formattedMilliseconds)"
        case .connectionClosed: what = "connection closed by the server"
        case .connectionFailed(let detail): what = "connection failed: \(detail)"
        case .server(let message): what = "server error: \(message)"
        case .protocolError(let detail): what = "protocol error: \(detail)"
        case .unexpectedReply(let detail): what = "unexpected reply: \(detail)"
        case .invalidURL(let detail): what = "invalid Redis URL: \(detail)"
        case .shutDown: what = "the client has been shut down"
        }
        var text = endpoint.map { "Redis \($0): \(what)" } ?? "Redis: \(what)"
        if let retryIn { text += " (next connection attempt in \(retryIn.formattedMilliseconds))" }
        return text
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a positive duration never becomes 0.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let remainder = attoseconds % 1_000_000_000_000_000
        return remainder > 0 ? millis + 1 : millis
    }

    var formattedMilliseconds: String {
        let millis = wholeMilliseconds
        return millis >= 1000 && millis % 1000 == 0 ? "\(millis / 1000) s" : "\(millis) ms"
    }
}
