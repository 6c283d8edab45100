import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore

/// Serves one model session of a `RealtimeModel` (the local model) to a WebSocket client: what
/// `switchboard model-server` runs, so the WebSocket model adapter can be used against a real server.
final class ModelServerHandler: ChannelInboundHandler, ModelSink, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var context: ChannelHandlerContext?
    private var link: (any ModelLink)?
    private let model: any RealtimeModel
    private let request: ModelSessionRequest
    private var pending: [ByteBuffer] = []
    private var closing = false

    init(model: any RealtimeModel, request: ModelSessionRequest) {
        self.model = model
        self.request = request
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        model.connect(request, on: context.eventLoop, sink: self).whenComplete { result in
            switch result {
            case .success(let box):
                this.value.link = box.link
                for event in this.value.pending { box.link.write(event) }
                this.value.pending.removeAll()
                box.link.flush()
            case .failure(let error):
                this.value.close(code: .unexpectedServerError, reason: "\(error)")
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if let link { link.write(frame.unmaskedData) } else { pending.append(frame.unmaskedData) }
        case .binary:
            let error = RealtimeError.invalidRequest("binary_frame_not_supported", "Binary frames are not supported.")
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: error.event.encoded())), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            close(code: data.readWebSocketErrorCode() ?? .normalClosure, reason: nil)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        link?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link?.close()
        link = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil); return }
        if event is ChannelShouldQuiesceEvent { close(code: .goingAway, reason: "server shutting down"); return }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            close(code: .messageTooLarge, reason: "event too large")
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: ModelSink

    func modelReceived(_ event: ByteBuffer) {
        context?.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: event)), promise: nil)
    }

    func modelReadComplete() {
        context?.flush()
    }

    func modelWritabilityChanged(_ isWritable: Bool) {}

    func modelClosed(_ error: ModelError?) {
        close(code: error == nil ? .normalClosure : .unexpectedServerError, reason: error?.message)
    }

    private func close(code: WebSocketErrorCode, reason: String?) {
        guard !closing, let context else { return }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 64)
        data.write(webSocketErrorCode: code)
        if let reason { data.writeString(String(reason.prefix(120))) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
