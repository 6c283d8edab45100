import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardCore
import SwitchboardSIP
import Testing
@testable import SwitchboardTelephony

/// A SIP call's media handler on an embedded channel, its 20 ms clock driven by the test: RTP
/// in becomes the call's audio and keys, the agent's audio goes out paced one packet a tick with
/// its marks reported once sent, a clear drops what is queued, and RTP from a stranger is dropped.
@Suite struct RTPCallHandlerTests {
    static let callerAddress = try! SocketAddress(ipAddress: "127.0.0.1", port: 4000)
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    /// One call's media on an embedded channel, answered at once (an inbound call).
    final class Call {
        let channel = EmbeddedChannel()
        let metrics = RecordingTelephonyMetrics()
        let hangUps = NIOLockedValueBox<[String]>([])

        init(codec: SIPAudioCodec = .pcmu, rtpTimeout: TimeAmount? = nil, direction: SDPDirection = .sendrecv) throws {
            let media = SIPMedia(remote: SIPEndpoint(host: "127.0.0.1", port: 4000), codec: codec, payloadType: codec.staticPayloadType,
                                 telephoneEventPayloadType: 101, direction: direction)
            let hangUps = self.hangUps
            let handler = RTPCallHandler(callID: { "call-1" }, caller: SessionKey("+15551230001"), callerVerified: true, media: media,
                                         policy: .init(signallingHost: "127.0.0.1", rtpTimeout: rtpTimeout), metrics: metrics,
                                         logger: RTPCallHandlerTests.quiet) { id in hangUps.withLockedValue { $0.append(id) } }
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: RTPCallHandlerTests.callerAddress).wait()
        }

        /// Runs the call's clock one packet interval on.
        func tick(_ count: Int = 1) {
            for _ in 0..<count { channel.embeddedEventLoop.advanceTime(by: RTPCallHandler.packetInterval) }
        }

