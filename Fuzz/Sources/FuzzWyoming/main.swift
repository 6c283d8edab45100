// The Wyoming protocol's reader (`WyomingEventDecoder`), fed what a speech server sends, in any
// pieces.
//
// Input: a byte of piece size (1–64), then the stream. Invariants: no trap; an event read is
// written and read back the same (type and payload; its data written the same); every length it holds is within the
// reader's bounds; after an error nothing more is read.
import FuzzSupport
import NIOCore
import SwitchboardWyoming

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let piece = Int(reader.byte() % 64) + 1
    let stream = reader.rest()
    var decoder = WyomingEventDecoder()
    var buffer = ByteBuffer()
    var offset = 0
    feeding: while offset < stream.count {
        let end = min(stream.count, offset + piece)
        buffer.writeBytes(stream[offset..<end])
        offset = end
        while true {
            let event: WyomingEvent?
            do {
                event = try decoder.decode(buffer: &buffer)
            } catch {
                break feeding
            }
            guard let event else { break }
            invariant(!event.type.isEmpty, "an event without a type")
            invariant(event.payload.count <= WyomingEventDecoder.maximumPayload, "a payload over the bound")
            var written = ByteBuffer()
            event.write(into: &written)
            let first = Array(written.readableBytesView)
            var again = WyomingEventDecoder()
            let back = try? again.decode(buffer: &written)
            invariant(back?.type == event.type && back?.payload == event.payload, "an event does not read back as written: \(event.type)")
            invariant(written.readableBytes == 0, "bytes left after an event read back")
            // Its data may read back as other number types (1.0 → 1); written again, it is the same.
            var rewritten = ByteBuffer()
            back?.write(into: &rewritten)
            invariant(Array(rewritten.readableBytesView) == first, "an event written, read and written again differs")
        }
    }
    return 0
}
