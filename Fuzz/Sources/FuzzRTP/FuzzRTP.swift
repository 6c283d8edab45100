// RTP and RFC 4733 telephone events from a caller's media port: RTPPacket(parsing:) and its
// serialization, the RTCP check, TelephoneEvent and the DTMF detector, and the jitter buffer over
// a stream of packets (reordering, duplicates, jumps, payload-type filtering, playout).
//
// Input: an options byte (audio and telephone-event payload types are `0/8` and `101`, or taken
// from the next two bytes when bit 0 is set), then packets, each a 2-byte big-endian length and
// that many bytes; a pop from the jitter buffer follows each packet.
import FuzzSupport
import SwitchboardSIP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let options = reader.byte()
    var audio: UInt8 = options & 2 == 0 ? 0 : 8
    var event: UInt8 = 101
    if options & 1 != 0 {
        audio = reader.byte() & 0x7F
        event = reader.byte() & 0x7F
    }
    var jitter = JitterBuffer(configuration: .init(audioPayloadType: audio, telephoneEventPayloadType: event))
    var detector = DTMFDetector()
    var packets = 0
    while !reader.isEmpty, packets < 256 {
        packets += 1
        let length = Int(reader.uint16() % 1500)
        let datagram = reader.take(length)
        _ = RTPPacket.looksLikeRTCP(datagram)
        guard let packet = try? RTPPacket(parsing: datagram) else {
            _ = jitter.pop()
            continue
        }
        let serialized = packet.serialized()
        let reparsed = try? RTPPacket(parsing: serialized)
        invariant(reparsed == packet, "RTP packet changes through serialize and parse")
        if let telephone = TelephoneEvent(payload: packet.payload) {
            _ = telephone.digit
            invariant(TelephoneEvent(payload: telephone.payload)?.event == telephone.event, "telephone-event round trip")
        }
        if packet.payloadType == event {
            _ = detector.receive(packet)
        }
        _ = jitter.insert(packet)
        _ = jitter.pop()
        if options & 4 != 0 { _ = jitter.pop() }
    }
    for _ in 0..<30 { _ = jitter.pop() }
    _ = jitter.statistics
    return 0
}
