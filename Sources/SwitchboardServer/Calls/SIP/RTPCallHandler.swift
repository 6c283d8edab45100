import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardCore
import SwitchboardSIP

/// One SIP call's media: RTP in and out on the call's own UDP port, on one event loop.
///
/// Every 20 ms a tick takes the next packet from the jitter buffer for the call bridge (a gap is
/// filled with silence, so the conversation's audio keeps its timeline) and sends one packet of
/// the agent's audio, or comfort silence when there is none, so the line never goes dead. Marks
/// are reported played when the sender has sent the audio before them; a clear drops everything
/// queued at once. RTP from another address than the SDP named is followed once it carries the
/// call's payload type (symmetric RTP through NAT). Packets that are not RTP are dropped.
final class RTPCallHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = CallEvent
    typealias OutboundIn = CallCommand
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    static let packetBytes = 160
    static let packetInterval: TimeAmount = .milliseconds(20)

    /// The call's SIP Call-ID (an outbound call's is known once its INVITE is made).
    var callID: String { callIDSource() }
    private let callIDSource: @Sendable () -> String
    private let caller: SessionKey?
    private let outbound: OutboundCallPlan?
    /// An outbound call's media waits for the answer; an inbound call's starts at once.
    private var answered: Bool
    private var media: SIPMedia
    private let metrics: HubMetrics
    private let logger: Logger
    private let onHangUp: @Sendable (String) -> Void

    private var remote: SocketAddress?
    private var jitter: JitterBuffer
    private var sender: RTPSender
    private var playout = ByteBuffer()
    /// Bytes of audio queued so far and bytes sent so far: marks wait at a queued position.
    private var queuedBytes = 0
    private var sentBytes = 0
    private var marks = CircularBuffer<(position: Int, name: String)>()
    private var receiving = false
    private var nextTick: NIODeadline = .now()
    private var ticker: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private(set) var packetsReceived = 0
    private(set) var packetsSent = 0

    init(callID: @escaping @Sendable () -> String, caller: SessionKey?, media: SIPMedia, outbound: OutboundCallPlan? = nil, metrics: HubMetrics, logger: Logger,
         onHangUp: @escaping @Sendable (String) -> Void) {
        self.callIDSource = callID
        self.caller = caller
        self.outbound = outbound
        self.answered = outbound == nil
        self.media = media
        self.metrics = metrics
        self.logger = logger
        self.onHangUp = onHangUp
        (jitter, sender) = Self.streams(for: media)
    }

    /// A fresh receive buffer and send stream for `media`'s payload types.
    private static func streams(for media: SIPMedia) -> (JitterBuffer, RTPSender) {
        (JitterBuffer(configuration: .init(audioPayloadType: UInt8(media.payloadType),
                                           telephoneEventPayloadType: media.telephoneEventPayloadType.map(UInt8.init))),
         RTPSender(payloadType: UInt8(media.payloadType)))
    }

    private var codec: AudioFormat { media.codec == .pcma ? .g711alaw : .g711ulaw }
    /// One packet of silence in the call's codec.
    private var silenceByte: UInt8 { media.codec == .pcma ? 0xD5 : 0xFF }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if answered { start(context: context) }
    }

    /// The called party answered an outbound call with this media.
    func answer(_ media: SIPMedia) {
        guard !answered, let context else { return }
        answered = true
        update(media)
        start(context: context)
    }

    private func start(context: ChannelHandlerContext) {
        remote = try? SocketAddress(ipAddress: media.remote.host, port: media.remote.port)
        context.fireChannelRead(wrapInboundOut(.started(CallStart(caller: caller, callID: callID, codec: codec, channel: "sip", outbound: outbound))))
        context.fireChannelReadComplete()
        nextTick = .now() + Self.packetInterval
        scheduleTick(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ticker?.cancel()
        ticker = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        ticker?.cancel()
        self.context = nil
    }

    /// The remote party changed its media (re-INVITE): address, codec or hold.
    func update(_ media: SIPMedia) {
        let codecChanged = media.payloadType != self.media.payloadType
        self.media = media
        remote = try? SocketAddress(ipAddress: media.remote.host, port: media.remote.port)
        if codecChanged {
            (jitter, sender) = Self.streams(for: media)
        }
    }

    // MARK: Caller → call

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard answered else { return }
        let bytes = envelope.data.readableBytesView
        if RTPPacket.looksLikeRTCP(bytes) { return }
        let packet: RTPPacket
        do {
            packet = try RTPPacket(parsing: bytes)
        } catch {
            metrics.callDropped("rtp_malformed")
            return
        }
        let isCallMedia = Int(packet.payloadType) == media.payloadType || media.telephoneEventPayloadType.map { Int(packet.payloadType) == $0 } == true
        guard isCallMedia else {
            metrics.callDropped("rtp_payload_type")
            return
        }
        if envelope.remoteAddress != remote {
            // Symmetric RTP: answer where the caller's media really comes from.
            logger.debug("following the caller's RTP to a new address", metadata: ["rtp.remote": "\(envelope.remoteAddress)"])
            remote = envelope.remoteAddress
        }
        packetsReceived += 1
        receiving = true
        switch jitter.insert(packet) {
        case .dtmf(let digits):
            for digit in digits { context.fireChannelRead(wrapInboundOut(.dtmf(digit.digit))) }
            if !digits.isEmpty { context.fireChannelReadComplete() }
        case .late, .duplicate, .ignored, .buffered:
            break
        }
    }

    // MARK: The 20 ms clock

    private func scheduleTick(context: ChannelHandlerContext) {
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        ticker = context.eventLoop.scheduleTask(deadline: nextTick) {
            this.value.tick()
        }
    }

    private func tick() {
        guard let context, context.channel.isActive else { return }
        nextTick = nextTick + Self.packetInterval
        // A loop that fell far behind (a stall) starts afresh rather than bursting.
        if nextTick < .now() - .milliseconds(200) { nextTick = .now() + Self.packetInterval }
        receive(context: context)
        send(context: context)
        scheduleTick(context: context)
    }

    private func receive(context: ChannelHandlerContext) {
        guard receiving else { return }
        switch jitter.pop() {
        case .audio(let packet):
            var buffer = context.channel.allocator.buffer(capacity: packet.payload.count)
            buffer.writeBytes(packet.payload)
            context.fireChannelRead(wrapInboundOut(.audio(.raw(buffer))))
            context.fireChannelReadComplete()
        case .concealment:
            var buffer = context.channel.allocator.buffer(capacity: Self.packetBytes)
            buffer.writeRepeatingByte(silenceByte, count: Self.packetBytes)
            context.fireChannelRead(wrapInboundOut(.audio(.raw(buffer))))
            context.fireChannelReadComplete()
        case .idle:
            break
        }
    }

    private func send(context: ChannelHandlerContext) {
        var payload = [UInt8](repeating: silenceByte, count: Self.packetBytes)
        let available = min(playout.readableBytes, Self.packetBytes)
        if available > 0 {
            playout.readWithUnsafeReadableBytes { raw in
                for i in 0..<available { payload[i] = raw[i] }
                return available
            }
            sentBytes += available
            if playout.readableBytes == 0 { playout.clear() }
        }
        while let mark = marks.first, mark.position <= sentBytes {
            marks.removeFirst()
            context.fireChannelRead(wrapInboundOut(.played(mark: mark.name)))
        }
        guard media.shouldSend, let remote else { return }
        let packet = sender.next(payload: payload)
        let bytes = packet.serialized()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
        packetsSent += 1
    }

    // MARK: Call → caller

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .play(let text):
            var bytes: [UInt8] = []
            do {
                try text.withUnsafeReadableBytes { raw in try Base64Audio.decode(raw, frameSize: 1, appendingTo: &bytes) }
            } catch {
                logger.warning("dropped agent audio that is not base64", metadata: ["error": "\(error)"])
            }
            if playout.readableBytes == 0 { sender.markTalkspurt() }
            playout.writeBytes(bytes)
            queuedBytes = sentBytes + playout.readableBytes
        case .mark(let name):
            marks.append((queuedBytes, name))
        case .clear:
            playout.clear()
            marks.removeAll()
            queuedBytes = sentBytes
            sender.markTalkspurt()
        case .hangUp:
            onHangUp(callID)
        }
        promise?.succeed(())
    }

    func flush(context: ChannelHandlerContext) {}
}
