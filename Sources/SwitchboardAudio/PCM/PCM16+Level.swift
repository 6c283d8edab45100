#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension PCM16 {
    /// The root mean square of `samples` as a fraction of full scale (a full-scale square wave
    /// is 1, a full-scale sine ≈ 0.707); 0 for no samples.
    public static func rms(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum: Int64 = 0
        for sample in samples {
            let value = Int64(sample)
            sum &+= value * value
        }
        return (Double(sum) / Double(samples.count)).squareRoot() / 32_768
    }

    /// The root mean square of `samples` as a fraction of full scale.
    public static func rms(_ samples: [Int16]) -> Double {
        samples.withUnsafeBufferPointer { rms($0) }
    }

    /// The level of `samples` in dB relative to full scale (0 dBFS is a full-scale square wave,
    /// a full-scale sine is ≈ −3 dBFS); `-infinity` for digital silence.
    public static func dBFS(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        decibels(amplitude: rms(samples))
    }

    /// The level of `samples` in dB relative to full scale; `-infinity` for digital silence.
    public static func dBFS(_ samples: [Int16]) -> Double {
        samples.withUnsafeBufferPointer { dBFS($0) }
    }

    /// `20·log10(amplitude)`; `-infinity` for 0.
    public static func decibels(amplitude: Double) -> Double {
        amplitude > 0 ? 20 * log10(amplitude) : -.infinity
    }

    /// The amplitude factor of `decibels` (`10^(dB/20)`).
    public static func amplitude(decibels: Double) -> Double {
        pow(10, decibels / 20)
    }

    /// Adds `source` into `destination` sample by sample, saturating at the Int16 limits. Only
    /// the first `min(source.count, destination.count)` samples are mixed.
    public static func mix(_ source: UnsafeBufferPointer<Int16>, into destination: UnsafeMutableBufferPointer<Int16>) {
        for index in 0..<min(source.count, destination.count) {
            destination[index] = saturating(Int32(destination[index]) + Int32(source[index]))
        }
    }

    /// Adds `source` into `destination`, saturating; `destination` grows (with silence) to cover
    /// `source` when it is shorter.
    public static func mix(_ source: [Int16], into destination: inout [Int16]) {
        if destination.count < source.count {
            destination.append(contentsOf: repeatElement(0, count: source.count - destination.count))
        }
        source.withUnsafeBufferPointer { source in
            destination.withUnsafeMutableBufferPointer { mix(source, into: $0) }
        }
    }

    /// Multiplies every sample by `gain`, rounding and saturating at the Int16 limits.
    public static func applyGain(_ gain: Float, to samples: UnsafeMutableBufferPointer<Int16>) {
        for index in samples.indices {
            let scaled = (Float(samples[index]) * gain).rounded()
            // A NaN gain (or infinity × 0) is silence, never a trapping conversion.
            samples[index] = scaled.isNaN ? 0 : (scaled >= 32_767 ? .max : (scaled <= -32_768 ? .min : Int16(scaled)))
        }
    }

    /// Multiplies every sample by `gain`, rounding and saturating at the Int16 limits.
    public static func applyGain(_ gain: Float, to samples: inout [Int16]) {
        samples.withUnsafeMutableBufferPointer { applyGain(gain, to: $0) }
    }

    /// Changes the level of `samples` by `decibels` (negative attenuates), saturating.
    public static func applyGain(decibels: Double, to samples: inout [Int16]) {
        applyGain(Float(amplitude(decibels: decibels)), to: &samples)
    }

    @inline(__always)
    static func saturating(_ value: Int32) -> Int16 {
        value > 32_767 ? .max : (value < -32_768 ? .min : Int16(truncatingIfNeeded: value))
    }
}
