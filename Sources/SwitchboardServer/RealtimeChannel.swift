import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Prometheus
import RealtimeProtocol
import SwitchboardCore
import SwitchboardTelephony

/// The hub's child channel: HTTP/1.1 for every Hummingbird route, and a WebSocket upgrade at
/// `/realtime` and `/v1/realtime` straight onto the session relay, so realtime frames are
/// handled by NIO handlers on the event loop with no per-frame hop into Swift concurrency.
struct RealtimeChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case session(SessionDriver)
        /// A phone call: its session starts once the call says who is calling (`nil`: it ended first).
        case call(EventLoopFuture<SessionDriver?>)
        case refused
        /// A client following a live call: it listens until the call or the client ends.
        case following
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, forbidden: String?)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    static let paths: Set<Substring> = ["/realtime", "/v1/realtime"]
    /// The Twilio Media Streams WebSocket (the hub's answer to the voice webhook points here).
    static let twilioMediaPath: Substring = "/twilio/media"

    /// What an upgraded connection is given to.
    enum Mode: Sendable {
        /// A hub session: the relay between the client and its model session.
        case hub
        /// A bare model session (`switchboard model-server`).
        case modelServer
    }

    let responder: HTTPChannelHandler.Responder
    let hub: HubContext
    let mode: Mode

    init(responder: @escaping HTTPChannelHandler.Responder, hub: HubContext, mode: Mode = .hub) {
        self.hub = hub
        self.mode = mode
        self.responder = { request, writer, channel in
            if request.headers[.upgrade]?.lowercased() == "websocket" {
                // An upgrade after an earlier request on the same connection: NIO only upgrades a
                // connection's first request, so send the client to a new connection.
                var path = request.uri.path
                if let query = request.uri.query { path += "?\(query)" }
                try await writer.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: path]))
                throw CancellationError()
            }
            try await responder(request, writer, channel)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let hub = self.hub
        let mode = self.mode
        // Over a connection limit: closed as it is accepted, before a byte of it is read.
        let ip = channel.remoteAddress?.ipAddress
        if let refusal = hub.connections.admit(ip: ip) {
            hub.metrics.limitHit(refusal.rawValue)
            logger.debug("connection refused at accept", metadata: ["limit": "\(refusal.rawValue)"])
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededFuture(
                Value(upgradeResult: channel.eventLoop.makeFailedFuture(ConnectionLimitReached(limit: refusal.rawValue)), channel: channel))
        }
        let connections = hub.connections
        let open = hub.metrics.connectionsOpen
        open.increment()
        channel.closeFuture.whenComplete { _ in
            connections.release(ip: ip)
            open.decrement()
        }
        return channel.eventLoop.makeCompletedFuture {
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let parsed = NIOLoopBoundBox<ConnectionRequest?>(nil, eventLoop: channel.eventLoop)
            let isCall = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let forbidden = NIOLoopBoundBox<String?>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: hub.configuration.relay.maxEventBytes,
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    attempted.value = true
                    // A web page from another site (or a rebound DNS name) is refused before upgrade.
                    if mode == .hub, !hub.origins.permits(origin: head.headers["Origin"].first, host: head.headers["Host"].first) {
                        hub.metrics.sessionsRefused.increment()
                        hub.metrics.error("origin_not_allowed")
                        forbidden.value = "cross-origin WebSocket refused: this page's Origin is not allowed (--allowed-origin)"
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    if mode == .hub, ConnectionRequest.path(of: head.uri) == Self.twilioMediaPath {
                        if let refusal = TwilioWebhook.mediaRefusal(head: head, hub: hub) {
                            forbidden.value = refusal
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        isCall.value = true
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                    }
                    guard Self.paths.contains(ConnectionRequest.path(of: head.uri)) else {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    let request = ConnectionRequest(uri: head.uri, headers: head.headers, identity: hub.identity)
                    parsed.value = request
                    if mode == .hub, let callID = request.followCallID {
                        // Following a call: an admin key, and a call live on this replica.
                        guard request.mayFollowCalls else {
                            forbidden.value = "following a call needs an admin key (--admin-key)"
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        guard hub.feeds.feed(for: callID) != nil else {
                            forbidden.value = "no call with that id is live on this replica"
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "X-Session-Key", value: request.sessionKey.rawValue)
                    if let subprotocol = request.subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                    return channel.eventLoop.makeSucceededFuture(headers)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        if isCall.value { return try Self.startTwilioCall(channel: channel, hub: hub) }
                        guard let request = parsed.value else { throw ChannelError.inappropriateOperationForState }
                        if mode == .hub, let callID = request.followCallID {
                            guard let feed = hub.feeds.feed(for: callID) else {
                                // The call ended between the check and the upgrade.
                                channel.close(promise: nil)
                                return .following
                            }
                            try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 16, maxAccumulatedFrameSize: 64 * 1024))
                            try channel.pipeline.syncOperations.addHandler(CallFollower(feed: feed))
                            return .following
                        }
                        switch mode {
                        case .hub:
                            return try Self.startSession(channel: channel, request: request, hub: hub)
                        case .modelServer:
                            return try Self.startModelSession(channel: channel, request: request, hub: hub)
                        }
                    }
                }
            )
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        if let timeout = hub.configuration.relay.headerTimeout {
                            try channel.pipeline.syncOperations.addHandler(
                                HTTPConnectionStateHandler(idleTimeout: .nanoseconds(timeout.nanoseconds), logger: hub.logger))
                        }
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return attempted.value ? .failedUpgrade(asyncChannel, forbidden: forbidden.value) : .notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgrade)
            configuration.enablePipelining = false
            // A request head NIO cannot parse (a 100 KB target, raw bytes, a bad header) gets
            // 400 and the connection closes at once, rather than waiting out the head timeout.
            configuration.enableErrorHandling = true
            configuration.enableResponseHeaderValidation = false
            try channel.pipeline.syncOperations.addHandler(IdleOnQuiesceHandler())
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            // Slowloris: a connection that has not sent its whole first request head in time is
            // closed (later requests on it are timed by the HTTP path's connection state handler).
            if let timeout = hub.configuration.relay.headerTimeout {
                let timer = channel.eventLoop.scheduleTask(in: timeout) {
                    hub.metrics.limitHit("header_timeout")
                    channel.close(promise: nil)
                }
                result.whenComplete { _ in timer.cancel() }
            }
            return Value(upgradeResult: result, channel: channel)
        }
    }

    /// Puts the session relay at the end of the upgraded pipeline, or refuses the session.
    static func startSession(channel: any Channel, request: ConnectionRequest, hub: HubContext) throws -> UpgradeResult {
        var logger = hub.logger
        logger[metadataKey: "session.key"] = "\(request.sessionKey.redacted)"
        // The relay assembles fragmented messages itself: one handler less on every frame's way.
        if let error = request.refusalError {
            hub.metrics.sessionsRefused.increment()
            hub.metrics.error(error.code ?? "refused")
            logger.info("connection refused", metadata: ["reason": "\(error.code ?? "")"])
            try channel.pipeline.syncOperations.addHandler(RefusalHandler(error: error))
            return .refused
        }
        // Over its key's limits (--key-max-sessions, --key-sessions-per-second): rate_limit_exceeded, close 1008.
        if let key = request.principal?.limitID {
            if let hit = hub.keyLimits.admitSession(key: key) {
                let error = RealtimeError.rateLimitExceeded(hit == .sessions
                    ? "This key has \(hub.keyLimits.maxSessions) sessions open, its limit; close one first."
                    : "This key opens sessions faster than its limit of \(hub.keyLimits.sessionsPerSecond) a second; slow down.")
                hub.metrics.limitHit(hit.rawValue)
                hub.metrics.sessionsRefused.increment()
                hub.metrics.error("rate_limit_exceeded")
                logger.notice("session refused: key limit", metadata: ["limit": "\(hit.rawValue)"])
                try channel.pipeline.syncOperations.addHandler(RefusalHandler(error: error, reason: "rate limit exceeded"))
                return .refused
            }
            let limits = hub.keyLimits
            channel.closeFuture.whenComplete { _ in limits.releaseSession(key: key) }
        }
        // Over --max-sessions: told so, close 1013 (try again later). A connection that takes over
        // a session live here replaces it, so it is let in.
        if hub.live.contains(request.sessionKey.rawValue) {
            hub.sessionSlots.acquire()
        } else if !hub.sessionSlots.tryAcquire() {
            let error = RealtimeError.sessionLimitReached(hub.sessionSlots.limit ?? 0)
            hub.metrics.limitHit("sessions")
            hub.metrics.error(error.code ?? "session_limit_reached")
            logger.notice("session refused: the hub is at its session limit", metadata: ["limit": "\(hub.sessionSlots.limit ?? 0)"])
            try channel.pipeline.syncOperations.addHandler(RefusalHandler(
                error: error, closeCode: WebSocketErrorCode(codeNumber: 1013), reason: "too many sessions; try again later"))
            return .refused
        }
        hub.metrics.sessionCredential(request.principal?.credentialLabel ?? "none")
        return .session(try attachSession(channel: channel, request: request, hub: hub, logger: logger, slotTaken: true, pings: true, wire: true))
    }

    /// Puts a session relay at the end of `channel`'s pipeline and returns the driver to run.
    /// `slotTaken`: the caller took the session's slot (`--max-sessions`); otherwise it is taken
    /// here whatever the limit (a phone call already answered). It is given back as the connection closes.
    /// `pings`: whether a quiet client is pinged before its idle timeout: a `/realtime` WebSocket
    /// client only (a phone bridge's connection carries media all the time and speaks its own protocol).
    /// `wire`: the channel is a WebSocket client's, fresh from its upgrade: the relay reads its
    /// frames from the socket's bytes (`ClientWireReader`) rather than from NIO's frame decoder.
    static func attachSession(channel: any Channel, request: ConnectionRequest, hub: HubContext, logger: Logger,
                              slotTaken: Bool = false, pings: Bool = false, wire: Bool = false) throws -> SessionDriver {
        var request = request
        if let call = request.call { request.recording = SessionRecording.start(call, channel: channel, hub: hub, logger: logger) }
        let slots = hub.sessionSlots
        if !slotTaken { slots.acquire() }
        channel.closeFuture.whenComplete { _ in slots.release() }
        // Bounded: the relay disconnects a client that floods it (`--max-queued-events`).
        let (stream, continuation) = AsyncStream.makeStream(of: Conversation.Input.self, bufferingPolicy: hub.configuration.relay.inboxBuffering)
        let relay = SessionRelay(configuration: hub.configuration.relay, metrics: hub.metrics, logger: logger,
                                 eventLoop: channel.eventLoop, inbox: continuation)
        try channel.pipeline.syncOperations.addHandler(relay)
        if request.call != nil { relay.closeGrace = CallBridge.lastWordsLimit + .seconds(2) }
        if wire {
            let reader = ClientWireReader(relay: relay, maxFrameSize: hub.configuration.relay.maxEventBytes)
            let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
            try channel.pipeline.syncOperations.addHandler(reader, position: .before(encoder))
            relay.wireWriter = reader
        }
        SessionTimers.start(relay: relay, channel: channel, inbox: continuation, configuration: hub.configuration.relay,
                            metrics: hub.metrics, logger: logger, pings: pings)
        return SessionDriver(hub: hub, request: request, relay: NIOLoopBound(relay, eventLoop: channel.eventLoop),
                             eventLoop: channel.eventLoop, inbox: stream, post: continuation, logger: logger)
    }

    /// A Twilio media stream: its wire format, the call bridge, and, once `start` names the
    /// caller, the caller's session.
    static func startTwilioCall(channel: any Channel, hub: HubContext) throws -> UpgradeResult {
        let started = channel.eventLoop.makePromise(of: SessionDriver?.self)
        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: hub.configuration.relay.maxEventBytes))
        try channel.pipeline.syncOperations.addHandler(TwilioMediaStream(
            logger: hub.logger, metrics: hub.metrics, callerProof: TwilioCallerProof(authToken: hub.configuration.twilioAuthToken)))
        try channel.pipeline.syncOperations.addHandler(CallBridge(logger: hub.logger, metrics: hub.metrics) { call, context in
            guard let call else {
                started.succeed(nil)
                return
            }
            var logger = hub.logger
            logger[metadataKey: "session.key"] = "\(call.caller?.redacted ?? "new")"
            logger[metadataKey: "call.channel"] = "\(call.channel)"
            logger.info("call started", metadata: ["call.id": "\(call.callID)"])
            hub.metrics.calls(channel: call.channel)
            if call.outbound?.providerDetects == true, let bridge = context.handler as? CallBridge {
                // Twilio says who answered: its report goes to this call's bridge.
                let bound = NIOLoopBound(bridge, eventLoop: context.eventLoop)
                let loop = context.eventLoop
                let reports = hub.machineReports
                reports.expect(call.callID) { answeredBy in loop.execute { bound.value.providerDetected(answeredBy) } }
                context.channel.closeFuture.whenComplete { _ in reports.forget(call.callID) }
            }
            do {
                started.succeed(try attachSession(channel: context.channel, request: ConnectionRequest(call: call), hub: hub, logger: logger))
            } catch {
                started.succeed(nil)
                throw error
            }
        })
        return .call(started.futureResult)
    }

    /// Serves the hub's model directly to the client.
    static func startModelSession(channel: any Channel, request: ConnectionRequest, hub: HubContext) throws -> UpgradeResult {
        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: hub.configuration.relay.maxEventBytes))
        if request.refusal == .unauthorized, let error = request.refusalError {
            try channel.pipeline.syncOperations.addHandler(RefusalHandler(error: error))
            return .refused
        }
        let modelRequest = ModelSessionRequest(dialect: request.dialect, model: request.model,
                                               sessionKey: request.sessionKey.rawValue, logger: hub.logger)
        try channel.pipeline.syncOperations.addHandler(ModelServerHandler(model: hub.model, request: modelRequest))
        return .refused
    }

    func handle(value: Value, logger: Logger) async {
        do {
            // A connection that never sends its request must not hold up a shutdown.
            let result = try await withTaskCancellationHandler {
                try await value.upgradeResult.get()
            } onCancel: {
                value.channel.close(promise: nil)
            }
            switch result {
            case .session(let driver):
                await Self.closingOnCancel(value.channel) { await driver.run() }
            case .call(let started):
                await Self.closingOnCancel(value.channel) {
                    if let driver = try? await started.get() { await driver.run() }
                }
            case .refused, .following:
                await Self.closingOnCancel(value.channel) {}
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .failedUpgrade(let http, let forbidden):
                await Self.writeBadUpgrade(http, forbidden: forbidden)
            }
        } catch {
            logger.debug("connection ended during setup", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `work`, then waits for the connection to close; a cancelled server task (shutdown)
    /// closes the connection so the wait ends.
    private static func closingOnCancel(_ channel: any Channel, _ work: () async -> Void) async {
        await withTaskCancellationHandler {
            await work()
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    private static func writeBadUpgrade(_ http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, forbidden: String?) async {
        try? await http.executeThenClose { _, outbound in
            let body = forbidden.map { $0 + "\n" } ?? "WebSocket upgrades are served at /realtime, /v1/realtime and /twilio/media.\n"
            try await outbound.write(.head(HTTPResponse(status: forbidden == nil ? .notFound : .forbidden, headerFields: [
                .connection: "close", .contentLength: "\(body.utf8.count)", .contentType: "text/plain; charset=utf-8",
            ])))
            try await outbound.write(.body(ByteBuffer(string: body)))
            try await outbound.write(.end(nil))
        }
    }
}

/// Sends a refused client its `error` event and closes with 1008 (policy violation).
final class RefusalHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let error: RealtimeError
    let closeCode: WebSocketErrorCode
    let reason: String

    /// Refuses with `error`, then closes with `closeCode` (default 1008) and `reason`.
    init(error: RealtimeError, closeCode: WebSocketErrorCode = .policyViolation, reason: String? = nil) {
        self.error = error
        self.closeCode = closeCode
        self.reason = reason ?? (error.code == "invalid_api_key" ? "unauthorized" : error.code == "invalid_session_key" ? "invalid session key" : "refused: \(error.code ?? "policy")")
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: error.event.encoded())), promise: nil)
        var data = context.channel.allocator.buffer(capacity: 64)
        data.write(webSocketErrorCode: closeCode)
        data.writeString(reason)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .connectionClose { context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil) }
    }
}

/// Closes a connection that has not sent a byte when the server starts shutting down (a
/// browser's spare connection, a port scan): nothing on it can be lost, and it would otherwise
/// keep the shutdown waiting. Connections with a request or a session handle the shutdown
/// themselves (sessions save their state first).
final class IdleOnQuiesceHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Bytes arrived: the connection is in use; the handler steps aside for good.
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The failure a connection refused at accept ends its setup with (logged at debug level).
struct ConnectionLimitReached: Error, CustomStringConvertible {
    let limit: String
    var description: String { "connection refused at accept: \(limit) limit reached" }
}
