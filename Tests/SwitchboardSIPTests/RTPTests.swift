import Testing
@testable import SwitchboardSIP

@Suite struct RTPPacketTests {
    @Test func roundTripsAllFields() throws {
        let packet = RTPPacket(marker: true, payloadType: 8, sequenceNumber: 0xBEEF, timestamp: 0xDEADBEEF, ssrc: 0x01020304,
                               csrcs: [7, 8], headerExtension: .init(profile: 0xBEDE, data: [1, 2, 3, 4]),
                               payload: [9, 9, 9], paddingLength: 4)
        let bytes = packet.serialized()
        #expect(bytes.count == 12 + 8 + 8 + 3 + 4)
        #expect(bytes[0] == 0b1011_0010)
        #expect(bytes[1] == 0x88)
        let parsed = try RTPPacket(parsing: bytes)
        #expect(parsed == packet)
    }

    @Test func parsesMinimalG711Packet() throws {
        var bytes: [UInt8] = [0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xA0, 0x12, 0x34, 0x56, 0x78]
        bytes += [UInt8](repeating: 0xFF, count: 160)
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.payloadType == 0)
        #expect(packet.marker == false)
        #expect(packet.sequenceNumber == 1)
        #expect(packet.timestamp == 160)
        #expect(packet.ssrc == 0x12345678)
        #expect(packet.payload.count == 160)
        #expect(packet.serialized() == bytes)
    }

    @Test func rejectsGarbage() {
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: [0x80, 0, 0]) }
        #expect(throws: RTPParseError.wrongVersion(1)) { try RTPPacket(parsing: [0x40] + [UInt8](repeating: 0, count: 20)) }
        // Declares 3 CSRCs but carries none.
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: [0x83] + [UInt8](repeating: 0, count: 11)) }
        // Extension header missing.
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: [0x90] + [UInt8](repeating: 0, count: 11)) }
        // Padding count of zero, and larger than the payload.
        #expect(throws: RTPParseError.badPadding) { try RTPPacket(parsing: [0xA0] + [UInt8](repeating: 0, count: 12)) }
        #expect(throws: RTPParseError.badPadding) { try RTPPacket(parsing: [0xA0] + [UInt8](repeating: 0, count: 11) + [1, 2, 50]) }
    }

    @Test func recognisesRTCP() {
        #expect(RTPPacket.looksLikeRTCP([0x80, 200, 0, 6]))
        #expect(!RTPPacket.looksLikeRTCP([0x80, 0, 0, 6]))
    }
}

@Suite struct RTPSenderTests {
    @Test func advancesSequenceAndTimestampAndMarksFirstPacket() {
        var sender = RTPSender(payloadType: 0, ssrc: 42, initialSequenceNumber: 65535, initialTimestamp: UInt32.max - 100)
        let first = sender.next(payload: [UInt8](repeating: 0xFF, count: 160))
        let second = sender.next(payload: [UInt8](repeating: 0xFF, count: 160))
        #expect(first.marker)
        #expect(!second.marker)
        #expect(first.sequenceNumber == 65535)
        #expect(second.sequenceNumber == 0)
        #expect(first.timestamp == UInt32.max - 100)
        #expect(second.timestamp == 59)
        #expect(first.ssrc == 42 && second.ssrc == 42)
    }

    @Test func skipAdvancesTimestampAndMarksNextPacket() {
        var sender = RTPSender(payloadType: 8, ssrc: 1, initialSequenceNumber: 10, initialTimestamp: 1000)
        _ = sender.next(payload: [UInt8](repeating: 0, count: 160))
        sender.skip(samples: 800)
        let packet = sender.next(payload: [UInt8](repeating: 0, count: 160))
        #expect(packet.marker)
        #expect(packet.sequenceNumber == 11)
        #expect(packet.timestamp == 1000 + 160 + 800)
        #expect(packet.payloadType == 8)
        sender.markTalkspurt()
        #expect(sender.next(payload: [0]).marker)
    }

    @Test func randomInitialState() {
        let senders = (0..<8).map { _ in RTPSender(payloadType: 0) }
        #expect(Set(senders.map(\.ssrc)).count > 1)
        #expect(Set(senders.map(\.sequenceNumber)).count > 1)
    }
}

@Suite struct TelephoneEventTests {
    @Test func parsesAndSerialisesEvents() throws {
        let event = try #require(TelephoneEvent(payload: [11, 0x8A, 0x03, 0x20]))
        #expect(event.event == 11)
        #expect(event.isEnd)
        #expect(event.volume == 10)
        #expect(event.duration == 800)
        #expect(event.digit == "#")
        #expect(event.payload == [11, 0x8A, 0x03, 0x20])
        #expect(TelephoneEvent(event: 10, isEnd: false, duration: 0).digit == "*")
        #expect(TelephoneEvent(event: 13, isEnd: false, duration: 0).digit == "B")
        #expect(TelephoneEvent(event: 5, isEnd: false, duration: 0).digit == "5")
        #expect(TelephoneEvent(event: 16, isEnd: false, duration: 0).digit == nil)
        #expect(TelephoneEvent(payload: [1, 2]) == nil)
    }

    private func eventPacket(_ event: UInt8, end: Bool, timestamp: UInt32, sequence: UInt16, duration: UInt16) -> RTPPacket {
        RTPPacket(marker: duration == 160, payloadType: 101, sequenceNumber: sequence, timestamp: timestamp, ssrc: 5,
                  payload: TelephoneEvent(event: event, isEnd: end, duration: duration).payload)
    }

    @Test func reportsOneDigitPerEventDespiteTripleEndPackets() {
        var detector = DTMFDetector()
        var digits: [Character] = []
        var sequence: UInt16 = 100
        for (event, timestamp) in [(UInt8(1), UInt32(8000)), (UInt8(1), UInt32(16000)), (UInt8(11), UInt32(24000))] {
            for step in 1...5 {
                digits += detector.receive(eventPacket(event, end: false, timestamp: timestamp, sequence: sequence, duration: UInt16(step * 160))).map(\.digit)
                sequence &+= 1
            }
            for _ in 0..<3 {
                digits += detector.receive(eventPacket(event, end: true, timestamp: timestamp, sequence: sequence, duration: 960)).map(\.digit)
                sequence &+= 1
            }
        }
        #expect(digits == ["1", "1", "#"])
    }

    @Test func reportsEventWhoseEndPacketsWereLost() {
        var detector = DTMFDetector()
        var digits: [DTMFDigit] = []
        digits += detector.receive(eventPacket(7, end: false, timestamp: 8000, sequence: 1, duration: 160))
        digits += detector.receive(eventPacket(7, end: false, timestamp: 8000, sequence: 2, duration: 320))
        #expect(digits.isEmpty)
        digits += detector.receive(eventPacket(8, end: false, timestamp: 16000, sequence: 3, duration: 160))
        #expect(digits.map(\.digit) == ["7"])
        #expect(digits.first?.duration == 320)
        digits += detector.receive(eventPacket(8, end: true, timestamp: 16000, sequence: 4, duration: 480))
        #expect(digits.map(\.digit) == ["7", "8"])
    }
}
