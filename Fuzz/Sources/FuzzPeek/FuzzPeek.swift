// TypePeek and MemberPeek: the relay's and the phone bridges' byte-level routing of every frame,
// checked against the full decoder. A frame the decoder reads as event type T must never be
// routed by the peek as another type U (it would pass the hub's interception unexamined).
import FuzzSupport
import NIOCore
import RealtimeProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let peeked = TypePeek.peek(raw)
    if case .type(let range) = peeked {
        invariant(range.lowerBound >= 0 && range.upperBound <= size && range.lowerBound <= range.upperBound, "type range out of bounds")
    }
    for key in ["delta", "item_id", "event", "payload", "media", "track", "streamSid"] as [StaticString] {
        switch MemberPeek.scan(key, in: raw) {
        case .found(let range):
            // The scan is lenient: `{"event":}` is "found" with an empty value, which the readers
            // of a value (string, type) refuse; only the bounds matter here.
            invariant(range.lowerBound >= 0 && range.upperBound <= size, "member range out of bounds")
        case .missing, .malformed:
            break
        }
        if let range = MemberPeek.string(key, in: raw) {
            invariant(range.lowerBound >= 1 && range.upperBound < size, "member string range out of bounds")
        }
    }
    let buffer = ByteBuffer(bytes: raw)
    let typeString = TypePeek.typeString(buffer)
    _ = MemberPeek.string("delta", in: buffer)

    // Differential: the peek against the decoder the hub uses for intercepted events.
    if case .success(let event) = RealtimeEvent.decoding(buffer), let peekedType = typeString {
        invariant(peekedType == event.type,
                  "peek routes the frame as '\(peekedType)' but the decoder reads type '\(event.type)'")
    }
    return 0
}
