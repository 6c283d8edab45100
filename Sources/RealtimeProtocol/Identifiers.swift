/// Makes the identifiers realtime servers put on events, items and responses (`event_…`, `item_…`).
public enum RealtimeID {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// A new identifier: `prefix` + `_` + 20 random letters and digits.
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Array(prefix.utf8)
        bytes.append(UInt8(ascii: "_"))
        for _ in 0..<20 { bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A new server event id.
    public static func event() -> String { make("event") }
}
