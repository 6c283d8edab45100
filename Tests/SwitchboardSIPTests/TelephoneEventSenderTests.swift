import SwitchboardTesting
import Testing
@testable import SwitchboardSIP

@Suite struct TelephoneEventSenderTests {
    @Test func keysMapToRFC4733EventCodes() throws {
        #expect(try DTMFKey.parse("0123456789*#ABCDw") == (0...15).map { DTMFKey.event(UInt8($0)) } + [.pause])
        for refused in ["", "a", "d", "E", "W", "x", " ", "1 2", "+1", "١", "1\u{301}", "\r\n", String(repeating: "1", count: 33)] {
            #expect(throws: DTMFKeysError.self) { try DTMFKey.parse(refused) }
        }
        #expect(try DTMFKey.parse(String(repeating: "1", count: 32)).count == 32)
    }

    @Test func eachKeyIsFiveGrowingPacketsThreeEndsAndAGap() throws {
        var sender = RTPSender(payloadType: 0, ssrc: 7, initialSequenceNumber: 65534, initialTimestamp: UInt32.max - 500)
        var keys = try TelephoneEventSender(digits: "9", payloadType: 101)
        var ticks: [TelephoneEventSender.Tick] = []
        while let tick = keys.next(using: &sender) { ticks.append(tick) }
        #expect(ticks.count == 13)
        #expect(keys.isFinished)
        let packets = ticks.compactMap { if case .packet(let packet) = $0 { packet } else { nil } }
        #expect(packets.count == 8)
        #expect(ticks.suffix(5) == Array(repeating: .pause, count: 5))
        #expect(packets.map(\.sequenceNumber) == [65534, 65535, 0, 1, 2, 3, 4, 5])
        #expect(packets.allSatisfy { $0.timestamp == UInt32.max - 500 && $0.ssrc == 7 && $0.payloadType == 101 })
        #expect(packets.map(\.marker) == [true] + Array(repeating: false, count: 7))
        #expect(packets.map(\.payload) == [
            [9, 10, 0, 160], [9, 10, 1, 64], [9, 10, 1, 224], [9, 10, 2, 128], [9, 10, 3, 32],
            [9, 0x8A, 3, 32], [9, 0x8A, 3, 32], [9, 0x8A, 3, 32],
        ])
        // The stream's clock kept going (wrapping): the next audio packet is 8 ticks later and starts a talkspurt.
        let audio = sender.next(payload: [0xFF])
        #expect(audio.timestamp == (UInt32.max - 500) &+ 8 * 160)
        #expect(audio.marker)
        #expect(audio.payloadType == 0)
    }

    @Test func anyStringNeverTrapsAndValidOnesPlayToTheEnd() {
        var random = SplitMix64(seed: 0x4733)
        let hostile: [Character] = Array("0123456789*#ABCDwabcdW xé\u{301}\u{0}+-") + ["\r\n", "1\u{301}", "🙂", "\u{FFFF}"]
        for round in 0..<2000 {
            let length = Int.random(in: 0...40, using: &random)
            let pool = round.isMultiple(of: 2) ? Array("0123456789*#ABCDw") : hostile
            let text = String((0..<length).map { _ in pool.randomElement(using: &random)! })
            let payloadType = UInt8.random(in: 0...255, using: &random)
            do {
                var keys = try TelephoneEventSender(digits: text, payloadType: payloadType)
                var sender = RTPSender(payloadType: 0)
                var count = 0
                while keys.next(using: &sender) != nil { count += 1 }
                let expected = keys.keys.reduce(0) { $0 + ($1 == .pause ? 25 : 13) }
                #expect(count == expected)
                #expect(text.allSatisfy { "0123456789*#ABCDw".contains($0) } && (1...32).contains(text.count))
            } catch {
                #expect(text.isEmpty || text.count > 32 || text.contains { !"0123456789*#ABCDw".contains($0) })
            }
        }
    }
}
