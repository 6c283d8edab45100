import NIOCore
import SwitchboardCore

/// Limits of the realtime data path, and of the connections and sessions the hub holds.
///
/// A limit that is `nil` is off. Each has a flag and an environment variable on `switchboard serve`.
public struct RelayConfiguration: Sendable {
    /// The largest event a client may send, in bytes (OpenAI's limit is 15 MiB).
    public var maxEventBytes: Int = 15 * 1024 * 1024
    /// Bytes of client events held while the model session opens or a control event is decided;
    /// also the bytes of model events held behind an event the conversation decides (past it, the
    /// model session is not read until they have gone out).
    public var backlogBytes: Int = 4 * 1024 * 1024
    /// How long a client may leave its events unread before it is disconnected.
    public var clientStallTimeout: TimeAmount = .seconds(15)
    /// How long opening a model session may take.
    public var modelConnectTimeout: TimeAmount = .seconds(15)

    /// Client connections (HTTP and WebSocket) open at once. Over it, a new connection is closed
    /// as it is accepted, before a byte of it is read.
    public var maxConnections: Int? = 4096
    /// Client connections open at once from one IP address, likewise closed at accept. Behind a
    /// load balancer every connection comes from the balancer's address: limit per client there.
    public var maxConnectionsPerIP: Int? = 64
    /// Sessions (realtime and phone) live on this hub at once. A realtime upgrade over it gets an
    /// `error` event (`session_limit_reached`) and close 1013 (try again later).
    public var maxSessions: Int? = 1000
    /// How long a connection may take to send a complete request head (the WebSocket upgrade, or
    /// an HTTP request, also the next one on a kept-alive connection) before it is closed.
    public var headerTimeout: TimeAmount? = .seconds(10)
    /// How long a session may go without a frame from its client (a pong counts: the hub pings a
    /// quiet client halfway through) before it is saved and closed (`session_idle_timeout`, 1000).
    public var idleTimeout: TimeAmount? = .minutes(5)
    /// How long a session may last before it is saved and closed (`session_expired`, 1008).
    public var maxSessionDuration: TimeAmount? = .hours(2)
    /// Control events from a client waiting for the session's conversation. A client that sends
    /// them faster than they are handled is disconnected (`too_many_events`, 1008).
    public var maxQueuedEvents: Int? = 256

    public init() {}

    /// Inputs the conversation's inbox holds beyond `maxQueuedEvents`, for the events that end a
    /// session (the client or the model closing, a takeover, a shutdown).
    static let inboxReserve = 16

    /// How the conversation's inbox buffers.
    var inboxBuffering: AsyncStream<Conversation.Input>.Continuation.BufferingPolicy {
        guard let maxQueuedEvents else { return .unbounded }
        return .bufferingOldest(maxQueuedEvents + Self.inboxReserve)
    }

    /// Sets the limits from command-line values (counts, and seconds), 0 turning a limit off.
    public mutating func setLimits(maxConnections: Int, maxConnectionsPerIP: Int, maxSessions: Int, maxQueuedEvents: Int,
                                   headerTimeout: Double, idleTimeout: Double, maxSessionDuration: Double) {
        func count(_ value: Int) -> Int? { value == 0 ? nil : value }
        func seconds(_ value: Double) -> TimeAmount? { value == 0 ? nil : .nanoseconds(Int64(value * 1_000_000_000)) }
        self.maxConnections = count(maxConnections)
        self.maxConnectionsPerIP = count(maxConnectionsPerIP)
        self.maxSessions = count(maxSessions)
        self.maxQueuedEvents = count(maxQueuedEvents)
        self.headerTimeout = seconds(headerTimeout)
        self.idleTimeout = seconds(idleTimeout)
        self.maxSessionDuration = seconds(maxSessionDuration)
    }

    /// Refuses limits that cannot work.
    func validate() throws(ConfigurationError) {
        for (name, value) in [("--max-connections", maxConnections), ("--max-connections-per-ip", maxConnectionsPerIP),
                              ("--max-sessions", maxSessions), ("--max-queued-events", maxQueuedEvents)] {
            if let value, value < 1 { throw ConfigurationError("\(name) must be at least 1 (0 turns the limit off)") }
        }
        for (name, value) in [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout),
                              ("--max-session-duration", maxSessionDuration)] {
            if let value, value <= .zero { throw ConfigurationError("\(name) must be positive (0 turns it off)") }
        }
    }
}
