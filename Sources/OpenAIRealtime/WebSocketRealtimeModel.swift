import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore

/// A realtime model reached over WebSocket: OpenAI, Azure OpenAI or any realtime-protocol URL.
public struct WebSocketRealtimeModel: RealtimeModel {
    public let endpoint: RealtimeEndpoint
    /// The largest frame accepted from the model (audio deltas can be large).
    public var maxFrameSize: Int
    public var connectTimeout: TimeAmount
    /// PEM files of certificate authorities trusted for a wss:// model besides the system's (a
    /// private gateway's own CA).
    public var additionalTrustRoots: [String]

    public var name: String { endpoint.provider.rawValue }

    public init(endpoint: RealtimeEndpoint, maxFrameSize: Int = 16 * 1024 * 1024, connectTimeout: TimeAmount = .seconds(15),
                additionalTrustRoots: [String] = []) {
        self.endpoint = endpoint
        self.maxFrameSize = maxFrameSize
        self.connectTimeout = connectTimeout
        self.additionalTrustRoots = additionalTrustRoots
    }

    public func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox> {
        let (uri, headers) = endpoint.request(dialect: request.dialect, model: request.model)
        let boundSink = NIOLoopBound(sink, eventLoop: eventLoop)
        return WebSocketConnector.connect(
            host: endpoint.host, port: endpoint.port, tls: endpoint.tls, uri: uri, headers: headers,
            maxFrameSize: maxFrameSize, timeout: connectTimeout, on: eventLoop, aggregateFragments: false,
            additionalTrustRoots: additionalTrustRoots
        ) { channel, _ in
            // The link reads the socket's bytes and writes finished frames itself, so it stands
            // before NIO's frame encoder and decoder (which see nothing) and after TLS.
            let link = WebSocketModelLink(sink: boundSink.value, maxMessageBytes: maxFrameSize)
            let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
            try channel.pipeline.syncOperations.addHandler(link, position: .before(encoder))
        }.flatMapThrowing { channel in
            let link = try channel.pipeline.syncOperations.handler(type: WebSocketModelLink.self)
            return ModelLinkBox(link)
        }.flatMapErrorThrowing { error in
            throw ModelError("\(endpoint.host):\(endpoint.port): \(error)")
        }
    }
}

/// The model end of a session. It parses the frames out of the bytes read (a frame read whole
/// costs no copy and no allocation), hands the session each event with its frame as read (so an
/// audio delta can go on to the client as it came), and writes finished frames.
final class WebSocketModelLink: ChannelInboundHandler, ModelLink, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private weak var sink: (any ModelSink)?
    private var context: ChannelHandlerContext?
    private var closedByUs = false
    private var reported = false
    private var closeReason: ModelError?
    private var maskingKeys = MaskingKeySource()
    private var recycler = FrameWire.Recycler()
    private var parser: WireFrameParser
    private var failed = false

    /// A message the model sends in fragments (rare), collected until its last frame.
    private var fragments: FragmentAssembler

    init(sink: any ModelSink, maxMessageBytes: Int) {
        self.sink = sink
        self.parser = WireFrameParser(maxFrameSize: maxMessageBytes)
        self.fragments = FragmentAssembler(limit: maxMessageBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        do {
            try parser.read(unwrapInboundIn(data), allocator: context.channel.allocator) { frame in
                received(frame, context: context)
            }
        } catch {
            failed = true
            errorCaught(context: context, error: error)
        }
    }

    private func received(_ wire: WireFrame, context: ChannelHandlerContext) {
        if wire.fin, wire.opcode == .text, !fragments.isAssembling {
            if wire.maskKey == nil {
                sink?.modelReceived(wire.payload, frame: wire.wire)
            } else {
                sink?.modelReceived(FrameWire.unmaskedCopy(wire.payload, key: wire.maskKey, allocator: context.channel.allocator))
            }
            return
        }
        let frame = wire.frame
        switch frame.opcode {
        case .text, .binary, .continuation:
            switch fragments.add(frame, allocator: context.channel.allocator) {
            case .message(_, let payload): sink?.modelReceived(payload)
            case .pending: break
            case .tooLarge: errorCaught(context: context, error: NIOWebSocketError.invalidFrameLength)
            case .protocolError: errorCaught(context: context, error: NIOWebSocketError.fragmentedControlFrame)
            }
        case .ping:
            let pong = FrameWire.frame(.pong, payload: frame.unmaskedData, maskKey: maskingKeys.key(), allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode()
            let reason = data.readString(length: data.readableBytes) ?? ""
            if code != .normalClosure {
                closeReason = ModelError("the model closed the session (\(code.map { "\($0)" } ?? "no code")\(reason.isEmpty ? "" : ": \(reason)"))")
            }
            if !closedByUs {
                var echo = context.channel.allocator.buffer(capacity: 2)
                echo.write(webSocketErrorCode: code ?? .normalClosure)
                let reply = FrameWire.frame(.connectionClose, payload: echo, maskKey: maskingKeys.key(), allocator: context.channel.allocator)
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
            }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sink?.modelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        sink?.modelWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        report(closedByUs ? nil : (closeReason ?? ModelError("the model connection closed")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeReason = ModelError("model connection error: \(error)")
        context.close(promise: nil)
    }

    private func report(_ error: ModelError?) {
        guard !reported else { return }
        reported = true
        sink?.modelClosed(error)
    }

    // MARK: ModelLink

    func write(_ event: consuming ByteBuffer) {
        guard let context, !closedByUs else { return }
        let key = maskingKeys.key()
        var frame = consume event
        // Fast path: the payload was copied with room for the largest header
        // (FrameWire.unmaskedCopy) and is this buffer's only reference, so it is masked in place
        // and its header written in front. Other buffers (the hub's own events) are framed anew.
        if frame.readerIndex >= FrameWire.textHeaderSize(payloadLength: frame.readableBytes, masked: true) {
            FrameWire.mask(&frame, key: key)
            let framed = FrameWire.prependTextHeader(&frame, maskKey: key)
            assert(framed, "the room for the header was checked above")
            context.write(wrapOutboundOut(frame), promise: nil)
            recycler.keep(frame)
            return
        }
        context.write(wrapOutboundOut(FrameWire.frame(.text, payload: frame, maskKey: key, allocator: context.channel.allocator)), promise: nil)
    }

    func eventBuffer() -> ByteBuffer? {
        recycler.take()
    }

    func flush() {
        context?.flush()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func setReading(_ enabled: Bool) {
        guard let context else { return }
        context.channel.setOption(ChannelOptions.autoRead, value: enabled).whenComplete { _ in }
        if enabled { context.read() }
    }

    func close() {
        guard let context, !closedByUs else { return }
        closedByUs = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let frame = FrameWire.frame(.connectionClose, payload: data, maskKey: maskingKeys.key(), allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
    }
}
