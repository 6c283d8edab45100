import Testing
@testable import SwitchboardSIP

@Suite struct JitterBufferTests {
    private func packet(_ sequence: UInt16, ssrc: UInt32 = 1, payloadType: UInt8 = 0) -> RTPPacket {
        RTPPacket(payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 160, ssrc: ssrc,
                  payload: [UInt8(truncatingIfNeeded: sequence)])
    }

    /// Pops `count` ticks and describes them: sequence numbers, "C" for concealment, "-" for idle.
    private func drain(_ buffer: inout JitterBuffer, _ count: Int) -> [String] {
        (0..<count).map { _ in
            switch buffer.pop() {
            case .audio(let packet): String(packet.sequenceNumber)
            case .concealment: "C"
            case .idle: "-"
            }
        }
    }

    @Test func waitsForTargetDepthThenPlaysInOrder() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 3))
        #expect(buffer.insert(packet(10)) == .buffered)
        #expect(drain(&buffer, 1) == ["-"])
        _ = buffer.insert(packet(11))
        #expect(drain(&buffer, 1) == ["-"])
        _ = buffer.insert(packet(12))
        #expect(drain(&buffer, 4) == ["10", "11", "12", "-"])
    }

    @Test func reordersPackets() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 3))
        for sequence: UInt16 in [3, 1, 2, 5, 4] { _ = buffer.insert(packet(sequence)) }
        #expect(drain(&buffer, 6) == ["1", "2", "3", "4", "5", "-"])
    }

    @Test func concealsLostPacketsAndDropsLateOnes() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2))
        for sequence: UInt16 in [1, 2, 4, 5] { _ = buffer.insert(packet(sequence)) }
        #expect(drain(&buffer, 3) == ["1", "2", "C"])
        #expect(buffer.insert(packet(3)) == .late)
        #expect(drain(&buffer, 2) == ["4", "5"])
        #expect(buffer.statistics.concealed == 1)
        #expect(buffer.statistics.late == 1)
    }

    @Test func dropsDuplicates() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2))
        #expect(buffer.insert(packet(1)) == .buffered)
        #expect(buffer.insert(packet(1)) == .duplicate)
        _ = buffer.insert(packet(2))
        #expect(drain(&buffer, 3) == ["1", "2", "-"])
        #expect(buffer.insert(packet(2)) == .late)
        #expect(buffer.statistics.duplicates == 1)
    }

    @Test func handlesSequenceWraparound() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 3))
        for sequence: UInt16 in [65534, 0, 65535, 1] { _ = buffer.insert(packet(sequence)) }
        #expect(drain(&buffer, 4) == ["65534", "65535", "0", "1"])
        #expect(buffer.insert(packet(65535)) == .late)
    }

    @Test func newSSRCResynchronises() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2))
        for sequence: UInt16 in [100, 101, 102] { _ = buffer.insert(packet(sequence)) }
        #expect(drain(&buffer, 1) == ["100"])
        _ = buffer.insert(packet(5000, ssrc: 2))
        _ = buffer.insert(packet(5001, ssrc: 2))
        #expect(drain(&buffer, 3) == ["5000", "5001", "-"])
        #expect(buffer.statistics.resynchronizations == 1)
    }

    @Test func largeSequenceJumpResynchronises() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 1, maximumJump: 100))
        _ = buffer.insert(packet(10))
        #expect(drain(&buffer, 1) == ["10"])
        #expect(buffer.insert(packet(30000)) == .buffered)
        #expect(drain(&buffer, 2) == ["30000", "-"])
        #expect(buffer.insert(packet(20)) == .buffered)  // far behind: a restarted stream, not a late packet
        #expect(drain(&buffer, 1) == ["20"])
    }

    @Test func overflowDropsOldestToBoundLatency() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2, maximumDepth: 5))
        for sequence: UInt16 in 1...6 { _ = buffer.insert(packet(sequence)) }
        #expect(buffer.depth == 2)
        #expect(buffer.statistics.overflowDropped == 4)
        #expect(drain(&buffer, 3) == ["5", "6", "-"])
    }

    @Test func underrunRebuffersAndSkipsGap() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2))
        for sequence: UInt16 in [1, 2] { _ = buffer.insert(packet(sequence)) }
        #expect(drain(&buffer, 3) == ["1", "2", "-"])
        _ = buffer.insert(packet(6))
        #expect(drain(&buffer, 1) == ["-"])
        _ = buffer.insert(packet(7))
        #expect(drain(&buffer, 2) == ["6", "7"])
    }

    @Test func separatesTelephoneEventsAndIgnoresOtherPayloadTypes() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 1, audioPayloadType: 0, telephoneEventPayloadType: 101))
        let start = RTPPacket(marker: true, payloadType: 101, sequenceNumber: 50, timestamp: 8000, ssrc: 1,
                              payload: TelephoneEvent(event: 5, isEnd: false, duration: 160).payload)
        let end = RTPPacket(payloadType: 101, sequenceNumber: 51, timestamp: 8000, ssrc: 1,
                            payload: TelephoneEvent(event: 5, isEnd: true, duration: 480).payload)
        #expect(buffer.insert(start) == .dtmf([]))
        guard case .dtmf(let digits) = buffer.insert(end) else {
            Issue.record("expected dtmf")
            return
        }
        #expect(digits.map(\.digit) == ["5"])
        #expect(buffer.insert(end) == .dtmf([]))
        #expect(buffer.insert(packet(52, payloadType: 13)) == .ignored)
        #expect(buffer.depth == 0)
        _ = buffer.insert(packet(53))
        #expect(drain(&buffer, 1) == ["53"])
    }
}
