import Foundation

/// Reads 16-bit PCM WAV files (RIFF, `fmt ` format 1, any channel count: the first channel is kept).
struct WAVFile {
    var sampleRate: Int
    var samples: [Int16]

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    init(contentsOf url: URL) throws {
        try self.init(data: Data(contentsOf: url))
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        func uint32(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24 }
        func uint16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        func tag(_ offset: Int) -> String { String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else { throw ReadError(description: "not a RIFF/WAVE file") }
        var offset = 12
        var format: (channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let name = tag(offset)
            // Streaming writers leave sizes as 0 or 0xFFFFFFFF: clamp to what is there.
            let size = min(uint32(offset + 4), bytes.count - offset - 8)
            let body = offset + 8
            if name == "fmt " {
                guard uint16(body) == 1 else { throw ReadError(description: "not integer PCM") }
                format = (uint16(body + 2), uint32(body + 4), uint16(body + 14))
            } else if name == "data" {
                guard let format, format.bits == 16, format.channels >= 1 else { throw ReadError(description: "not 16-bit PCM") }
                let frameSize = 2 * format.channels
                let frames = size / frameSize
                sampleRate = format.rate
                samples = (0..<frames).map { Int16(bitPattern: UInt16(uint16(body + $0 * frameSize))) }
                return
            }
            offset = body + size + (size & 1)
        }
        throw ReadError(description: "no data chunk")
    }
}
