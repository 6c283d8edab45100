import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the top-level `type` of a JSON event from its bytes without decoding the rest.
///
/// Only top-level members are looked at (an item can carry a nested `"type"`). When `type` is the
/// first member, as every realtime SDK writes it, the cost is a few comparisons; otherwise the
/// values before it are skipped byte by byte, strings with a tight scan for the closing quote.
public enum TypePeek {
    /// What the peek found.
    public enum Result: Equatable, Sendable {
        /// The bytes of the `type` value (without quotes) at this range of the input.
        case type(Range<Int>)
        /// A JSON object with no top-level `type` member.
        case missing
        /// Not a JSON object, or broken before `type` was found.
        case malformed
    }

    /// Peeks at the readable bytes of a buffer.
    @inlinable
    public static func peek(_ buffer: ByteBuffer) -> Result {
        buffer.withUnsafeReadableBytes { peek($0) }
    }

    /// The `type` of the event in `buffer` as a string, or `nil` when it has none or is malformed.
    public static func typeString(_ buffer: ByteBuffer) -> String? {
        buffer.withUnsafeReadableBytes { raw in
            guard case .type(let range) = peek(raw) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
        }
    }

    /// Peeks at raw bytes.
    @inlinable
    public static func peek(_ bytes: UnsafeRawBufferPointer) -> Result {
        result(MemberPeek.scan("type", in: bytes), bytes)
    }

    /// Peeks at an untrusted peer's event: every top-level member is read, and an event with
    /// two `type` members is `.malformed` (the hub would act on one type while the model
    /// reads the other), so the full decoder reports it.
    @inlinable
    public static func peekUnique(_ bytes: UnsafeRawBufferPointer) -> Result {
        result(MemberPeek.scanUnique("type", in: bytes), bytes)
    }

    @inlinable
    static func result(_ scan: MemberPeek.Scan, _ bytes: UnsafeRawBufferPointer) -> Result {
        switch scan {
        case .found(let value):
            guard value.count >= 2, bytes[value.lowerBound] == UInt8(ascii: "\"") else { return .malformed }
            let inner = (value.lowerBound + 1)..<(value.upperBound - 1)
            // An escaped type is legal JSON but no realtime event has one: leave it to the full decoder.
            for j in inner where bytes[j] == UInt8(ascii: "\\") { return .malformed }
            return .type(inner)
        case .missing:
            return .missing
        case .malformed:
            return .malformed
        }
    }

    /// The index of the closing quote of a string whose content starts at `from`.
    @inlinable
    static func scanString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        // memchr finds the next quote (audio payloads are kilobytes of base64 with none); the
        // quote ends the string unless an odd run of backslashes escapes it.
        guard let base = bytes.baseAddress else { return nil }
        var i = start
        let n = bytes.count
        while i < n {
            guard let hit = memchr(base + i, Int32(UInt8(ascii: "\"")), n - i) else { return nil }
            let q = base.distance(to: UnsafeRawPointer(hit))
            var backslashes = 0
            var j = q - 1
            while j >= start, bytes[j] == UInt8(ascii: "\\") {
                backslashes += 1
                j -= 1
            }
            if backslashes % 2 == 0 { return q }
            i = q + 1
        }
        return nil
    }

    /// The index just past the value starting at `from`.
    @inlinable
    static func skipValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let n = bytes.count
        var i = start
        guard i < n else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            guard let end = scanString(bytes, from: i + 1) else { return nil }
            return end + 1
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < n {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    guard let end = scanString(bytes, from: i + 1) else { return nil }
                    i = end + 1
                    continue
                }
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return nil
        default:
            // number, true, false, null
            while i < n {
                let b = bytes[i]
                if b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]")
                    || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
                {
                    return i
                }
                i += 1
            }
            return i
        }
    }

    /// Whether the bytes at `range` equal `name`.
    @inlinable
    public static func matches(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard range.count == count else { return false }
        let p = name.utf8Start
        var j = 0
        // Compare from the end: realtime names share long prefixes.
        j = count - 1
        while j >= 0 {
            if bytes[range.lowerBound + j] != p[j] { return false }
            j -= 1
        }
        return true
    }
}
