/// 16-bit signed little-endian mono PCM, the realtime protocol's `pcm16` (24 kHz) and the
/// working format of every other audio type here.
///
/// The conversions append into caller-owned arrays so that a connection can keep one buffer per
/// direction and reuse its capacity: nothing here allocates when the destination already has room.
public enum PCM16 {
    /// Bytes in one sample.
    public static let bytesPerSample = 2

    /// Appends the samples encoded little-endian in `bytes` to `samples`.
    ///
    /// - Throws: ``AudioError/oddByteCount`` when `bytes` ends in half a sample; nothing is appended.
    public static func appendSamples(
        fromLittleEndian bytes: UnsafeRawBufferPointer,
        to samples: inout [Int16]
    ) throws(AudioError) {
        guard bytes.count.isMultiple(of: 2) else { throw .oddByteCount(bytes.count) }
        let count = bytes.count / 2
        guard count > 0 else { return }
        let start = samples.count
        samples.append(contentsOf: repeatElement(0, count: count))
        samples.withUnsafeMutableBufferPointer { buffer in
            let destination = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[(start * 2)...])
            destination.copyMemory(from: bytes)
            #if _endian(big)
            for index in start..<buffer.count { buffer[index] = Int16(littleEndian: buffer[index]) }
            #endif
        }
    }

    /// The samples encoded little-endian in `bytes`.
    ///
    /// - Throws: ``AudioError/oddByteCount`` when `bytes` ends in half a sample.
    public static func samples(fromLittleEndian bytes: UnsafeRawBufferPointer) throws(AudioError) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(bytes.count / 2)
        try appendSamples(fromLittleEndian: bytes, to: &samples)
        return samples
    }

    /// The samples encoded little-endian in `bytes`.
    ///
    /// - Throws: ``AudioError/oddByteCount`` when `bytes` ends in half a sample.
    public static func samples(fromLittleEndian bytes: [UInt8]) throws(AudioError) -> [Int16] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(AudioError) in try samples(fromLittleEndian: raw) }
        }.get()
    }

    /// Appends `samples` encoded little-endian to `bytes`.
    public static func appendLittleEndianBytes(of samples: UnsafeBufferPointer<Int16>, to bytes: inout [UInt8]) {
        guard !samples.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: samples.count * 2))
        bytes.withUnsafeMutableBytes { buffer in
            let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[start...])
            #if _endian(little)
            destination.copyMemory(from: UnsafeRawBufferPointer(samples))
            #else
            for (index, sample) in samples.enumerated() {
                destination.storeBytes(of: sample.littleEndian, toByteOffset: index * 2, as: Int16.self)
            }
            #endif
        }
    }

    /// `samples` encoded little-endian.
    public static func littleEndianBytes(of samples: [Int16]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * 2)
        samples.withUnsafeBufferPointer { appendLittleEndianBytes(of: $0, to: &bytes) }
        return bytes
    }

    /// How many samples `milliseconds` of audio holds at `sampleRate` (rounded down). Total:
    /// negative inputs count as 0 and a product too large for `Int` saturates at `Int.max`.
    public static func sampleCount(milliseconds: Int, sampleRate: Int) -> Int {
        scaled(milliseconds, by: sampleRate, over: 1000)
    }

    /// How many whole milliseconds `sampleCount` samples last at `sampleRate`; 0 for a rate
    /// that is not positive, saturating instead of overflowing.
    public static func milliseconds(sampleCount: Int, sampleRate: Int) -> Int {
        scaled(sampleCount, by: 1000, over: sampleRate)
    }

    /// How long `byteCount` bytes of audio play at `sampleRate` with `bytesPerSample` bytes a
    /// sample (2 for PCM16, 1 for G.711); zero for a rate or sample size that is not positive.
    public static func duration(byteCount: Int, sampleRate: Int, bytesPerSample: Int = 2) -> Duration {
        guard sampleRate > 0, bytesPerSample > 0, byteCount > 0 else { return .zero }
        let samples = Int64(byteCount / bytesPerSample)
        let rate = Int64(sampleRate)
        let seconds = samples / rate
        let remainder = samples % rate
        // remainder < rate: its nanoseconds fit in 128 bits whatever the rate.
        let nanoseconds = Int64((Int128(remainder) * 1_000_000_000) / Int128(rate))
        return .seconds(seconds) + .nanoseconds(nanoseconds)
    }

    /// How many whole milliseconds `byteCount` bytes of audio play at `sampleRate`; 0 for a rate
    /// or sample size that is not positive, saturating instead of overflowing.
    public static func milliseconds(byteCount: Int, sampleRate: Int, bytesPerSample: Int = 2) -> Int {
        guard bytesPerSample > 0 else { return 0 }
        return scaled(byteCount / bytesPerSample, by: 1000, over: sampleRate)
    }

    /// `value × multiplier / divisor` for non-negative values, computed in 128 bits: 0 when any
    /// input is not positive, `Int.max` when the result does not fit.
    static func scaled(_ value: Int, by multiplier: Int, over divisor: Int) -> Int {
        guard value > 0, multiplier > 0, divisor > 0 else { return 0 }
        let result = Int128(value) * Int128(multiplier) / Int128(divisor)
        return Int(exactly: result) ?? .max
    }
}
