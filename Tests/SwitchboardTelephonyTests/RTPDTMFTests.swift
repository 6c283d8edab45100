import Logging
import NIOCore
import NIOEmbedded
import SwitchboardSIP
import SwitchboardTesting
import Testing
@testable import SwitchboardTelephony

final class NoTelephonyMetrics: TelephonyMetrics, @unchecked Sendable {
    func callBargeIn(channel: String) {}
    func callDropped(_ reason: String) {}
    func twilioCaller(_ outcome: String) {}
    func sipAuth(_ outcome: String, count: Int) {}
    func sipRefused(_ reason: String, count: Int) {}
    func sipRejected(status: Int, count: Int) {}
    func sipMediaAddressConfined(count: Int) {}
    func sipRTPForeignPacket() {}
    func sipRTPTimeout() {}
}

/// A call's RTP handler on an embedded channel, driven one 20 ms tick at a time.
final class EmbeddedCall {
    let channel: EmbeddedChannel
    private var clock = NIODeadline.uptimeNanoseconds(0)

    init(telephoneEvent: Int? = 101, direction: SDPDirection = .sendrecv) throws {
        let media = SIPMedia(remote: SIPEndpoint(host: "127.0.0.1", port: 4000), codec: .pcmu, payloadType: 0,
                             telephoneEventPayloadType: telephoneEvent, direction: direction)
        let handler = RTPCallHandler(callID: { "call-1" }, caller: nil, media: media, metrics: NoTelephonyMetrics(),
                                     logger: Logger(label: "test")) { _ in }
        channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
        // The handler's first tick is 20 ms after it started, on the channel's loop's clock.
        clock = channel.embeddedEventLoop.now
        guard case .started? = try channel.readInbound(as: CallEvent.self) else { throw CancellationError() }
    }

    /// Writes a command; its future completes when the handler says so.
    func write(_ command: CallCommand) -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.syncOperations.writeAndFlush(NIOAny(command), promise: promise)
        return promise.futureResult
    }

    /// Runs `count` ticks and returns the packets sent.
    func ticks(_ count: Int) throws -> [RTPPacket] {
        var packets: [RTPPacket] = []
        for _ in 0..<count {
            clock = clock + .milliseconds(20)
            channel.embeddedEventLoop.advanceTime(to: clock)
            while let envelope = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
                packets.append(try RTPPacket(parsing: Array(envelope.data.readableBytesView)))
            }
        }
        return packets
    }

    func finish() { _ = try? channel.finish() }
}

/// Base64 of `count` × 3 bytes of 0x11 (agent audio that is not silence).
func agentAudio(groups count: Int) -> ByteBuffer { ByteBuffer(string: String(repeating: "ERER", count: count)) }

@Suite struct RTPDTMFTests {
    @Test func keysAreRFC4733EventsOnTheAudioStreamAndQueuedAudioWaits() throws {
        let call = try EmbeddedCall()
        defer { call.finish() }
        // Agent audio (480 bytes: three packets) and a mark are queued before the keys.
        _ = call.write(.play(agentAudio(groups: 160)))
        _ = call.write(.mark("after-audio"))
        let keys = call.write(.dtmf("1#"))
        var done = false
        keys.whenSuccess { done = true }

        let packets = try call.ticks(26)
        #expect(packets.count == 26)
        #expect(done)
        #expect(try call.channel.readInbound(as: CallEvent.self) == nil, "the mark waits while the keys play")
        for (index, key) in [(0, UInt8(1)), (1, UInt8(11))].map({ ($0.0 * 13, $0.1) }) {
            let event = Array(packets[index..<(index + 8)])
            #expect(event.allSatisfy { $0.payloadType == 101 })
            #expect(event.map(\.marker) == [true, false, false, false, false, false, false, false])
            #expect(Set(event.map(\.timestamp)).count == 1, "every packet of one event carries its start")
            let payloads = event.map { TelephoneEvent(payload: $0.payload) }
            #expect(payloads.allSatisfy { $0?.event == key && $0?.volume == 10 })
            #expect(payloads.map { $0?.duration } == [160, 320, 480, 640, 800, 800, 800, 800])
            #expect(payloads.map { $0?.isEnd } == [false, false, false, false, false, true, true, true])
            #expect(event.allSatisfy { $0.payload.count == 4 })
            // Raw layout: event, E|R|volume, duration (network order).
            #expect(event[5].payload == [key, 0x80 | 10, 0x03, 0x20])
            #expect(event[0].payload == [key, 10, 0x00, 0xA0])
            // The gap after a key: comfort silence on the audio payload type, not the queued audio.
            let gap = Array(packets[(index + 8)..<(index + 13)])
            #expect(gap.allSatisfy { $0.payloadType == 0 && $0.payload == [UInt8](repeating: 0xFF, count: 160) })
        }
        // One stream: consecutive sequence numbers, one SSRC, the event clock follows the audio clock.
        #expect(zip(packets, packets.dropFirst()).allSatisfy { $1.sequenceNumber == $0.sequenceNumber &+ 1 })
        #expect(Set(packets.map(\.ssrc)).count == 1)
        #expect(packets[13].timestamp == packets[0].timestamp &+ 13 * 160)
        #expect(packets[8].timestamp == packets[0].timestamp &+ 8 * 160)

        // Then the queued audio plays, a new talkspurt, and its mark is reported.
        let after = try call.ticks(3)
        #expect(after.allSatisfy { $0.payloadType == 0 && $0.payload == [UInt8](repeating: 0x11, count: 160) })
        #expect(after.first?.timestamp == packets[0].timestamp &+ 26 * 160)
        #expect(after.first?.ssrc == packets[0].ssrc)
        let played = try call.channel.readInbound(as: CallEvent.self)
        guard case .played(let mark)? = played else {
            Issue.record("expected the mark, got \(String(describing: played))")
            return
        }
        #expect(mark == "after-audio")
    }

