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

    public var name: String { endpoint.provider.rawValue }

    public init(endpoint: RealtimeEndpoint, maxFrameSize: Int = 16 * 1024 * 1024, connectTimeout: TimeAmount = .seconds(15)) {
        self.endpoint = endpoint
        self.maxFrameSize = maxFrameSize
        self.connectTimeout = connectTimeout
    }

    public func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox> {
        let (uri, headers) = endpoint.request(dialect: request.dialect, model: request.model)
        let boundSink = NIOLoopBound(sink, eventLoop: eventLoop)
        return WebSocketConnector.connect(
            host: endpoint.host, port: endpoint.port, tls: endpoint.tls, uri: uri, headers: headers,
            maxFrameSize: maxFrameSize, timeout: connectTimeout, on: eventLoop, aggregateFragments: false
        ) { channel, _ in
            let raw = RawFrameWriter()
            try channel.pipeline.syncOperations.addHandler(raw, position: .first)
            let link = WebSocketModelLink(sink: boundSink.value, raw: raw, maxMessageBytes: maxFrameSize)
            try channel.pipeline.syncOperations.addHandler(link)
        }.flatMapThrowing { channel in
            let link = try channel.pipeline.syncOperations.handler(type: WebSocketModelLink.self)
            return ModelLinkBox(link)
        }.flatMapErrorThrowing { error in
            throw ModelError("\(endpoint.host):\(endpoint.port): \(error)")
        }
    }
}

/// The model end of a session: the last handler of the model connection's pipeline.
final class WebSocketModelLink: ChannelInboundHandler, ModelLink, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private weak var sink: (any ModelSink)?
    private var context: ChannelHandlerContext?
    private var closedByUs = false
    private var reported = false
    private var closeReason: ModelError?
    private var maskingKeys = MaskingKeySource()

    private let raw: RawFrameWriter

    /// A message the model sends in fragments (rare), collected until its last frame.
    private var fragments: FragmentAssembler

    init(sink: any ModelSink, raw: RawFrameWriter, maxMessageBytes: Int) {
        self.sink = sink
        self.raw = raw
        self.fragments = FragmentAssembler(limit: maxMessageBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin && !fragments.isAssembling:
            sink?.modelReceived(frame.unmaskedData)
        case .text, .binary, .continuation:
            switch fragments.add(frame, allocator: context.channel.allocator) {
            case .message(_, let payload): sink?.modelReceived(payload)
            case .pending: break
            case .tooLarge: errorCaught(context: context, error: NIOWebSocketError.invalidFrameLength)
            case .protocolError: errorCaught(context: context, error: NIOWebSocketError.fragmentedControlFrame)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: maskingKeys.key(), data: frame.unmaskedData)
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
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
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

    func write(_ event: ByteBuffer) {
        guard let context, !closedByUs else { return }
        let key = maskingKeys.key()
        var frame = event
        // Fast path: the payload was copied with room for the largest header
        // (FrameWire.unmaskedCopy), so it is masked in place and written as one buffer past the
        // frame encoder. Other buffers (the hub's own events) go through the encoder.
        if let rawContext = raw.context,
            frame.readerIndex >= FrameWire.textHeaderSize(payloadLength: frame.readableBytes, masked: true)
        {
            FrameWire.mask(&frame, key: key)
            _ = FrameWire.prependTextHeader(&frame, maskKey: key)
            rawContext.write(NIOAny(frame), promise: nil)
            return
        }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: frame)), promise: nil)
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
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
    }
}
