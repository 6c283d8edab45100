import NIOCore

/// Finds the value of one top-level string member of a JSON object without decoding the rest:
/// the phone bridges read `delta` and `item_id` of every audio event and `payload` of every
/// media-stream frame this way, many times a second per call.
public enum MemberPeek {
    /// What a scan for one top-level member found.
    public enum Scan: Equatable, Sendable {
        /// The member's value (any JSON value, quotes included for a string) is at this range.
        case found(Range<Int>)
        /// A JSON object without that member.
        case missing
        /// Not a JSON object, or broken before the member was found.
        case malformed
    }

    /// Scans the top-level members of the JSON object in `bytes` for `key`. Values before it are
    /// skipped without being decoded; when it comes first, as `type` does in every realtime
    /// event, the cost is a few comparisons.
    @inlinable
    public static func scan(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Scan {
        scan(key, in: bytes, unique: false)
    }

    /// Like `scan`, but reads every top-level member: an object that names `key` twice is
    /// `.malformed`. Parsers disagree on which of two equal keys wins (first or last), so a
    /// relay that acts on one must not pass on an event whose receiver may read the other.
    @inlinable
    public static func scanUnique(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Scan {
        scan(key, in: bytes, unique: true)
    }

    @inlinable
    static func scan(_ key: StaticString, in bytes: UnsafeRawBufferPointer, unique: Bool) -> Scan {
        var found: Range<Int>? = nil
        var i = 0
        let n = bytes.count
        @inline(__always) func skipSpace() {
            while i < n {
                let b = bytes[i]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
            }
        }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return .malformed }
        i += 1
        while true {
            skipSpace()
            guard i < n else { return .malformed }
            if bytes[i] == UInt8(ascii: "}") { return found.map(Scan.found) ?? .missing }
            guard bytes[i] == UInt8(ascii: "\"") else { return .malformed }
            let keyStart = i + 1
            guard let keyEnd = TypePeek.scanString(bytes, from: keyStart) else { return .malformed }
            let isKey = TypePeek.matches(bytes, keyStart..<keyEnd, key)
            // An escaped name (`"typ\u0065"`) may decode to `key`: only the full decoder can tell.
            if unique, !isKey {
                for j in keyStart..<keyEnd where bytes[j] == UInt8(ascii: "\\") { return .malformed }
            }
            i = keyEnd + 1
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return .malformed }
            i += 1
            skipSpace()
            guard i < n, let next = TypePeek.skipValue(bytes, from: i) else { return .malformed }
            if isKey {
                if !unique { return .found(i..<next) }
                if found != nil { return .malformed }
                found = i..<next
            }
            i = next
            skipSpace()
            guard i < n else { return .malformed }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { return found.map(Scan.found) ?? .missing }
            return .malformed
        }
    }

    /// The byte range of the value (any JSON value, quotes included for a string) of the
    /// top-level member `key`, or `nil` when there is none or the bytes are not an object.
    @inlinable
    public static func value(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard case .found(let range) = scan(key, in: bytes) else { return nil }
        return range
    }

    /// The byte range of the string value of the top-level member `key` (without its quotes),
    /// or `nil` when the object has no such member, its value is not a string, the value holds
    /// escapes (none of the members read this way ever does) or the bytes are not an object.
    @inlinable
    public static func string(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let range = value(key, in: bytes), range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\""),
              bytes[range.upperBound - 1] == UInt8(ascii: "\"") else { return nil }
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        for j in inner where bytes[j] == UInt8(ascii: "\\") { return nil }
        return inner
    }

    /// The string value of the top-level member `key` of the event in `buffer`.
    public static func string(_ key: StaticString, in buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { raw in
            string(key, in: raw).map { String(decoding: UnsafeRawBufferPointer(rebasing: raw[$0]), as: UTF8.self) }
        }
    }
}
