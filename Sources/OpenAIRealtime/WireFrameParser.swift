import NIOCore
import NIOWebSocket

/// One WebSocket frame as it lies in the bytes read from a socket: slices of the read, nothing copied.
public struct WireFrame {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    /// The key the payload is masked with (frames from a client), or nil (frames from a server).
    public var maskKey: WebSocketMaskingKey?
    /// The payload, still masked when `maskKey` is set.
    public var payload: ByteBuffer
    /// Header and payload exactly as read. An unmasked frame can be written on to another peer as is.
    public var wire: ByteBuffer

    /// The frame as NIO's `WebSocketFrame`, for the rare paths (control frames, fragments).
    public var frame: WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, maskKey: maskKey, data: payload)
    }
}

/// Splits the bytes read from a WebSocket connection into frames, in place: a frame that lies
/// whole in one read costs no copy and no allocation (NIO's decoder allocates a frame object per
/// frame). Only a frame cut across reads is collected into a buffer of its own.
///
/// It checks what RFC 6455 §5.2 requires of every frame: no reserved bits (no extension is
/// negotiated), a known opcode, control frames final and at most 125 bytes, a 64-bit length
/// with its top bit clear, and the largest frame the connection accepts.
public struct WireFrameParser {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A frame longer than `maxFrameSize`.
        case tooLarge(Int)
        /// A frame RFC 6455 forbids; the reason is fit for a close frame.
        case protocolError(String)

        public var description: String {
            switch self {
            case .tooLarge(let length): "a frame of \(length) bytes is larger than allowed"
            case .protocolError(let reason): reason
            }
        }
    }

    public let maxFrameSize: Int
    /// The start of a frame cut across reads, in a buffer of its own.
    private var pending: ByteBuffer?

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes of an incomplete frame held until the next read.
    public var pendingBytes: Int { pending?.readableBytes ?? 0 }

    /// Calls `body` with each whole frame in what was held plus `input`, in order, and keeps the
    /// bytes of an incomplete last frame. After a failure the connection must be closed.
    public mutating func read(_ input: ByteBuffer, allocator: ByteBufferAllocator, _ body: (WireFrame) throws -> Void) throws {
        if var cumulation = pending {
            pending = nil
            var more = input
            cumulation.writeBuffer(&more)
            _ = try drain(&cumulation, body)
            if cumulation.readableBytes > 0 {
                cumulation.discardReadBytes()
                pending = cumulation
            }
        } else {
            var buffer = input
            let cutFrameSize = try drain(&buffer, body)
            if buffer.readableBytes > 0 {
                // The rest of the read is let go (the socket reuses its buffer), the start of the
                // cut frame kept, with room for the bytes still to come when their length is known.
                var rest = allocator.buffer(capacity: max(buffer.readableBytes, cutFrameSize ?? 0))
                rest.writeBuffer(&buffer)
                pending = rest
            }
        }
    }

    /// Hands over the whole frames at the front of `buffer`. Returns the size of the frame cut
    /// at its end when its header is complete.
    private mutating func drain(_ buffer: inout ByteBuffer, _ body: (WireFrame) throws -> Void) throws -> Int? {
        while buffer.readableBytes >= 2 {
            let start = buffer.readerIndex
            guard case .complete(let header) = try Self.parseHeader(buffer, at: start, maxFrameSize: maxFrameSize) else { return nil }
            let total = header.headerSize + header.length
            guard buffer.readableBytes >= total,
                  let wire = buffer.getSlice(at: start, length: total),
                  let payload = buffer.getSlice(at: start + header.headerSize, length: header.length) else { return total }
            buffer.moveReaderIndex(forwardBy: total)
            try body(WireFrame(fin: header.fin, opcode: header.opcode, maskKey: header.maskKey, payload: payload, wire: wire))
        }
        return nil
    }

    struct Header {
        var fin: Bool
        var opcode: WebSocketOpcode
        var maskKey: WebSocketMaskingKey?
        var length: Int
        var headerSize: Int
    }

    enum HeaderResult {
        case complete(Header)
        case incomplete
    }

    /// The header of the frame at `index`, checked, or `.incomplete` when its bytes are not all there.
    static func parseHeader(_ buffer: ByteBuffer, at index: Int, maxFrameSize: Int) throws(Failure) -> HeaderResult {
        guard let first = buffer.getInteger(at: index, as: UInt8.self),
              let second = buffer.getInteger(at: index + 1, as: UInt8.self) else { return .incomplete }
        guard first & 0x70 == 0 else { throw .protocolError("reserved bits set without a negotiated extension") }
        let code = first & 0x0F
        guard code <= 0x2 || (code >= 0x8 && code <= 0xA), let opcode = WebSocketOpcode(encodedWebSocketOpcode: code) else {
            throw .protocolError("unknown opcode \(code)")
        }
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        var size = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: index + 2, as: UInt16.self) else { return .incomplete }
            length = Int(extended)
            size += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: index + 2, as: UInt64.self) else { return .incomplete }
            guard extended & (1 << 63) == 0 else { throw .protocolError("a frame length with its most significant bit set") }
            // Anything past the limit is refused before it is turned into an Int.
            guard extended <= UInt64(maxFrameSize) else { throw .tooLarge(Int(clamping: extended)) }
            length = Int(extended)
            size += 8
        }
        if opcode.isControlOpcode {
            guard fin else { throw .protocolError("a fragmented control frame") }
            guard length <= 125 else { throw .protocolError("a control frame longer than 125 bytes") }
        }
        guard length <= maxFrameSize else { throw .tooLarge(length) }
        var key: WebSocketMaskingKey?
        if masked {
            guard let bits = buffer.getInteger(at: index + size, as: UInt32.self) else { return .incomplete }
            key = WebSocketMaskingKey(networkBits: bits)
            size += 4
        }
        return .complete(Header(fin: fin, opcode: opcode, maskKey: key, length: length, headerSize: size))
    }
}

extension WebSocketMaskingKey {
    /// The key whose four bytes, in order, are `bits` read big-endian, built without the
    /// allocations of NIO's collection initialiser. (NIO's `init(networkRepresentation:)` is not
    /// public; its `random(using:)` draws exactly that from one `next()`: `WireFrameParserTests`
    /// checks the two agree.)
    init(networkBits bits: UInt32) {
        var source = OneDraw(value: UInt64(bits))
        self = .random(using: &source)
    }
}

/// A generator that returns one fixed value.
private struct OneDraw: RandomNumberGenerator {
    let value: UInt64
    mutating func next() -> UInt64 { value }
}
