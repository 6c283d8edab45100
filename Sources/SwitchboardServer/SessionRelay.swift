import Logging
import NIOCore
import NIOWebSocket
import OpenAIRealtime
import Prometheus
import RealtimeProtocol
import SwitchboardCore
import SwitchboardTelephony

/// One realtime session's data path, on its client connection's event loop.
///
/// It sits at the end of the client's WebSocket pipeline and is the sink of the session's model
/// link, which lives on the same event loop. Each frame is peeked for its `type`: audio and other
/// streaming events go straight to the peer as they are; control events are handed to the
/// session's conversation (an async task), and frames behind an intercepted one wait for it, so
/// order is kept both ways.
final class SessionRelay: ChannelInboundHandler, ModelSink, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Where the relay stands with its model session.
    private enum ModelState { case connecting, open(any ModelLink), closed }

    private let configuration: RelayConfiguration
    private let metrics: HubMetrics
    private let logger: Logger
    private let inbox: AsyncStream<Conversation.Input>.Continuation
    private var context: ChannelHandlerContext?
    private var model: ModelState = .connecting

    /// Client frames waiting for the model session or for an intercepted event.
    private var clientBacklog = CircularBuffer<ByteBuffer>()
    private var clientBacklogBytes = 0
    private var clientBarrier = 0
    /// Model frames waiting for an intercepted event.
    private var modelBacklog = CircularBuffer<ByteBuffer>()
    private var modelBarrier = 0
    /// Bytes in `modelBacklog`; past `backlogBytes` the model session is not read until it drains.
    private var modelBacklogBytes = 0
    private var modelBacklogFull = false
    /// Frames read from the client, pings and pongs too: the session's idle timer watches it.
    private(set) var clientFrames: UInt = 0
    /// A message the client sends in fragments (rare), collected until its last frame.
    private var fragments: FragmentAssembler

    /// Frame and byte tallies, added to the shared counters once per read batch rather than per frame.
    private var tally = (framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0)
    /// Audio deltas from the model forwarded since the last model event handed to the
    /// conversation: it learns from them how long each answer's audio is.
    private var audioSinceEvent = (events: 0, bytes: 0)
    private var clientNeedsFlush = false
    private var modelNeedsFlush = false
    private var stallTimer: Scheduled<Void>?
    private var closing = false
    private var inboxFinished = false
    /// Whether model events must be renamed for the client (a client that turned out to speak
    /// the other dialect than its model session).
    private var renameFor: Dialect?

    /// How long a closing connection may take to answer the close: a phone call's bridge first
    /// lets the agent's last words play.
    var closeGrace: TimeAmount = .seconds(5)

    /// Succeeds once a phone call's bridge has played the audio sent so far (at once for a
    /// session that is no phone call).
    func whenCallPlayedOut() -> EventLoopFuture<Void> {
        guard let context, let bridge = try? context.pipeline.syncOperations.handler(type: CallBridge.self) else {
            return eventLoopForTimers.makeSucceededVoidFuture()
        }
        return bridge.whenPlayedOut(limit: CallBridge.lastWordsLimit, eventLoop: context.eventLoop)
    }

    /// Presses `digits` on a phone call through its bridge (RFC 4733 on SIP): succeeds once they
    /// were sent; fails with a `CallKeysError` when they cannot be (no phone call, a Twilio
    /// stream, no telephone-event negotiated).
    func sendCallDTMF(_ digits: String) -> EventLoopFuture<Void> {
        guard let context, let bridge = try? context.pipeline.syncOperations.handler(type: CallBridge.self) else {
            return eventLoopForTimers.makeFailedFuture(CallKeysError.unsupported("this session is not a phone call"))
        }
        return bridge.sendDTMF(digits, eventLoop: context.eventLoop)
    }

    /// The call's followers, when the session is a phone call's: they get what its client gets.
    private(set) var feed: CallFeed?

    /// Lets `feed`'s followers hear the call: every event sent to the call, and the call's own
    /// events from its bridge. On the relay's loop.
    func follow(_ feed: CallFeed) {
        self.feed = feed
        if let context, let bridge = try? context.pipeline.syncOperations.handler(type: CallBridge.self) {
            bridge.onCallEvent = { feed.publish($0) }
        }
    }

    /// The loop this relay and its model session live on.
    let eventLoopForTimers: any EventLoop
    /// A WebSocket client's frame reader, which stands before the frame encoder: model events
    /// passed on unchanged are written through it as the frames the model sent. Nil for a phone
    /// bridge, whose frames go through its own handlers.
    var wireWriter: ClientWireReader?

    init(configuration: RelayConfiguration, metrics: HubMetrics, logger: Logger, eventLoop: any EventLoop,
         inbox: AsyncStream<Conversation.Input>.Continuation) {
        self.eventLoopForTimers = eventLoop
        self.configuration = configuration
        self.fragments = FragmentAssembler(limit: configuration.maxEventBytes)
        self.metrics = metrics
        self.logger = logger
        self.inbox = inbox
    }

    // MARK: - Client side

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelInactive(context: ChannelHandlerContext) {
        publishTally()
        stallTimer?.cancel()
        if case .open(let link) = model { link.close() }
        model = .closed
        yield(.clientClosed)
        finishInbox()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clientFrames &+= 1
        clientFrame(unwrapInboundIn(data), context: context)
    }

    /// A frame from a WebSocket client, as its reader parsed it from the socket's bytes.
    func clientWireFrame(_ wire: WireFrame) {
        guard let context else { return }
        clientFrames &+= 1
        if wire.fin, wire.opcode == .text, !fragments.isAssembling {
            // Into a buffer the model link wrote before and the socket is done with, if any
            // (a temporary, so `out` is its only reference). It is handed on as such
            // (`consume`), so the link frames it in place.
            var out = openLink?.eventBuffer() ?? context.channel.allocator.buffer(capacity: wire.payload.readableBytes + FrameWire.headroom)
            FrameWire.unmaskedCopy(wire.payload, key: wire.maskKey, into: &out)
            clientEvent(consume out)
        } else {
            clientFrame(wire.frame, context: context)
        }
    }

    /// A frame from a phone bridge, and a WebSocket client's frames that are not a whole text
    /// message (fragments, control frames).
    private func clientFrame(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        switch frame.opcode {
        case .text where frame.fin && !fragments.isAssembling:
            // One copy: unmasked, with room in front for the model frame's header.
            clientEvent(FrameWire.unmaskedCopy(frame.data, key: frame.maskKey, allocator: context.channel.allocator))
        case .text, .binary, .continuation:
            assemble(frame, context: context)
        case .ping:
            guard frame.fin else { return }
            write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
            clientNeedsFlush = true
        case .connectionClose:
            receivedClose(frame)
        case .pong:
            break
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushModel()
        flushClient()
        publishTally()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
            if case .open(let link) = model, !modelBacklogFull { link.setReading(true) }
        } else {
            if case .open(let link) = model { link.setReading(false) }
            if stallTimer == nil {
                let this = NIOLoopBound(self, eventLoop: context.eventLoop)
                stallTimer = context.eventLoop.scheduleTask(in: configuration.clientStallTimeout) {
                    this.value.clientStalled()
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client half-closed its side: nothing more will come, so end the session.
            context.close(promise: nil)
            return
        }
        if event is ChannelShouldQuiesceEvent {
            yield(.shutdown(code: 1001, reason: "server shutting down"))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            tooLarge()
        } else if let error = error as? NIOWebSocketFrameAggregator.Error, error == .accumulatedFrameSizeIsTooLarge {
            tooLarge()
        } else if error is NIOWebSocketError || error is NIOWebSocketFrameAggregator.Error {
            logger.debug("WebSocket protocol error", metadata: ["error": "\(error)"])
            closeClient(code: .protocolError, reason: "WebSocket protocol error")
        } else {
            logger.debug("client connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func assemble(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        switch fragments.add(frame, allocator: context.channel.allocator) {
        case .message(.text, let payload):
            clientEvent(payload)
        case .message:
            sendError(.invalidRequest("binary_frame_not_supported", "Binary frames are not supported: send events as JSON text frames."))
        case .pending:
            break
        case .tooLarge:
            tooLarge()
        case .protocolError(let reason):
            closeClient(code: .protocolError, reason: reason)
        }
    }

    /// `closeNow`: close once the close frame is out, without waiting for the client's answer
    /// (the client's byte stream can no longer be read).
    func tooLarge(closeNow: Bool = false) {
        metrics.error("message_too_large")
        let limit = configuration.maxEventBytes
        sendError(.invalidRequest("message_too_large", "An event may be at most \(limit) bytes."))
        closeClient(code: .messageTooLarge, reason: "event larger than \(limit) bytes", handshakeComplete: closeNow)
    }

    private func receivedClose(_ frame: WebSocketFrame) {
        if closing {
            // The client's answer to our close: the closing handshake is complete.
            context?.close(promise: nil)
            return
        }
        var data = frame.unmaskedData
        let code = data.readWebSocketErrorCode() ?? .normalClosure
        // Both sides have sent their close frame once ours is out: then the connection closes.
        closeClient(code: code, reason: nil, handshakeComplete: true)
    }

    /// A text frame from the client. The relay owns the buffer: an audio frame passed on at once
    /// reaches the model link as its only reference, so the link masks it in place.
    private func clientEvent(_ buffer: consuming ByteBuffer) {
        let route: EventRoute
        var typeName: String? = nil
        switch classifyClient(buffer) {
        case .audio:
            route = .forward
        case .other(let name):
            route = EventRoute.client(name)
            typeName = name
        case .invalid(let error):
            metrics.error(error.code ?? "invalid_request")
            sendError(error)
            return
        }
        if case .open = model, clientBarrier == 0, clientBacklog.isEmpty {
            dispatchClient(consume buffer, route: route, type: typeName)
        } else {
            guard clientBacklogBytes + buffer.readableBytes <= configuration.backlogBytes else {
                metrics.error("backlog_full")
                sendError(.server("backlog_full", "Too many events arrived before the model session was ready."))
                closeClient(code: .policyViolation, reason: "too many events queued")
                return
            }
            clientBacklogBytes += buffer.readableBytes
            clientBacklog.append(buffer)
        }
    }

    private enum ClientClass {
        case audio
        case other(String)
        case invalid(RealtimeError)
    }

    private func classifyClient(_ buffer: ByteBuffer) -> ClientClass {
        buffer.withUnsafeReadableBytes { raw -> ClientClass in
            switch TypePeek.peekUnique(raw) {
            case .type(let range):
                if TypePeek.matches(raw, range, "input_audio_buffer.append") { return .audio }
                return .other(String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self))
            case .missing:
                return .invalid(.invalidRequest("missing_type", "The event has no 'type'.", param: "type", eventID: Self.eventID(buffer)))
            case .malformed:
                // Decode fully to say precisely what is wrong.
                switch RealtimeEvent.decoding(buffer) {
                case .success(let event):
                    return .other(event.type)
                case .failure(let error):
                    return .invalid(.invalidRequest(error.code, error.description, eventID: Self.eventID(buffer)))
                }
            }
        }
    }

    private static func eventID(_ buffer: ByteBuffer) -> String? {
        (try? RealtimeEvent.decode(buffer))?.eventID
    }

    private func dispatchClient(_ buffer: consuming ByteBuffer, route: EventRoute, type: String?) {
        guard case .open(let link) = model else { return }
        var type = type
        if type == nil, route != .forward { type = TypePeek.typeString(buffer) }
        switch route {
        case .forward:
            tally.framesIn += 1
            tally.bytesIn += buffer.readableBytes
            link.write(consume buffer)
            modelNeedsFlush = true
        case .observe, .intercept:
            let event: RealtimeEvent
            switch RealtimeEvent.decoding(buffer) {
            case .success(let decoded):
                event = decoded
            case .failure(let error):
                metrics.error(error.code)
                sendError(.invalidRequest(error.code, error.description))
                return
            }
            metrics.event(event.type, direction: "client")
            if route == .observe {
                tally.framesIn += 1
                tally.bytesIn += buffer.readableBytes
                link.write(buffer)
                modelNeedsFlush = true
            } else {
                clientBarrier += 1
            }
            yield(.client(event, route: route))
        }
    }

    private func drainClientBacklog() {
        while clientBarrier == 0, case .open = model, let buffer = clientBacklog.popFirst() {
            clientBacklogBytes -= buffer.readableBytes
            let route: EventRoute
            let name = TypePeek.typeString(buffer) ?? (try? RealtimeEvent.decode(buffer))?.type
            route = name.map(EventRoute.client) ?? .forward
            dispatchClient(buffer, route: route, type: name)
        }
        flushModel()
    }

    // MARK: - Model side (ModelSink)

    private var openLink: (any ModelLink)? {
        if case .open(let link) = model { link } else { nil }
    }

    /// The model session is open.
    func modelOpened(_ link: any ModelLink) {
        guard case .connecting = model else {
            link.close()
            return
        }
        model = .open(link)
        if let channel = context?.channel, !channel.isWritable { link.setReading(false) }
        drainClientBacklog()
    }

    func modelReceived(_ event: ByteBuffer) {
        receiveModelEvent(event, frame: nil)
    }

    func modelReceived(_ event: ByteBuffer, frame: ByteBuffer) {
        receiveModelEvent(event, frame: frame)
    }

    private func receiveModelEvent(_ event: ByteBuffer, frame: ByteBuffer?) {
        guard !closing else { return }
        if modelBarrier > 0 || !modelBacklog.isEmpty {
            modelBacklog.append(event)
            modelBacklogBytes += event.readableBytes
            if modelBacklogBytes > configuration.backlogBytes, !modelBacklogFull, case .open(let link) = model {
                modelBacklogFull = true
                link.setReading(false)
            }
            return
        }
        dispatchModel(event, frame: frame)
    }

    func modelReadComplete() {
        flushClient()
        publishTally()
    }

    func modelWritabilityChanged(_ isWritable: Bool) {
        context?.channel.setOption(ChannelOptions.autoRead, value: isWritable).whenComplete { _ in }
        if isWritable, let context { context.read() }
    }

    func modelClosed(_ error: ModelError?) {
        guard case .open = model else { return }
        model = .closed
        if !closing { yield(.modelClosed(error)) }
    }

    /// `frame`: the event's frame as the model sent it, when known.
    private func dispatchModel(_ buffer: ByteBuffer, frame: ByteBuffer? = nil) {
        let isAudio = buffer.withUnsafeReadableBytes { raw -> Bool in
            guard case .type(let range) = TypePeek.peek(raw) else { return false }
            return TypePeek.matches(raw, range, "response.output_audio.delta") || TypePeek.matches(raw, range, "response.audio.delta")
        }
        if isAudio {
            audioSinceEvent.events += 1
            audioSinceEvent.bytes += buffer.readableBytes
            forwardToClient(buffer, frame: frame)
            return
        }
        guard let type = TypePeek.typeString(buffer) else {
            // A model that sends something that is not an event: pass it on as it came.
            forwardToClient(buffer)
            return
        }
        let route = EventRoute.model(type)
        switch route {
        case .forward:
            forwardToClient(buffer)
        case .observe, .intercept:
            guard let event = try? RealtimeEvent.decode(buffer) else {
                forwardToClient(buffer)
                return
            }
            metrics.event(type, direction: "model")
            if audioSinceEvent.events > 0 {
                yield(.modelAudio(events: audioSinceEvent.events, bytes: audioSinceEvent.bytes))
                audioSinceEvent = (0, 0)
            }
            if route == .observe {
                forwardToClient(buffer)
            } else {
                modelBarrier += 1
            }
            yield(.model(event, route: route))
        }
    }

    private func drainModelBacklog() {
        while modelBarrier == 0, !closing, let buffer = modelBacklog.popFirst() {
            modelBacklogBytes -= buffer.readableBytes
            dispatchModel(buffer)
        }
        if modelBacklogFull, modelBacklogBytes <= configuration.backlogBytes / 2 {
            modelBacklogFull = false
            if case .open(let link) = model, context?.channel.isWritable ?? false { link.setReading(true) }
        }
        flushClient()
    }

    private func forwardToClient(_ buffer: ByteBuffer, frame: ByteBuffer? = nil) {
        if let feed, feed.isFollowed { feed.publish(buffer) }
        tally.framesOut += 1
        tally.bytesOut += buffer.readableBytes
        if renameFor == nil, let frame, let wireWriter, !closing {
            // The model's frame is the client's frame: header and payload go on as they came.
            wireWriter.writeFrame(frame)
        } else if let dialect = renameFor {
            write(WebSocketFrame(fin: true, opcode: .text, data: Self.renamed(buffer, to: dialect)))
        } else {
            write(WebSocketFrame(fin: true, opcode: .text, data: buffer))
        }
        clientNeedsFlush = true
    }

    /// The event with its type renamed to `dialect`'s name.
    static func renamed(_ buffer: ByteBuffer, to dialect: Dialect) -> ByteBuffer {
        buffer.withUnsafeReadableBytes { raw -> ByteBuffer in
            guard case .type(let range) = TypePeek.peek(raw) else { return buffer }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
            guard let (kind, _) = ServerEventKind.lookup(name), let newName = kind.name(in: dialect), newName != name else { return buffer }
            var out = ByteBuffer()
            out.reserveCapacity(raw.count + 8)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[..<range.lowerBound]))
            out.writeString(newName)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[range.upperBound...]))
            return out
        }
    }

    // MARK: - Conversation actions (called by the session driver, on the event loop)

    /// Carries out the conversation's actions for one input; `release` ends the wait of the
    /// frames queued behind an intercepted event.
    func perform(_ actions: [Conversation.Action], release: EventRoute.Side?, clientDialect: Dialect, modelDialect: Dialect) {
        renameFor = clientDialect == modelDialect ? nil : clientDialect
        for action in actions {
            switch action {
            case .sendToClient(let event):
                if event.type == "error", let code = RealtimeError(event: event)?.code { metrics.error(code) }
                let encoded = event.encoded()
                if let feed, feed.isFollowed { feed.publish(encoded) }
                write(WebSocketFrame(fin: true, opcode: .text, data: encoded))
                clientNeedsFlush = true
            case .sendToModel(let event):
                if case .open(let link) = model {
                    tally.framesIn += 1
                    link.write(event.encoded())
                    modelNeedsFlush = true
                }
            case .close(let code, let reason):
                closeClient(code: WebSocketErrorCode(codeNumber: Int(code)), reason: reason)
            case .save, .runTool, .cancelTools, .agentSwitched:
                break
            }
        }
        switch release {
        case .client?:
            clientBarrier = max(0, clientBarrier - 1)
            drainClientBacklog()
        case .model?:
            modelBarrier = max(0, modelBarrier - 1)
            drainModelBacklog()
        case nil:
            break
        }
        flushModel()
        flushClient()
    }

    /// Another connection takes this session over: the conversation saves and closes.
    func takeOver() {
        yield(.takenOver)
    }

    /// The model session could not be opened.
    func modelFailed(_ error: ModelError) {
        guard case .connecting = model else { return }
        model = .closed
        yield(.modelFailed(error))
    }

    // MARK: - Writing and closing

    private func write(_ frame: WebSocketFrame) {
        guard let context, !closing || frame.opcode == .connectionClose else { return }
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    private func publishTally() {
        if tally.framesIn > 0 {
            metrics.framesClientToModel.increment(by: Int64(tally.framesIn))
            metrics.bytesClientToModel.increment(by: Int64(tally.bytesIn))
        }
        if tally.framesOut > 0 {
            metrics.framesModelToClient.increment(by: Int64(tally.framesOut))
            metrics.bytesModelToClient.increment(by: Int64(tally.bytesOut))
        }
        tally = (0, 0, 0, 0)
    }

    private func flushClient() {
        guard clientNeedsFlush, let context else { return }
        clientNeedsFlush = false
        context.flush()
    }

    private func flushModel() {
        guard modelNeedsFlush, case .open(let link) = model else { return }
        modelNeedsFlush = false
        link.flush()
    }

    /// Sends an `error` event to the client, on the loop.
    func sendError(_ error: RealtimeError) {
        write(WebSocketFrame(fin: true, opcode: .text, data: error.event.encoded()))
        clientNeedsFlush = true
        flushClient()
    }

    private func clientStalled() {
        stallTimer = nil
        guard let context, !context.channel.isWritable else { return }
        metrics.error("client_not_reading")
        logger.info("client is not reading its events; disconnecting")
        closeClient(code: .policyViolation, reason: "client is not reading its events")
    }

    /// Sends a close frame with `code` and `reason`, then closes the connection and the model session.
    func closeClient(code: WebSocketErrorCode, reason: String?, handshakeComplete: Bool = false) {
        guard !closing, let context else { return }
        closing = true
        if case .open(let link) = model { link.close() }
        model = .closed
        var data = context.channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        data.write(webSocketErrorCode: code)
        if let reason { data.writeString(String(reason.utf8.prefix(120)) ?? "") }
        let channel = context.channel
        // The connection closes when the client answers with its close frame (RFC 6455 §7.1.1),
        // or after a grace period for a client that does not.
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { result in
            if handshakeComplete || (try? result.get()) == nil { channel.close(promise: nil) }
        }
        channel.eventLoop.scheduleTask(in: closeGrace) { channel.close(promise: nil) }
    }

    private func yield(_ input: Conversation.Input) {
        guard !inboxFinished else { return }
        // The inbox is bounded: a client sending control events faster than they are handled is
        // told so and disconnected, with room left for the inputs that end the session.
        if case .enqueued(let remaining) = inbox.yield(input), remaining < RelayConfiguration.inboxReserve,
           case .client = input, !closing, let limit = configuration.maxQueuedEvents {
            metrics.limitHit("queued_events")
            metrics.error("too_many_events")
            logger.info("client sends control events faster than they are handled; disconnecting")
            sendError(.tooManyEvents(limit))
            closeClient(code: .policyViolation, reason: "too many events queued")
        }
    }

    private func finishInbox() {
        guard !inboxFinished else { return }
        inboxFinished = true
        inbox.finish()
    }
}

extension EventRoute {
    /// Which direction's queue an intercepted event holds.
    enum Side: Sendable { case client, model }
}
