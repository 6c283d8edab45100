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
        let count = payload.readableBytes
        var out = allocator.buffer(capacity: count + headroom)
        out.moveWriterIndex(forwardBy: headroom)
        out.moveReaderIndex(forwardBy: headroom)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { destination in
            payload.withUnsafeReadableBytes { source in
                xorCopy(from: source, to: destination, key: key)
            }
            return count
        }
        return out
    }

    /// Masks (or unmasks) the readable bytes of `buffer` in place with `key`.
    public static func mask(_ buffer: inout ByteBuffer, key: WebSocketMaskingKey) {
        buffer.withUnsafeMutableReadableBytes { bytes in
            xorCopy(from: UnsafeRawBufferPointer(bytes), to: bytes, key: key)
        }
    }

    /// Prepends a final text frame header (masked with `key` when given) if `buffer` has room
    /// before its payload; returns whether it did.
    public static func prependTextHeader(_ buffer: inout ByteBuffer, maskKey: WebSocketMaskingKey?) -> Bool {
        let length = buffer.readableBytes
        let lengthBytes = length < 126 ? 0 : (length <= 0xFFFF ? 2 : 8)
        let headerSize = 2 + lengthBytes + (maskKey == nil ? 0 : 4)
        guard buffer.readerIndex >= headerSize else { return false }
        var index = buffer.readerIndex - headerSize
        buffer.moveReaderIndex(to: index)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        index += buffer.setInteger(UInt8(0x81), at: index)
        switch lengthBytes {
        case 0: index += buffer.setInteger(UInt8(length) | maskBit, at: index)
        case 2:
            index += buffer.setInteger(UInt8(126) | maskBit, at: index)
            index += buffer.setInteger(UInt16(length), at: index)
        default:
            index += buffer.setInteger(UInt8(127) | maskBit, at: index)
            index += buffer.setInteger(UInt64(length), at: index)
        }
        if let maskKey { buffer.setBytes(maskKey, at: index) }
        return true
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

/// Sits next to the socket in a WebSocket pipeline so a handler can write finished frames
/// (header and payload already in one buffer) past the frame encoder.
public final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler, @unchecked Sendable {
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer
    /// The context to write finished frames to; valid on the channel's event loop while added.
    public private(set) var context: ChannelHandlerContext?

    public init() {}

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    public func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }
}
