/// Base64 checks without decoding into memory.
enum Base64 {
    /// The number of bytes `text` decodes to, or `nil` when it is not valid standard base64.
    static func decodedCount(_ text: String) -> Int? {
        var count = 0
        var padding = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                guard padding == 0 else { return nil }
                count += 1
            case UInt8(ascii: "="):
                padding += 1
                guard padding <= 2 else { return nil }
            default:
                return nil
            }
        }
        guard (count + padding) % 4 == 0 else { return nil }
        return (count + padding) / 4 * 3 - padding
    }
}
