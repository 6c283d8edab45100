import Foundation
import Testing
import SwitchboardAudio

@Suite("PCM16 samples, levels and durations")
struct PCM16Tests {
    @Test("bytes are little-endian, both ways")
    func littleEndian() throws {
        let bytes: [UInt8] = [0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F, 0x34, 0x12]
        let samples = try PCM16.samples(fromLittleEndian: bytes)
        #expect(samples == [1, -1, .min, .max, 0x1234])
        #expect(PCM16.littleEndianBytes(of: samples) == bytes)
    }

    @Test("unaligned input and appending keep what is there")
    func unalignedAppend() throws {
        let bytes: [UInt8] = [0xAA, 0x02, 0x00, 0x03, 0x00]
        var samples: [Int16] = [7]
        try bytes.withUnsafeBytes { raw in
            try PCM16.appendSamples(fromLittleEndian: UnsafeRawBufferPointer(rebasing: raw[1...]), to: &samples)
        }
        #expect(samples == [7, 2, 3])
        var out: [UInt8] = [9]
        [Int16(2), 3].withUnsafeBufferPointer { PCM16.appendLittleEndianBytes(of: $0, to: &out) }
        #expect(out == [9, 2, 0, 3, 0])
    }

    @Test("an odd byte count is half a sample: an error, and nothing appended")
    func oddCount() {
        var samples: [Int16] = [5]
        #expect(throws: AudioError.oddByteCount) {
            try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try PCM16.appendSamples(fromLittleEndian: $0, to: &samples) }
        }
        #expect(samples == [5])
    }

    @Test("levels: full-scale square 0 dBFS, full-scale sine −3 dBFS, silence −∞")
    func levels() {
        let square = (0..<480).map { $0 % 2 == 0 ? Int16.max : Int16.min }
        #expect(abs(PCM16.dBFS(square)) < 0.01)
        let sine = (0..<2_400).map { Int16((32_767 * sin(2 * Double.pi * 1_000 * Double($0) / 24_000)).rounded()) }
        #expect(abs(PCM16.dBFS(sine) + 3.01) < 0.02)
        #expect(abs(PCM16.rms(sine) - 0.7071) < 0.001)
        #expect(PCM16.dBFS([Int16](repeating: 0, count: 100)) == -.infinity)
        #expect(PCM16.rms([]) == 0)
        #expect(abs(PCM16.amplitude(decibels: -6.0206) - 0.5) < 1e-4)
    }

    @Test("durations of byte counts at a rate")
    func durations() {
        #expect(PCM16.duration(byteCount: 48_000, sampleRate: 24_000) == .seconds(1))
        #expect(PCM16.duration(byteCount: 160, sampleRate: 8_000, bytesPerSample: 1) == .milliseconds(20))
        #expect(PCM16.duration(byteCount: 441, sampleRate: 22_050, bytesPerSample: 1) == .milliseconds(20))
        #expect(PCM16.milliseconds(byteCount: 960, sampleRate: 24_000) == 20)
        #expect(PCM16.milliseconds(sampleCount: 12_000, sampleRate: 24_000) == 500)
        #expect(PCM16.sampleCount(milliseconds: 300, sampleRate: 22_050) == 6_615)
    }

    @Test("mixing and gain saturate instead of wrapping")
    func mixAndGain() {
        var destination: [Int16] = [30_000, -30_000, 100]
        PCM16.mix([10_000, -10_000, 1, 5], into: &destination)
        #expect(destination == [.max, .min, 101, 5])
        var samples: [Int16] = [1_000, -1_000, 20_000, -20_000, 3]
        PCM16.applyGain(2, to: &samples)
        #expect(samples == [2_000, -2_000, .max, .min, 6])
        var halved: [Int16] = [1_000, -1_000]
        PCM16.applyGain(decibels: -6.0206, to: &halved)
        #expect(halved == [500, -500])
    }
}
