import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore

/// The `error` events a client is sent when a limit refuses or ends its session.
extension RealtimeError {
    /// A realtime upgrade while `--max-sessions` sessions are live (then close 1013).
    static func sessionLimitReached(_ limit: Int) -> RealtimeError {
        .invalidRequest("session_limit_reached",
                        "The hub is serving its limit of \(limit) sessions. Try again later.")
    }

    /// A session whose client sent nothing, not even a pong, for `--idle-timeout` (then close 1000).
    static func sessionIdle(_ timeout: TimeAmount) -> RealtimeError {
        .invalidRequest("session_idle_timeout",
                        "Nothing arrived from the client for \(describe(timeout)): the session was saved and closed. Reconnect with the same session_state_key to resume it.")
    }

    /// A session that reached `--max-session-duration` (OpenAI's code and wording; then close 1008).
    static func sessionExpired(_ limit: TimeAmount) -> RealtimeError {
        .invalidRequest("session_expired",
                        "Your session hit the maximum duration of \(describe(limit)). It was saved: reconnect with the same session_state_key to resume it.")
    }

    /// A client that sends control events faster than its session handles them (then close 1008).
    static func tooManyEvents(_ limit: Int) -> RealtimeError {
        .invalidRequest("too_many_events",
                        "Control events arrived faster than the session could handle them (more than \(limit) waiting); the session is closed.")
    }

    /// `5 minutes`, `90 seconds`, `0.25 seconds`.
    static func describe(_ time: TimeAmount) -> String {
        let nanoseconds = time.nanoseconds
        if nanoseconds >= 60_000_000_000, nanoseconds % 60_000_000_000 == 0 {
            let minutes = nanoseconds / 60_000_000_000
            return minutes == 1 ? "1 minute" : "\(minutes) minutes"
        }
        if nanoseconds % 1_000_000_000 == 0 {
            let seconds = nanoseconds / 1_000_000_000
            return seconds == 1 ? "1 second" : "\(seconds) seconds"
        }
        let milliseconds = Double(nanoseconds / 1_000_000) / 1000
        return "\(milliseconds) seconds"
    }
}

/// Ends a session whose client has gone quiet (`--idle-timeout`) or that has lasted its maximum
/// (`--max-session-duration`): the client is sent an `error` event naming the limit, then the
/// conversation saves the session's state and closes, the same way a shutdown does.
///
/// It lives on the session's event loop and costs nothing per frame: the relay counts the
/// client's frames, and a timer that ticks four times per idle timeout compares the count. A
/// client quiet for half the timeout is pinged; its pong is a frame like any other.
final class SessionTimers {
    private let relay: SessionRelay
    private let channel: any Channel
    private let inbox: AsyncStream<Conversation.Input>.Continuation
    private let metrics: HubMetrics
    private let logger: Logger
    private let idleTimeout: TimeAmount?
    /// Whether to ping a quiet client (a WebSocket client of `/realtime`; a phone bridge's
    /// connection carries media all the time and speaks its own protocol).
    private let pings: Bool
    private var idleTick: Scheduled<Void>?
    private var expiry: Scheduled<Void>?
    private var grace: Scheduled<Void>?
    private var framesAtLastTick: UInt = 0
    private var quietTicks = 0
    private var ended = false

    /// Ticks per idle timeout: the client is pinged after half of them pass without a frame.
    static let ticksPerTimeout: Int64 = 4
    /// How long a session that was told to end may take to save and close before its connection
    /// is closed under it.
    static let endGrace: TimeAmount = .seconds(30)

    private init(relay: SessionRelay, channel: any Channel, inbox: AsyncStream<Conversation.Input>.Continuation,
                 configuration: RelayConfiguration, metrics: HubMetrics, logger: Logger, pings: Bool) {
        self.relay = relay
        self.channel = channel
        self.inbox = inbox
        self.metrics = metrics
        self.logger = logger
        self.idleTimeout = configuration.idleTimeout
        self.pings = pings
    }

    /// Starts the session's timers, on `channel`'s event loop; they stop when it closes.
    static func start(relay: SessionRelay, channel: any Channel, inbox: AsyncStream<Conversation.Input>.Continuation,
                      configuration: RelayConfiguration, metrics: HubMetrics, logger: Logger, pings: Bool) {
        guard configuration.idleTimeout != nil || configuration.maxSessionDuration != nil else { return }
        let timers = SessionTimers(relay: relay, channel: channel, inbox: inbox, configuration: configuration,
                                   metrics: metrics, logger: logger, pings: pings)
        let loop = channel.eventLoop.assumeIsolated()
        if let limit = configuration.maxSessionDuration {
            timers.expiry = loop.scheduleTask(in: limit) {
                timers.end(.sessionExpired(limit), code: 1008, reason: "maximum session duration reached", limit: "session_duration")
            }
        }
        if configuration.idleTimeout != nil { timers.scheduleTick() }
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            timers.stop()
            timers.grace?.cancel()
            timers.grace = nil
        }
    }

    private func scheduleTick() {
        guard let idleTimeout else { return }
        let period = TimeAmount.nanoseconds(max(1, idleTimeout.nanoseconds / Self.ticksPerTimeout))
        idleTick = channel.eventLoop.assumeIsolated().scheduleTask(in: period) { [self] in
            tick()
        }
    }

    private func tick() {
        idleTick = nil
        guard !ended, let idleTimeout else { return }
        let frames = relay.clientFrames
        if frames != framesAtLastTick {
            framesAtLastTick = frames
            quietTicks = 0
        } else {
            quietTicks += 1
        }
        if quietTicks >= Self.ticksPerTimeout {
            end(.sessionIdle(idleTimeout), code: 1000, reason: "idle timeout", limit: "idle_timeout")
            return
        }
        if quietTicks == Self.ticksPerTimeout / 2, pings {
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: channel.allocator.buffer(capacity: 0)), promise: nil)
        }
        scheduleTick()
    }

    /// Tells the client why, then has the conversation save and close the session.
    private func end(_ error: RealtimeError, code: UInt16, reason: String, limit: String) {
        guard !ended, channel.isActive else { return }
        ended = true
        stop()
        metrics.limitHit(limit)
        metrics.error(error.code ?? limit)
        logger.info("session ended by a limit", metadata: ["limit": "\(limit)"])
        relay.sendError(error)
        inbox.yield(.shutdown(code: code, reason: reason))
        // A conversation that cannot get to it (stuck in a tool) still lets the connection go.
        let channel = self.channel
        grace = channel.eventLoop.assumeIsolated().scheduleTask(in: Self.endGrace) { channel.close(promise: nil) }
    }

    private func stop() {
        idleTick?.cancel()
        idleTick = nil
        expiry?.cancel()
        expiry = nil
    }
}