    @Test func aPauseKeyWaitsHalfASecond() throws {
        let call = try EmbeddedCall()
        defer { call.finish() }
        _ = call.write(.dtmf("1w2"))
        let packets = try call.ticks(13 + 25 + 13)
        let events = packets.filter { $0.payloadType == 101 }
        #expect(events.count == 16)
        #expect(Array(packets[13..<38]).allSatisfy { $0.payloadType == 0 })
        #expect(packets[38].payloadType == 101 && packets[38].marker)
        #expect(TelephoneEvent(payload: packets[38].payload)?.event == 2)
        #expect(packets[38].timestamp == packets[0].timestamp &+ 38 * 160)
    }

    @Test func keysArePressedOneStringAfterAnother() throws {
        let call = try EmbeddedCall()
        defer { call.finish() }
        let first = call.write(.dtmf("5"))
        let second = call.write(.dtmf("*"))
        var order: [String] = []
        first.whenSuccess { order.append("first") }
        second.whenSuccess { order.append("second") }
        let packets = try call.ticks(26)
        #expect(order == ["first", "second"])
        let codes = packets.filter { $0.payloadType == 101 && $0.marker }.compactMap { TelephoneEvent(payload: $0.payload)?.event }
        #expect(codes == [5, 10])
    }

    @Test func withoutTelephoneEventKeysAreRefused() throws {
        let call = try EmbeddedCall(telephoneEvent: nil)
        defer { call.finish() }
        var failure: (any Error)?
        call.write(.dtmf("123")).whenFailure { failure = $0 }
        #expect(failure as? CallKeysError == .notNegotiated)
        let packets = try call.ticks(20)
        #expect(packets.allSatisfy { $0.payloadType == 0 })
    }

    @Test(arguments: ["", "12x", "1 2", "a", "W", "12345678901234567890123456789012345", "\u{0}", "1\u{301}"])
    func invalidKeysAreRefusedBeforeAnythingIsSent(_ digits: String) throws {
        let call = try EmbeddedCall()
        defer { call.finish() }
        var failure: (any Error)?
        call.write(.dtmf(digits)).whenFailure { failure = $0 }
        guard case .invalidKeys? = failure as? CallKeysError else {
            Issue.record("expected invalidKeys, got \(String(describing: failure))")
            return
        }
        #expect(try call.ticks(15).allSatisfy { $0.payloadType == 0 })
    }

    @Test func keysOnHoldOrWhenTheCallEndsFail() throws {
        let held = try EmbeddedCall(direction: .recvonly)
        var failure: (any Error)?
        held.write(.dtmf("1")).whenFailure { failure = $0 }
        guard case .interrupted? = failure as? CallKeysError else {
            Issue.record("expected interrupted, got \(String(describing: failure))")
            return
        }
        held.finish()

        let call = try EmbeddedCall()
        var ended: (any Error)?
        call.write(.dtmf("123")).whenFailure { ended = $0 }
        _ = try call.ticks(3)
        call.finish()
        guard case .interrupted? = ended as? CallKeysError else {
            Issue.record("expected interrupted, got \(String(describing: ended))")
            return
        }
    }

    @Test func anyStringOfKeysNeverTrapsTheHandler() throws {
        var random = SplitMix64(seed: 0xD7_3F00)
        let alphabet: [Character] = Array("0123456789*#ABCDwabcdW xé\u{301}\u{0}\r\n+-") + ["\r\n", "1\u{301}", "🙂"]
        let call = try EmbeddedCall()
        defer { call.finish() }
        let keys: [Character] = Array("0123456789*#ABCDw")
        for round in 0..<200 {
            let digits: String
            if round.isMultiple(of: 2) {
                digits = String((0..<Int.random(in: 1...6, using: &random)).map { _ in keys.randomElement(using: &random)! })
            } else {
                digits = String((0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            }
            var result: Result<Void, any Error>?
            call.write(.dtmf(digits)).whenComplete { result = $0 }
            let valid = (try? DTMFKey.parse(digits)) != nil
            if !valid {
                guard case .failure(let error)? = result, case .invalidKeys = error as? CallKeysError else {
                    Issue.record("'\(digits.debugDescription)' was not refused at once: \(String(describing: result))")
                    continue
                }
            } else {
                // Play it to the end (at most 32 keys of 25 ticks).
                var ticks = 0
                while result == nil && ticks < 32 * 25 + 1 {
                    _ = try call.ticks(1)
                    ticks += 1
                }
                guard case .success? = result else {
                    Issue.record("'\(digits.debugDescription)' did not finish: \(String(describing: result))")
                    continue
                }
            }
        }
    }
}
