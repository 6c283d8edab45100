import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardSIP
import Testing
@testable import SwitchboardTelephony

/// A SIP call's media socket against real UDP peers: RTP is taken only from the signalling
/// peer's IP and then only from the latched source (no RTP bleed), a silent call is hung up
/// after `--rtp-timeout`, and a negotiated payload type that does not fit 7 bits cannot trap.
@Suite(.serialized) struct SIPLimitsTests {
    /// What the call bridge would see.
    final class Events: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = CallEvent
        let seen = NIOLockedValueBox<[String]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text: String
            switch unwrapInboundIn(data) {
            case .started: text = "started"
            case .dtmf(let digit): text = "dtmf:\(digit)"
            case .audio: text = "audio"
            case .played(let mark): text = "played:\(mark)"
            case .ended: text = "ended"
            }
            seen.withLockedValue { $0.append(text) }
        }
        var dtmf: [String] { seen.withLockedValue { $0.filter { $0.hasPrefix("dtmf:") } } }
    }

    /// A UDP peer that records what it receives.
    final class Peer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let received = NIOLockedValueBox<[[UInt8]]>([])
        var channel: (any Channel)?
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            received.withLockedValue { $0.append(Array(envelope.data.readableBytesView)) }
        }

        static func bind(_ host: String) async throws -> Peer {
            let peer = Peer()
            peer.channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(peer) } }
                .bind(host: host, port: 0).get()
            return peer
        }

        var endpoint: SIPEndpoint { SIPEndpoint(host: channel!.localAddress!.ipAddress!, port: channel!.localAddress!.port!) }

        func send(_ packet: RTPPacket, to address: SocketAddress) async throws {
            let bytes = packet.serialized()
            var buffer = channel!.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try await channel!.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer))
        }

        func close() async { try? await channel?.close() }

        var heardNothing: Bool { received.withLockedValue { $0.isEmpty } }
        var firstPacket: [UInt8]? { received.withLockedValue { $0.first } }
    }

    /// A call's RTP socket with its handler, the way `SIPSignaling` opens it.
    struct Call {
        let channel: any Channel
        let events: Events
        let hungUp: NIOLockedValueBox<Int>
        var address: SocketAddress { channel.localAddress! }
    }

    func openCall(media: SIPMedia, policy: RTPCallHandler.Policy, metrics: RecordingTelephonyMetrics) async throws -> Call {
        let events = Events()
        let hungUp = NIOLockedValueBox(0)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RTPCallHandler(callID: { "call-1" }, caller: nil, media: media, policy: policy, metrics: metrics,
                                                 logger: Logger(label: "test")) { _ in hungUp.withLockedValue { $0 += 1 } }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(events)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return Call(channel: channel, events: events, hungUp: hungUp)
    }

    func until(_ seconds: Double = 3, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    func dtmf(_ event: UInt8, sequence: UInt16, timestamp: UInt32) -> RTPPacket {
        RTPPacket(payloadType: 101, sequenceNumber: sequence, timestamp: timestamp, ssrc: 42, payload: [event, 0x8A, 0x03, 0x20])
    }

    @Test func rtpFromAnotherSourceIsDroppedAndCounted() async throws {
        let metrics = RecordingTelephonyMetrics()
        let caller = try await Peer.bind("127.0.0.1")
        let stranger = try await Peer.bind("127.0.0.2")  // another IP than the SIP came from
        let sameHost = try await Peer.bind("127.0.0.1")  // the right IP, but not the latched port
        let media = SIPMedia(remote: caller.endpoint, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: 101)
        let call = try await openCall(media: media, policy: .init(signallingHost: "127.0.0.1", rtpTimeout: nil), metrics: metrics)

        for n in 0..<3 { try await stranger.send(dtmf(1, sequence: UInt16(n), timestamp: 100), to: call.address) }
        for n in 0..<3 { try await caller.send(dtmf(5, sequence: UInt16(10 + n), timestamp: 200), to: call.address) }
        try await until { call.events.dtmf == ["dtmf:5"] }
        for n in 0..<3 { try await sameHost.send(dtmf(9, sequence: UInt16(20 + n), timestamp: 300), to: call.address) }
        try await until { metrics.counts.rtpForeignPackets == 6 }

        #expect(call.events.dtmf == ["dtmf:5"])
        #expect(metrics.counts.rtpForeignPackets == 6)
        // The hub's own audio goes to the latched caller only.
        try await until { !caller.heardNothing }
        #expect(!caller.heardNothing)
        #expect(stranger.heardNothing)
        #expect(sameHost.heardNothing)
        try await call.channel.close()
        for peer in [caller, stranger, sameHost] { await peer.close() }
    }

    @Test func silentCallIsHungUpOnceAndATalkingCallIsNot() async throws {
        let metrics = RecordingTelephonyMetrics()
        let silentPeer = try await Peer.bind("127.0.0.1")
        let talkingPeer = try await Peer.bind("127.0.0.1")
        // Generous against a loaded machine: the talking call's packets are 25 ms apart, a
        // hundredth of the timeout, so only a call that sends nothing reaches it.
        let policy = RTPCallHandler.Policy(signallingHost: "127.0.0.1", rtpTimeout: .milliseconds(2000))
        let silent = try await openCall(media: SIPMedia(remote: silentPeer.endpoint, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil),
                                        policy: policy, metrics: metrics)
        let talking = try await openCall(media: SIPMedia(remote: talkingPeer.endpoint, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil),
                                         policy: policy, metrics: metrics)
        let held = try await openCall(media: SIPMedia(remote: silentPeer.endpoint, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil,
                                                      direction: .recvonly), policy: policy, metrics: metrics)
        var n = 0
        while silent.hungUp.withLockedValue({ $0 }) == 0 && n < 400 {
            try await talkingPeer.send(RTPPacket(payloadType: 0, sequenceNumber: UInt16(n), timestamp: UInt32(n * 160), ssrc: 7,
                                                 payload: [UInt8](repeating: 0xFF, count: 160)), to: talking.address)
            try await Task.sleep(for: .milliseconds(25))
            n += 1
        }
        // The talking call went on past the silent one's timeout.
        for m in n..<(n + 20) {
            try await talkingPeer.send(RTPPacket(payloadType: 0, sequenceNumber: UInt16(m), timestamp: UInt32(m * 160), ssrc: 7,
                                                 payload: [UInt8](repeating: 0xFF, count: 160)), to: talking.address)
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(silent.hungUp.withLockedValue { $0 } == 1)
        #expect(talking.hungUp.withLockedValue { $0 } == 0)
        #expect(held.hungUp.withLockedValue { $0 } == 0)  // on hold: no RTP is expected
        #expect(metrics.counts.rtpTimeouts == 1)
        for call in [silent, talking, held] { try await call.channel.close() }
        await silentPeer.close()
        await talkingPeer.close()
    }

    @Test func payloadTypeThatDoesNotFitSevenBitsCannotTrap() async throws {
        let metrics = RecordingTelephonyMetrics()
        let caller = try await Peer.bind("127.0.0.1")
        // Negotiation never yields this; a hand-made media description must not trap in UInt8(_:).
        let media = SIPMedia(remote: caller.endpoint, codec: .pcma, payloadType: 300, telephoneEventPayloadType: -1)
        let call = try await openCall(media: media, policy: .init(signallingHost: "127.0.0.1"), metrics: metrics)
        try await until { !caller.heardNothing }
        let first = try #require(caller.firstPacket)
        #expect(try RTPPacket(parsing: first).payloadType == 8)  // PCMA's static type
        try await call.channel.close()
        await caller.close()
    }
}
