/// A reply from Redis, typed.
public enum RedisValue: Sendable, Hashable {
    /// A bulk string: bytes, binary-safe.
    case bytes([UInt8])
    /// A simple status reply such as `OK` or `PONG`.
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    /// The nil bulk string or nil array (a missing key).
    case null
    /// An error reply. The client throws a top-level error reply as `RedisError`; this case is
    /// seen only inside arrays (for example in the results of `EXEC`).
    case error(String)

    /// The value as text: bulk strings decoded as UTF-8, status replies, integers in decimal.
    public var string: String? {
        switch self {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The value as an integer: integer replies, and bulk strings holding a decimal number.
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .bytes(let bytes): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }
}
