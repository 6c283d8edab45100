/// The 44-byte header of a PCM WAV file (RIFF, `fmt `, `data`), little-endian.
package struct WAVHeader: Sendable, Equatable {
    package static let size = 44

    package var channels: Int
    package var sampleRate: Int
    package var bitsPerSample: Int
    /// The bytes of audio after the header.
    package var dataBytes: Int

    package init(channels: Int = 2, sampleRate: Int = 8_000, bitsPerSample: Int = 16, dataBytes: Int = 0) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.bitsPerSample = bitsPerSample
        self.dataBytes = dataBytes
    }

    package var blockAlign: Int { channels * bitsPerSample / 8 }
    package var byteRate: Int { sampleRate * blockAlign }

    package var bytes: [UInt8] {
        // The sizes are 32-bit fields: a larger file (never recorded: the duration is bounded)
        // is capped rather than wrapped.
        let data = UInt32(clamping: dataBytes)
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8))
        put32(data > UInt32.max - 36 ? .max : data + 36)
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        put32(16)
        put16(1) // PCM
        put16(UInt16(clamping: channels))
        put32(UInt32(clamping: sampleRate))
        put32(UInt32(clamping: byteRate))
        put16(UInt16(clamping: blockAlign))
        put16(UInt16(clamping: bitsPerSample))
        out.append(contentsOf: Array("data".utf8))
        put32(data)
        return out
    }

    /// The header at the start of `bytes`, when it is one this writer makes (PCM, `fmt ` of
    /// 16 bytes, then `data`).
    package init?(parsing bytes: [UInt8]) {
        guard bytes.count >= Self.size, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<16].elementsEqual("WAVEfmt ".utf8),
              bytes[36..<40].elementsEqual("data".utf8) else { return nil }
        func get32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        func get16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard get32(16) == 16, get16(20) == 1 else { return nil }
        self.init(channels: get16(22), sampleRate: get32(24), bitsPerSample: get16(34), dataBytes: get32(40))
        guard get32(4) == dataBytes + 36, get32(28) == byteRate, get16(32) == blockAlign else { return nil }
    }
}
