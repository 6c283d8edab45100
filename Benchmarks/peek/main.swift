
let audio = String(repeating: "QUJDRA", count: 1280 / 6)
let frame = ByteBuffer(string: #"{"type":"input_audio_buffer.append","audio":"\#(audio)"}"#)
let withID = ByteBuffer(string: #"{"event_id":"evt_123","type":"input_audio_buffer.append","audio":"\#(audio)"}"#)
func time(_ name: String, _ buffer: ByteBuffer, _ body: (UnsafeRawBufferPointer) -> TypePeek.Result) {
    var hits = 0
    let n = 2_000_000
    let start = ContinuousClock.now
    for _ in 0..<n { buffer.withUnsafeReadableBytes { if case .type = body($0) { hits += 1 } } }
    let elapsed = ContinuousClock.now - start
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print(name, "\((ns / Double(n) * 10).rounded() / 10) ns/frame", hits == n)
}
time("peek (first member)      ", frame) { TypePeek.peek($0) }
time("peekUnique (whole frame) ", frame) { TypePeek.peekUnique($0) }
time("peek (type second)       ", withID) { TypePeek.peek($0) }
time("peekUnique (type second) ", withID) { TypePeek.peekUnique($0) }
