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
/// queued at once. RTP is taken only from the SIP signalling peer's IP (any port, unless
/// `--sip-media-any-address`), and the first in-sequence packets latch their source: the
/// hub answers there (symmetric RTP through NAT) and drops RTP from any other source, so a
/// stranger who finds the port cannot inject audio (RTP bleed). A call that sends no RTP for
/// `--rtp-timeout` while not on hold is hung up (BYE), like Asterisk's `rtptimeout`. Packets
/// that are not RTP are dropped.
///
/// Keys (`CallCommand.dtmf`) are sent as RFC 4733 telephone events on the negotiated
/// telephone-event payload type, on the audio's SSRC and clock; while they play no agent audio
/// is sent (it waits, and so do its marks). A call that negotiated no telephone-event refuses them.
package final class RTPCallHandler: ChannelDuplexHandler, @unchecked Sendable {
    package typealias InboundIn = AddressedEnvelope<ByteBuffer>
    package typealias InboundOut = CallEvent
    package typealias OutboundIn = CallCommand
    package typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    package static let packetBytes = 160
    package static let packetInterval: TimeAmount = .milliseconds(20)

    /// Where media may come from and how long it may pause.
    package struct Policy: Sendable {
        /// The SIP signalling peer's IP; RTP from other IPs is dropped unless `anyAddress`.
        package var signallingHost: String?
        /// Accept (and latch) RTP from any address (`--sip-media-any-address`).
        package var anyAddress = false
        /// Hang up after this long without RTP or RTCP while media is expected; nil: never.
        package var rtpTimeout: TimeAmount?

        /// Packets in sequence that latch a source: one from the signalling IP, three from
        /// anywhere else (Asterisk learns from 4; a stranger has to win a race of three).
        package var probation: Int { anyAddress ? 3 : 1 }
    }

    /// The call's SIP Call-ID (an outbound call's is known once its INVITE is made).
    package var callID: String { callIDSource() }
    private let callIDSource: @Sendable () -> String
    private let caller: SessionKey?
    /// Whether the SIP layer proved `caller`: a trusted peer's identity, a digest-authenticated
    /// user's number, or the number the hub dialled.
    private let callerVerified: Bool
    private let outbound: OutboundCallPlan?
    /// Where the dialled number routed the call (tenant and agent), when the hub routes by number.
    package var destination: CallDestination?
    /// An outbound call's media waits for the answer; an inbound call's starts at once.
    private var answered: Bool
    private var media: SIPMedia
    private let metrics: any TelephonyMetrics
    private let logger: Logger
    private let onHangUp: @Sendable (String) -> Void

    private var remote: SocketAddress?
    private let policy: Policy
    private var latch: RTPSourceLatch<SocketAddress>
    /// The last RTP or RTCP from the call's source (or the start, a re-INVITE, a hold).
    private var lastMediaActivity: NIODeadline = .now()
    private var timedOut = false
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
    /// Whether the call's end was asked for (once).
    private var hungUp = false
    private(set) var packetsReceived = 0
    private(set) var packetsSent = 0
    /// Key strings to press, the first one playing; each promise succeeds once its keys are sent.
    private var keyPresses = CircularBuffer<(keys: TelephoneEventSender, promise: EventLoopPromise<Void>?)>()

    package init(callID: @escaping @Sendable () -> String, caller: SessionKey?, callerVerified: Bool = false, media: SIPMedia,
         outbound: OutboundCallPlan? = nil,
         policy: Policy = Policy(), metrics: any TelephonyMetrics, logger: Logger, onHangUp: @escaping @Sendable (String) -> Void) {
        self.policy = policy
        self.latch = RTPSourceLatch(allowedHost: policy.anyAddress ? nil : policy.signallingHost, probation: policy.probation)
        self.callIDSource = callID
        self.caller = caller
        self.callerVerified = callerVerified
        self.outbound = outbound
        self.answered = outbound == nil
        self.media = media
        self.metrics = metrics
        self.logger = logger
        self.onHangUp = onHangUp
        (jitter, sender) = Self.streams(for: media)
    }

    /// A fresh receive buffer and send stream for `media`'s payload types. Negotiation only
    /// yields 0–127; a value that does not fit 7 bits falls back to the codec's static type
    /// rather than trapping in `UInt8(_:)` (an INVITE offering payload type 300 once did).
    private static func streams(for media: SIPMedia) -> (JitterBuffer, RTPSender) {
        let audio = media.rtpPayloadType ?? UInt8(truncatingIfNeeded: media.codec.staticPayloadType)
        return (JitterBuffer(configuration: .init(audioPayloadType: audio, telephoneEventPayloadType: media.rtpTelephoneEventPayloadType)),
                RTPSender(payloadType: audio))
    }

    /// A socket address for an endpoint, or nil when it is not an IP literal with a valid port
    /// (`SocketAddress(ipAddress:port:)` must never see a port outside 0–65535).
    private static func address(_ endpoint: SIPEndpoint) -> SocketAddress? {
        guard (1...65535).contains(endpoint.port) else { return nil }
        return try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port)
    }

    private var codec: AudioFormat { media.codec == .pcma ? .g711alaw : .g711ulaw }
    /// The call's G.711 law.
    package var law: G711Law { media.codec == .pcma ? .aLaw : .muLaw }
    /// One packet of silence in the call's codec.
    private var silenceByte: UInt8 { media.codec == .pcma ? 0xD5 : 0xFF }

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// The call's clock: its event loop's (the wall clock on a real loop, the test's on an
    /// embedded one), so pacing, marks and the RTP timeout all read one time.
    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    package func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if answered { start(context: context) }
    }

    /// The called party answered an outbound call with this media.
    package func answer(_ media: SIPMedia) {
        guard !answered, let context else { return }
        answered = true
        update(media)
        start(context: context)
    }

    private func start(context: ChannelHandlerContext) {
        remote = Self.address(media.remote)
        lastMediaActivity = now
        var call = CallStart(caller: caller, callerVerified: callerVerified, callID: callID, codec: codec, channel: "sip", outbound: outbound)
        call.tenant = destination?.tenant
        call.agent = destination?.agent
        context.fireChannelRead(wrapInboundOut(.started(call)))
        context.fireChannelReadComplete()
        nextTick = now + Self.packetInterval
        scheduleTick(context: context)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        ticker?.cancel()
        ticker = nil
        failKeyPresses(.interrupted("the call ended before the keys were sent"))
        // Media that closes without a hang-up (a session closed at its grace period, an error)
        // still ends the call with BYE; a call already ended is not ended twice.
        if !hungUp {
            hungUp = true
            onHangUp(callID)
        }
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        ticker?.cancel()
        self.context = nil
        failKeyPresses(.interrupted("the call ended before the keys were sent"))
    }

    private func failKeyPresses(_ error: CallKeysError) {
        let pending = keyPresses
        keyPresses.removeAll()
        for press in pending { press.promise?.fail(error) }
    }

    /// The remote party changed its media (re-INVITE): address, codec or hold.
    package func update(_ media: SIPMedia) {
        let codecChanged = media.payloadType != self.media.payloadType
        let remoteChanged = media.remote != self.media.remote
        self.media = media
        if remoteChanged || latch.latched == nil {
            // New remote media (re-INVITE): send there and learn its source again.
            remote = Self.address(media.remote)
            latch.reset()
        }
        lastMediaActivity = now
        if codecChanged {
            (jitter, sender) = Self.streams(for: media)
        }
    }

    // MARK: Caller → call

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard answered else { return }
        let bytes = envelope.data.readableBytesView
        if RTPPacket.looksLikeRTCP(bytes) {
            // RTCP (muxed on this port) from the latched source shows the call is alive.
            if let latched = latch.latched, latched == envelope.remoteAddress { lastMediaActivity = now }
            return
        }
        let packet: RTPPacket
        do {
            packet = try RTPPacket(parsing: bytes)
        } catch {
            metrics.callDropped("rtp_malformed")
            return
        }
        switch latch.admit(from: envelope.remoteAddress, host: envelope.remoteAddress.ipAddress, sequence: packet.sequenceNumber) {
        case .foreign:
            metrics.sipRTPForeignPacket()
            return
        case .learning:
            return
        case .latched:
            if envelope.remoteAddress != remote {
                // Symmetric RTP: answer where the caller's media really comes from.
                logger.debug("RTP source latched", metadata: ["rtp.remote": "\(envelope.remoteAddress)"])
                remote = envelope.remoteAddress
            }
        case .accept:
            break
        }
        lastMediaActivity = now
        let isCallMedia = packet.payloadType == jitter.configuration.audioPayloadType
            || packet.payloadType == jitter.configuration.telephoneEventPayloadType
        guard isCallMedia else {
            metrics.callDropped("rtp_payload_type")
            return
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
        if nextTick < now - .milliseconds(200) { nextTick = now + Self.packetInterval }
        receive(context: context)
        send(context: context)
        checkMediaTimeout()
        scheduleTick(context: context)
    }

    /// Hangs the call up (once) when no RTP or RTCP came for `rtpTimeout` while the remote
    /// should be sending; a call on hold (we only receive when `sendrecv`) is never timed out.
    private func checkMediaTimeout() {
        guard let timeout = policy.rtpTimeout, !timedOut else { return }
        let now = self.now
        guard media.direction == .sendrecv else {
            lastMediaActivity = now
            return
        }
        guard now - lastMediaActivity > timeout else { return }
        timedOut = true
        metrics.sipRTPTimeout()
        logger.notice("no RTP from the caller; hanging up", metadata: ["call.id": "\(callID)",
                                                                       "rtp.timeout_ms": "\(timeout.nanoseconds / 1_000_000)"])
        hungUp = true
        onHangUp(callID)
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
        if !keyPresses.isEmpty, sendKeys(context: context) { return }
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

    /// Sends this tick's part of the keys being pressed; false when none are left to play (the
    /// tick's audio goes out as usual).
    private func sendKeys(context: ChannelHandlerContext) -> Bool {
        guard media.shouldSend, let remote else {
            failKeyPresses(.interrupted("the call was put on hold before the keys were sent"))
            return false
        }
        while var press = keyPresses.first {
            guard let tick = press.keys.next(using: &sender) else {
                keyPresses.removeFirst()
                press.promise?.succeed(())
                continue
            }
            let finished = press.keys.isFinished
            if finished { keyPresses.removeFirst() } else { keyPresses[keyPresses.startIndex] = press }
            let packet: RTPPacket
            switch tick {
            case .packet(let event):
                packet = event
            case .pause:
                packet = sender.next(payload: [UInt8](repeating: silenceByte, count: Self.packetBytes))
            }
            let bytes = packet.serialized()
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: remote, data: buffer)), promise: nil)
            packetsSent += 1
            if finished { press.promise?.succeed(()) }
            return true
        }
        return false
    }

    /// The keys of `digits` for this call, or why they cannot be pressed.
    private func keyPress(_ digits: String) -> Result<TelephoneEventSender, CallKeysError> {
        guard let payloadType = media.rtpTelephoneEventPayloadType else { return .failure(.notNegotiated) }
        guard media.shouldSend else { return .failure(.interrupted("the call is on hold")) }
        do {
            return .success(try TelephoneEventSender(digits: digits, payloadType: payloadType))
        } catch {
            return .failure(.invalidKeys(error.message))
        }
    }

    // MARK: Call → caller

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
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
        case .playRaw(var bytes):
            if playout.readableBytes == 0 { sender.markTalkspurt() }
            playout.writeBuffer(&bytes)
            queuedBytes = sentBytes + playout.readableBytes
        case .mark(let name):
            marks.append((queuedBytes, name))
        case .clear:
            playout.clear()
            marks.removeAll()
            queuedBytes = sentBytes
            sender.markTalkspurt()
        case .hangUp:
            if !hungUp {
                hungUp = true
                onHangUp(callID)
            }
        case .dtmf(let digits):
            switch keyPress(digits) {
            case .success(let keys):
                logger.info("pressing keys", metadata: ["call.id": "\(callID)", "call.dtmf_count": "\(keys.keys.count)"])
                keyPresses.append((keys, promise))
            case .failure(let error):
                logger.notice("keys not pressed", metadata: ["call.id": "\(callID)", "error": "\(error)"])
                promise?.fail(error)
            }
            return
        }
        promise?.succeed(())
    }

    package func flush(context: ChannelHandlerContext) {}
}
