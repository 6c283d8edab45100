// WebSocket frames from the socket's bytes (WireFrameParser, the fast path's reader on both the
// client's and the model's connection): any bytes, delivered in any pieces.
//
// Input: an options byte (bit 0: a small frame limit of 300 bytes instead of 1 MiB), then
// pieces, each a 2-byte big-endian length and that many bytes. Invariants: no trap; the frames'
// wire bytes, in order, are exactly the input's first bytes; what is neither a frame nor
// refused is held as pending; each frame's header parses again from its own wire bytes to the
// same payload length; a masked payload unmasks to the same length.
import FuzzSupport
import NIOCore
@testable import OpenAIRealtime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let options = reader.byte()
    var parser = WireFrameParser(maxFrameSize: options & 1 == 0 ? 1 << 20 : 300)
    var input: [UInt8] = []
    var consumed: [UInt8] = []
    var failed = false
    let allocator = ByteBufferAllocator()
    var pieces = 0
    while !reader.isEmpty, pieces < 64, !failed {
        pieces += 1
        let piece = reader.take(Int(reader.uint16()))
        input += piece
        do {
            try parser.read(ByteBuffer(bytes: piece), allocator: allocator) { frame in
                let wire = Array(buffer: frame.wire)
                consumed += wire
                guard case .complete(let header)? = try? WireFrameParser.parseHeader(frame.wire, at: frame.wire.readerIndex, maxFrameSize: .max) else {
                    invariant(false, "a parsed frame's header does not parse again")
                    return
                }
                invariant(header.length == frame.payload.readableBytes, "payload length differs from the header's")
                invariant(header.headerSize + header.length == wire.count, "wire bytes are not header plus payload")
                invariant(frame.frame.unmaskedData.readableBytes == frame.payload.readableBytes, "unmasking changes the length")
            }
        } catch {
            failed = true
        }
    }
    invariant(Array(input.prefix(consumed.count)) == consumed, "frames are not the input's bytes in order")
    if !failed {
        invariant(consumed.count + parser.pendingBytes == input.count, "bytes neither framed nor pending")
    }
    return 0
}
