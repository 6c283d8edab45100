import NIOCore

/// Finds the value of one top-level string member of a JSON object without decoding the rest:
/// the phone bridges read `delta` and `item_id` of every audio event and `payload` of every
/// media-stream frame this way, many times a second per call.
public enum MemberPeek {
    /// The byte range of the value (any JSON value, quotes included for a string) of the
    /// top-level member `key`, or `nil` when there is none or the bytes are not an object.
    @inlinable
    public static func value(_ key: StaticString, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        var i = 0
        let n = bytes.count
        @inline(__always) func skipSpace() {
            while i < n {
                let b = bytes[i]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
            }
        }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard let keyEnd = TypePeek.scanString(bytes, from: keyStart) else { return nil }
            let isKey = TypePeek.matches(bytes, keyStart..<keyEnd, key)
            i = keyEnd + 1
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard i < n, let next = TypePeek.skipValue(bytes, from: i) else { return nil }
            if isKey { return i..<next }
            i = next
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
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