        func receive(_ packet: RTPPacket, from address: SocketAddress = RTPCallHandlerTests.callerAddress) throws {
            try channel.writeInbound(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: packet.serialized())))
        }

        /// Everything the handler handed the call bridge since the last look.
        func events() throws -> [CallEvent] {
            var events: [CallEvent] = []
            while let event = try channel.readInbound(as: CallEvent.self) { events.append(event) }
            return events
        }

        /// The RTP packets sent to the caller since the last look.
        func sent() throws -> [(to: SocketAddress, packet: RTPPacket)] {
            var packets: [(SocketAddress, RTPPacket)] = []
            while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
                packets.append((envelope.remoteAddress, try RTPPacket(parsing: envelope.data.readableBytesView)))
            }
            return packets
        }

        func play(_ bytes: [UInt8]) throws {
            var text = ByteBuffer()
            text.writeString(Base64Audio.encode(bytes))
            try channel.writeOutbound(CallCommand.play(text))
        }
    }

    static func audio(_ sequence: UInt16, fill: UInt8, payloadType: UInt8 = 0) -> RTPPacket {
        RTPPacket(payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160, ssrc: 7,
                  payload: [UInt8](repeating: fill, count: 160))
    }

    static func keyUp(_ event: UInt8, sequence: UInt16, timestamp: UInt32) -> RTPPacket {
        RTPPacket(payloadType: 101, sequenceNumber: sequence, timestamp: timestamp, ssrc: 7,
                  payload: TelephoneEvent(event: event, isEnd: true, duration: 800).payload)
    }

    static func bytes(_ event: CallEvent) -> [UInt8]? {
        guard case .audio(.raw(let buffer)) = event else { return nil }
        return Array(buffer.readableBytesView)
    }

    static func played(_ events: [CallEvent]) -> [String] {
        events.compactMap { if case .played(let mark) = $0 { mark } else { nil } }
    }

    @Test func theCallStartsAndItsRTPBecomesRawAudioOneTickAPacket() throws {
        let call = try Call()
        guard case .started(let start)? = try call.events().first else {
            Issue.record("the call did not start")
            return
        }
        #expect(start.codec == .g711ulaw)
        #expect(start.callID == "call-1")
        // Three packets fill the jitter buffer; then each tick hands one on, in sequence order.
        try call.receive(Self.audio(11, fill: 0x11))
        try call.receive(Self.audio(13, fill: 0x13))
        try call.receive(Self.audio(12, fill: 0x12))
        #expect(try call.events().isEmpty, "nothing before the clock ticks")
        var heard: [[UInt8]] = []
        for _ in 0..<3 {
            call.tick()
            let events = try call.events()
            #expect(events.count == 1)
            heard += events.compactMap(Self.bytes)
        }
        #expect(heard == [[UInt8](repeating: 0x11, count: 160), [UInt8](repeating: 0x12, count: 160), [UInt8](repeating: 0x13, count: 160)])
        call.tick()
        #expect(try call.events().isEmpty, "no audio is made up once the caller's stops")
        #expect(call.metrics.counts.calls == 0)
        _ = try? call.channel.finish()
    }

    @Test func aGapInTheCallersAudioIsFilledWithSilenceOfTheCallsCodec() throws {
        let call = try Call(codec: .pcma)
        _ = try call.events()
        for sequence: UInt16 in [1, 2, 4, 5] { try call.receive(Self.audio(sequence, fill: 0x2A, payloadType: 8)) }
        call.tick(5)
        let heard = try call.events().compactMap(Self.bytes)
        #expect(heard.count == 5)
        #expect(heard[2] == [UInt8](repeating: 0xD5, count: 160), "A-law silence where packet 3 was lost")
        #expect(heard[3] == [UInt8](repeating: 0x2A, count: 160))
        _ = try? call.channel.finish()
    }

    @Test func telephoneEventsBecomeKeysAtOnce() throws {
        let call = try Call()
        _ = try call.events()
        try call.receive(Self.keyUp(5, sequence: 1, timestamp: 800))
        // The end packet comes three times; the key counts once.
        try call.receive(Self.keyUp(5, sequence: 2, timestamp: 800))
        try call.receive(Self.keyUp(5, sequence: 3, timestamp: 800))
        try call.receive(Self.keyUp(11, sequence: 4, timestamp: 1600))
        let keys = try call.events().compactMap { event -> Character? in
            if case .dtmf(let key) = event { key } else { nil }
        }
        #expect(keys == ["5", "#"])
        _ = try? call.channel.finish()
    }

    @Test func playedAudioGoesOutOnePacketATickAndItsMarkFollowsTheLastByte() throws {
        let call = try Call()
        _ = try call.events()
        let audio = (0..<320).map { UInt8(truncatingIfNeeded: $0) }
        try call.play(audio)
        try call.channel.writeOutbound(CallCommand.mark("item_1@40"))
        #expect(try call.sent().isEmpty, "nothing goes out before the clock ticks")

        call.tick()
        let first = try call.sent()
        #expect(first.count == 1)
        #expect(first.first?.to == Self.callerAddress)
        #expect(first.first?.packet.payloadType == 0)
        #expect(first.first?.packet.payload == Array(audio[0..<160]))
        #expect(Self.played(try call.events()).isEmpty, "half the audio is not yet sent")

        call.tick()
        let second = try call.sent()
        #expect(second.first?.packet.payload == Array(audio[160..<320]))
        #expect(second.first.map { $0.packet.sequenceNumber &- first[0].packet.sequenceNumber } == 1)
        #expect(Self.played(try call.events()) == ["item_1@40"])

        // Then comfort silence: the line never goes dead.
        call.tick()
        #expect(try call.sent().first?.packet.payload == [UInt8](repeating: 0xFF, count: 160))
        #expect(Self.played(try call.events()).isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func clearDropsTheQueuedAudioAndItsMark() throws {
        let call = try Call()
        _ = try call.events()
        try call.play([UInt8](repeating: 0x55, count: 480))
        try call.channel.writeOutbound(CallCommand.mark("item_1@60"))
        call.tick()
        #expect(try call.sent().first?.packet.payload == [UInt8](repeating: 0x55, count: 160))
        try call.channel.writeOutbound(CallCommand.clear)
        call.tick(3)
        let after = try call.sent()
        #expect(after.count == 3)
        #expect(after.allSatisfy { $0.packet.payload == [UInt8](repeating: 0xFF, count: 160) }, "the rest of the answer is never sent")
        #expect(Self.played(try call.events()).isEmpty, "a cleared mark is never reported played")
        // Audio played after the clear goes out next.
        try call.play([UInt8](repeating: 0x66, count: 160))
        try call.channel.writeOutbound(CallCommand.mark("item_2@20"))
        call.tick()
        #expect(try call.sent().first?.packet.payload == [UInt8](repeating: 0x66, count: 160))
        #expect(Self.played(try call.events()) == ["item_2@20"])
        _ = try? call.channel.finish()
    }

    @Test func rtpFromAForeignSourceIsDroppedAndCounted() throws {
        let call = try Call()
        _ = try call.events()
        let stranger = try SocketAddress(ipAddress: "127.0.0.2", port: 4000)
        let otherPort = try SocketAddress(ipAddress: "127.0.0.1", port: 4002)
        for sequence: UInt16 in 1...3 { try call.receive(Self.keyUp(1, sequence: sequence, timestamp: 100), from: stranger) }
        #expect(call.metrics.counts.rtpForeignPackets == 3, "another IP than the signalling peer's")
        // The caller's first packet latches its source; the same IP on another port is then foreign.
        try call.receive(Self.keyUp(5, sequence: 10, timestamp: 200))
        for sequence: UInt16 in 20...22 { try call.receive(Self.keyUp(9, sequence: sequence, timestamp: 300), from: otherPort) }
        for sequence: UInt16 in 30...32 { try call.receive(Self.audio(sequence, fill: 0x77), from: otherPort) }
        #expect(call.metrics.counts.rtpForeignPackets == 9)
        let keys = try call.events().compactMap { event -> Character? in
            if case .dtmf(let key) = event { key } else { nil }
        }
        #expect(keys == ["5"])
        call.tick(3)
        #expect(try call.events().compactMap(Self.bytes).isEmpty, "no foreign audio reaches the call")
        _ = try? call.channel.finish()
    }

    @Test func packetsThatAreNotTheCallsMediaAreDroppedAndCounted() throws {
        let call = try Call()
        _ = try call.events()
        try call.channel.writeInbound(AddressedEnvelope(remoteAddress: Self.callerAddress, data: ByteBuffer(bytes: [0x00, 0x01, 0x02])))
        try call.receive(Self.audio(1, fill: 0x10, payloadType: 8))  // PCMA on a PCMU call
        #expect(call.metrics.counts.dropped == ["rtp_malformed": 1, "rtp_payload_type": 1])
        _ = try? call.channel.finish()
    }

    @Test func aSilentCallIsHungUpOnceAfterTheRTPTimeout() throws {
        let call = try Call(rtpTimeout: .milliseconds(200))
        _ = try call.events()
        call.tick(10)
        #expect(call.hangUps.withLockedValue { $0 }.isEmpty, "200 ms is not more than the timeout")
        call.tick(1)
        #expect(call.hangUps.withLockedValue { $0 } == ["call-1"])
        call.tick(20)
        #expect(call.hangUps.withLockedValue { $0 } == ["call-1"], "hung up once")
        #expect(call.metrics.counts.rtpTimeouts == 1)

        // A call that keeps sending is never timed out; nor is one on hold.
        let talking = try Call(rtpTimeout: .milliseconds(200))
        let held = try Call(rtpTimeout: .milliseconds(200), direction: .recvonly)
        for sequence: UInt16 in 1...30 {
            try talking.receive(Self.audio(sequence, fill: 0x01))
            talking.tick()
            held.tick()
        }
        #expect(talking.hangUps.withLockedValue { $0 }.isEmpty)
        #expect(held.hangUps.withLockedValue { $0 }.isEmpty)
        for channel in [call.channel, talking.channel, held.channel] { _ = try? channel.finish() }
    }

    @Test func aHangUpCommandAsksTheSignallingToEndTheCall() throws {
        let call = try Call()
        try call.channel.writeOutbound(CallCommand.hangUp)
        #expect(call.hangUps.withLockedValue { $0 } == ["call-1"])
        _ = try? call.channel.finish()
    }
}
