import Foundation
import SwitchboardCore

/// Where Redis is and how the client talks to it.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server.
    public var host: String
    public var port: Int
    /// User for `AUTH user password` (Redis 6 ACLs); `nil` for the classic `AUTH password`.
    public var username: String?
    /// Sent with `AUTH` on every new connection when set.
    public var password: String?
    /// Selected with `SELECT` on every new connection when not 0.
    public var database: Int
    /// How long establishing a connection may take.
    public var connectTimeout: Duration
    /// How long one command may wait for its reply.
    public var commandTimeout: Duration
    /// How many connections (and blocking threads) the client keeps at most.
    public var poolSize: Int
    /// The wait after the first failed connection attempt; it doubles with each failure in a row.
    public var reconnectBackoff: Duration
    /// The longest wait between connection attempts.
    public var maxReconnectBackoff: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
        database: Int = 0, connectTimeout: Duration = .seconds(1), commandTimeout: Duration = .seconds(2),
        poolSize: Int = 4, reconnectBackoff: Duration = .milliseconds(50), maxReconnectBackoff: Duration = .seconds(2)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.reconnectBackoff = reconnectBackoff
        self.maxReconnectBackoff = maxReconnectBackoff
    }

    /// Reads `redis://[[user]:password@]host[:port][/db]`; the other settings keep their defaults.
    ///
    /// The password may be percent-encoded. The port defaults to 6379 and the database to 0.
    public init(url: String) throws {
        self.init()
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "redis" else {
            throw RedisError(.invalidURL("expected redis://[:password@]host:port[/db], got \(Self.redacted(url))"))
        }
        guard let host = components.host, !host.isEmpty else {
            throw RedisError(.invalidURL("no host in \(Self.redacted(url))"))
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let port = components.port {
            guard (1...65535).contains(port) else { throw RedisError(.invalidURL("port \(port) is out of range")) }
            self.port = port
        }
        if let user = components.percentEncodedUser, !user.isEmpty {
            username = user.removingPercentEncoding ?? user
        }
        if let password = components.percentEncodedPassword, !password.isEmpty {
            self.password = password.removingPercentEncoding ?? password
        }
        let path = components.path.drop(while: { $0 == "/" })
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else {
                throw RedisError(.invalidURL("database must be a number, got \"\(path)\""))
            }
            self.database = database
        }
    }

    /// `host:port`, for messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL with any password replaced, safe to log.
    static func redacted(_ url: String) -> String {
        Redacted.url(url)
    }
}

extension RedisConfiguration: CustomStringConvertible {
    /// The settings with the password hidden, safe to log.
    public var description: String {
        let user = username.map { "\($0)" } ?? ""
        let auth = password == nil ? (username == nil ? "" : "\(user)@") : "\(user):\(Redacted.mask)@"
        return "redis://\(auth)\(endpoint)/\(database)"
    }
}
