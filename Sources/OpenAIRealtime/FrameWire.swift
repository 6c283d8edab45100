import NIOCore
import NIOWebSocket

/// Byte-level helpers for the audio fast path: unmasking into a buffer that has room for a
/// frame header, masking in place eight bytes at a time, and writing a text frame's header in
/// front of its payload, so a client's frame becomes a model's frame with one copy.
public enum FrameWire {
    /// Room left before a payload for the largest client frame header (2 + 8 + 4 bytes).
    public static let headroom = 14

    /// A copy of `payload` unmasked with `key` (if any), with `headroom` bytes free before it.
    public static func unmaskedCopy(_ payload: ByteBuffer, key: WebSocketMaskingKey?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: payload.readableBytes + headroom)
        unmaskedCopy(payload, key: key, into: &out)
        return out
    }

    /// `payload` unmasked with `key` (if any) into `out`, emptied first (its storage is reused
    /// when `out` is its only reference), with `headroom` bytes free before it.
    public static func unmaskedCopy(_ payload: ByteBuffer, key: WebSocketMaskingKey?, into out: inout ByteBuffer) {
        let count = payload.readableBytes
        out.clear(minimumCapacity: count + headroom)
        out.moveWriterIndex(forwardBy: headroom)
        out.moveReaderIndex(forwardBy: headroom)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            payload.withUnsafeReadableBytes { source in
                xorCopy(from: source, to: destination, key: key)
            }
            return count
        }
    }

    /// Masks (or unmasks) the readable bytes of `buffer` in place with `key`.
    public static func mask(_ buffer: inout ByteBuffer, key: WebSocketMaskingKey) {
        buffer.withUnsafeMutableReadableBytes { bytes in
            xorCopy(from: UnsafeRawBufferPointer(bytes), to: bytes, key: key)
        }
    }

    /// The size of a text frame header for a payload of `length` bytes.
    public static func textHeaderSize(payloadLength length: Int, masked: Bool) -> Int {
        2 + (length < 126 ? 0 : (length <= 0xFFFF ? 2 : 8)) + (masked ? 4 : 0)
    }

    /// Prepends a final text frame header (masked with `key` when given) if `buffer` has room
    /// before its payload; returns whether it did.
    public static func prependTextHeader(_ buffer: inout ByteBuffer, maskKey: WebSocketMaskingKey?) -> Bool {
        prependHeader(&buffer, opcode: .text, maskKey: maskKey)
    }

    /// Prepends a final frame header of `opcode` (masked with `key` when given) if `buffer` has
    /// room before its payload; returns whether it did.
    public static func prependHeader(_ buffer: inout ByteBuffer, opcode: WebSocketOpcode, maskKey: WebSocketMaskingKey?) -> Bool {
        let length = buffer.readableBytes
        let headerSize = textHeaderSize(payloadLength: length, masked: maskKey != nil)
        guard buffer.readerIndex >= headerSize else { return false }
        var index = buffer.readerIndex - headerSize
        buffer.moveReaderIndex(to: index)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        index += buffer.setInteger(0x80 | UInt8(webSocketOpcode: opcode), at: index)
        if length < 126 {
            index += buffer.setInteger(UInt8(length) | maskBit, at: index)
        } else if length <= 0xFFFF {
            index += buffer.setInteger(UInt8(126) | maskBit, at: index)
            index += buffer.setInteger(UInt16(length), at: index)
        } else {
            index += buffer.setInteger(UInt8(127) | maskBit, at: index)
            index += buffer.setInteger(UInt64(length), at: index)
        }
        if let maskKey { buffer.setBytes(maskKey, at: index) }
        return true
    }

    /// Buffers handed back once written, for the next frames: a frame's buffer is taken again
    /// when the socket has let go of it (its only reference is here). Bounded in count and in the
    /// size of the buffers kept, so a rare large frame is not held for the session's life.
    public struct Recycler {
        private var buffers: [ByteBuffer] = []
        public static let count = 4
        public static let largestKept = 16 * 1024

        public init() {}

        /// A buffer this is the only owner of, or nil when every kept buffer is still being written.
        public mutating func take() -> ByteBuffer? {
            for index in buffers.indices where buffers[index].modifyIfUniquelyOwned({ _ in true }) == true {
                buffers.swapAt(index, buffers.count - 1)
                return buffers.removeLast()
            }
            return nil
        }

        /// Keeps `buffer` (being written) for a later `take`.
        public mutating func keep(_ buffer: ByteBuffer) {
            guard buffers.count < Self.count, buffer.capacity <= Self.largestKept else { return }
            buffers.append(buffer)
        }
    }

    /// A whole final frame of `opcode` carrying `payload`, masked with `maskKey` when given, in
    /// one buffer: for the writes of a handler that stands before the frame encoder.
    public static func frame(_ opcode: WebSocketOpcode, payload: ByteBuffer, maskKey: WebSocketMaskingKey?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = unmaskedCopy(payload, key: nil, allocator: allocator)
        if let maskKey { mask(&frame, key: maskKey) }
        // The copy leaves `headroom` bytes, room for the largest header.
        _ = prependHeader(&frame, opcode: opcode, maskKey: maskKey)
        return frame
    }

    /// `destination[i] = source[i] ^ key[i % 4]`, eight bytes at a time. The buffers may be the same.
    @inline(__always)
    static func xorCopy(from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer, key: WebSocketMaskingKey?) {
        let count = source.count
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        guard let key else {
            if src != UnsafeRawPointer(dst) { dst.copyMemory(from: src, byteCount: count) }
            return
        }
        let k = (UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24)
        let wide = UInt64(k) | UInt64(k) << 32
        var i = 0
        while i + 8 <= count {
            let word = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            dst.storeBytes(of: word ^ wide, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self) ^ key[i & 3], toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}

/// Collects a WebSocket message sent in fragments (a first frame without FIN, then
/// continuations), so a handler can assemble the rare fragmented message itself instead of
/// routing every frame through an aggregating handler.
public struct FragmentAssembler {
    /// What adding a frame gave.
    public enum Outcome {
        /// A whole message, unmasked (with `FrameWire.headroom` free before it).
        case message(opcode: WebSocketOpcode, payload: ByteBuffer)
        /// More fragments are expected.
        case pending
        /// The message would exceed the limit; what was collected is dropped.
        case tooLarge
        /// Fragments out of order; what was collected is dropped.
        case protocolError(String)
    }

    /// The largest message, in bytes.
    public let limit: Int
    private var current: (opcode: WebSocketOpcode, payload: ByteBuffer)?

    public init(limit: Int) {
        self.limit = limit
    }

    /// Whether a fragmented message is being collected.
    public var isAssembling: Bool { current != nil }

    /// Adds a text, binary or continuation frame.
    public mutating func add(_ frame: WebSocketFrame, allocator: ByteBufferAllocator) -> Outcome {
        var message: (opcode: WebSocketOpcode, payload: ByteBuffer)
        if frame.opcode == .continuation {
            guard let started = current else { return .protocolError("continuation frame without a message to continue") }
            current = nil
            message = started
            guard message.payload.readableBytes + frame.length <= limit else { return .tooLarge }
            var piece = frame.unmaskedData
            message.payload.writeBuffer(&piece)
        } else {
            guard current == nil else {
                current = nil
                return .protocolError("a new message started before the previous one ended")
            }
            guard frame.length <= limit else { return .tooLarge }
            message = (frame.opcode, FrameWire.unmaskedCopy(frame.data, key: frame.maskKey, allocator: allocator))
        }
        guard frame.fin else {
            current = message
            return .pending
        }
        return .message(opcode: message.opcode, payload: message.payload)
    }
}
