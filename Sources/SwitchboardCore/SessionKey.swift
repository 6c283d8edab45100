/// The key a conversation is stored under: a UUID for web and SDK clients, the caller's number
/// in E.164 for phone calls.
public struct SessionKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's text: a lowercase UUID or `+` and digits.
    public let rawValue: String

    /// What kind of key this is.
    public enum Kind: Sendable { case uuid, phoneNumber }
    public let kind: Kind

    /// Validates a key; `nil` for anything that is neither a UUID nor an E.164 number.
    public init?(_ text: String) {
        if let uuid = Self.normalisedUUID(text) {
            rawValue = uuid
            kind = .uuid
        } else if Self.isE164(text) {
            rawValue = text
            kind = .phoneNumber
        } else {
            return nil
        }
    }

    /// A new random UUID key.
    public static func random() -> SessionKey {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let chars = Array(hex)
        let text = String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
        return SessionKey(text)!
    }

    public var description: String { rawValue }

    /// The key with its middle hidden, for logs (`+4477…21`, `3f2a…9c1e`).
    public var redacted: String {
        let chars = Array(rawValue)
        guard chars.count > 8 else { return "…" }
        return String(chars.prefix(kind == .phoneNumber ? 4 : 4)) + "…" + String(chars.suffix(kind == .phoneNumber ? 2 : 4))
    }

    private static func normalisedUUID(_ text: String) -> String? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        for (i, byte) in utf8.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
            } else {
                let isHex = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
                guard isHex else { return nil }
            }
        }
        return text.lowercased()
    }

    private static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 3, utf8.count <= 16, utf8[0] == UInt8(ascii: "+") else { return false }
        guard utf8[1] >= UInt8(ascii: "1"), utf8[1] <= UInt8(ascii: "9") else { return false }
        return utf8.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
