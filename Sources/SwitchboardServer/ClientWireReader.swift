import NIOCore
import NIOWebSocket
import OpenAIRealtime

/// Reads a realtime WebSocket client's frames straight from the socket's bytes for its session
/// relay, and writes the frames the relay passes on unchanged.
///
/// It stands before NIO's frame encoder and decoder, which then see no bytes: a frame read whole
/// costs no allocation on its way in (the decoder made a frame object per frame), and a model
/// event forwarded as the model framed it costs none on its way out (the encoder wrote a header
/// per frame). The relay's other writes (its own events, pongs, close frames) go through the
/// encoder as before.
final class ClientWireReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let relay: SessionRelay
    private var parser: WireFrameParser
    private var context: ChannelHandlerContext?
    private var failed = false

    init(relay: SessionRelay, maxFrameSize: Int) {
        self.relay = relay
        self.parser = WireFrameParser(maxFrameSize: maxFrameSize)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        do {
            try parser.read(unwrapInboundIn(data), allocator: context.channel.allocator) { frame in
                relay.clientWireFrame(frame)
            }
        } catch WireFrameParser.Failure.tooLarge {
            // Where the next frame starts is unknown now: nothing more is read, and the
            // connection closes once the close frame is out.
            failed = true
            relay.tooLarge(closeNow: true)
        } catch {
            failed = true
            relay.closeClient(code: .protocolError, reason: "\(error)", handshakeComplete: true)
        }
    }

    /// Writes a whole frame (header and payload) to the client as it is.
    func writeFrame(_ frame: ByteBuffer) {
        context?.write(wrapOutboundOut(frame), promise: nil)
    }
}
