import Crypto
import Foundation

/// Where a page of `records` ended: the `started_at` (milliseconds) and id of its last record.
/// Handed out as opaque text: base64url (no padding) of a version byte, the time as 8 bytes big
/// endian, the id's UTF-8 bytes and an 8-byte check (SHA-256 of the rest under a fixed label).
/// Reading refuses anything else with `CallStoreError(.badCursor)`: garbled text, a wrong
/// length, a failed check, an id that is not UTF-8 or a time out of range.
///
/// The check catches damage and edits, not a determined forger; a forged cursor still only
/// selects where a page of the caller's own query starts.
package struct CallCursor: Sendable, Equatable {
    package var startedAt: Int
    package var id: String

    package init(startedAt: Int, id: String) {
        self.startedAt = startedAt
        self.id = id
    }

    /// The cursor after `record`.
    package init(after record: CallRecord) {
        self.init(startedAt: CallTime.milliseconds(record.startedAt), id: record.id)
    }

    private static let version: UInt8 = 1
    private static let checkLength = 8
    private static let maximumIDLength = 256

    package var text: String {
        var bytes: [UInt8] = [Self.version]
        bytes += withUnsafeBytes(of: Int64(startedAt).bigEndian, Array.init)
        bytes += Array(id.utf8)
        bytes += Self.check(bytes)
        return Self.base64url(bytes)
    }

    package init(text: String) throws(CallStoreError) {
        let bad = CallStoreError(.badCursor, "the cursor is not one this service gave out")
        guard text.utf8.count <= 512, let bytes = Self.bytes(base64url: text) else { throw bad }
        let idLength = bytes.count - 1 - 8 - Self.checkLength
        guard idLength >= 1, idLength <= Self.maximumIDLength, bytes[0] == Self.version else { throw bad }
        let payload = Array(bytes[0..<(bytes.count - Self.checkLength)])
        guard Array(bytes[(bytes.count - Self.checkLength)...]) == Self.check(payload) else { throw bad }
        var time: UInt64 = 0
        for byte in bytes[1..<9] { time = time << 8 | UInt64(byte) }
        let started = Int(Int64(bitPattern: time))
        guard started >= CallTime.earliestMilliseconds, started <= CallTime.latestMilliseconds,
              let id = String(validating: bytes[9..<(9 + idLength)], as: UTF8.self)
        else { throw bad }
        self.init(startedAt: started, id: id)
    }

    private static func check(_ payload: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: Array("switchboard.calls.cursor".utf8))
        hash.update(data: payload)
        return Array(hash.finalize().prefix(checkLength))
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func base64url(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let a = UInt32(bytes[index])
            let b = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let c = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = a << 16 | b << 8 | c
            let remaining = bytes.count - index
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            if remaining > 1 { out.append(alphabet[Int(group >> 6 & 63)]) }
            if remaining > 2 { out.append(alphabet[Int(group & 63)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict base64url without padding: `nil` for any other character, a length that cannot
    /// be, or unused bits that are not zero (so each byte string has one text).
    static func bytes(base64url text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var group: UInt32 = 0
            for (offset, value) in chunk.enumerated() { group |= UInt32(value) << (18 - 6 * offset) }
            out.append(UInt8(group >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(group >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(group & 0xFF)) }
            // Bits past the last byte must be zero.
            if chunk.count == 2, group & 0xFFFF != 0 { return nil }
            if chunk.count == 3, group & 0xFF != 0 { return nil }
            index += 4
        }
        return out
    }
}

extension CallQuery {
    /// The page size a store uses: `limit` clamped to 1...`maximumLimit` (callers clamp already;
    /// this keeps a store from trapping on any value).
    package var clampedLimit: Int { min(max(limit, 1), Self.maximumLimit) }

    /// The query's time bounds in milliseconds.
    package var startedFromMilliseconds: Int? { startedFrom.map(CallTime.milliseconds) }
    package var startedBeforeMilliseconds: Int? { startedBefore.map(CallTime.milliseconds) }

    /// The decoded cursor, `nil` for the first page.
    package func decodedCursor() throws(CallStoreError) -> CallCursor? {
        guard let cursor else { return nil }
        return try CallCursor(text: cursor)
    }
}
