/// A decimal number read from the network, parsed strictly.
///
/// `Int(_:)` accepts a sign (`+5`, `-1`) and `UInt32(_:)` silently refuses what does not fit;
/// neither says *why* a value is unusable. Protocol numbers (Content-Length, CSeq, Max-Forwards,
/// ports, payload types, clock rates, ptime) are `1*DIGIT`: this tells malformed text apart from
/// a well-formed number that is out of range, so the first can get 400 and the second 488 (SDP)
/// or a precise reason, and nothing ever reaches a trapping conversion.
public enum DecimalNumber: Sendable, Hashable {
    /// One or more ASCII digits whose value fits in `Int`.
    case value(Int)
    /// Digits whose value does not fit in `Int`, or a signed number (`-1`, `+5`): well-formed
    /// enough to be a number, but never a valid protocol value.
    case outOfRange
    /// Empty, or not a number at all.
    case malformed

    /// Parses `text` (no surrounding white space is skipped).
    public init(_ text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        var signed = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            signed = true
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty else {
            self = .malformed
            return
        }
        var result = 0
        var overflow = false
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                self = .malformed
                return
            }
            if overflow { continue }
            let (times10, o1) = result.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte &- UInt8(ascii: "0")))
            if o1 || o2 { overflow = true } else { result = sum }
        }
        if overflow || signed {
            self = .outOfRange
        } else {
            self = .value(result)
        }
    }

    /// The value when it is well-formed and inside `range`, else nil.
    public func value(in range: ClosedRange<Int>) -> Int? {
        guard case .value(let number) = self, range.contains(number) else { return nil }
        return number
    }
}
