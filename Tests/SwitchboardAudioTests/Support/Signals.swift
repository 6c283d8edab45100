import Foundation

/// Synthetic test signals as Double samples in full-scale units (±1), and the conversions to PCM16.
enum Signals {
    static func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5, phase: Double = 0) -> [Double] {
        (0..<count).map { amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate) + phase) }
    }

    static func whiteNoise(count: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        (0..<count).map { _ in random.gaussian() * rms }
    }

    /// Pink (1/f) noise by summing random sources that change at octave-spaced rates (Voss),
    /// scaled to `rms`.
    static func pinkNoise(count: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        let rows = 16
        var sources = (0..<rows).map { _ in random.gaussian() }
        var total = sources.reduce(0, +)
        var output = [Double](repeating: 0, count: count)
        for index in 0..<count {
            // Row r changes every 2^r samples: pick it by the trailing zeros of the counter.
            let row = min((index + 1).trailingZeroBitCount, rows - 1)
            let fresh = random.gaussian()
            total += fresh - sources[row]
            sources[row] = fresh
            output[index] = total + random.gaussian()
        }
        return scaled(output, toRMS: rms)
    }

    static func rms(_ samples: some Collection<Double>) -> Double {
        guard !samples.isEmpty else { return 0 }
        return (samples.reduce(0) { $0 + $1 * $1 } / Double(samples.count)).squareRoot()
    }

    static func scaled(_ samples: [Double], toRMS target: Double) -> [Double] {
        let current = rms(samples)
        guard current > 0 else { return samples }
        return samples.map { $0 * target / current }
    }

    static func pcm16(_ samples: [Double]) -> [Int16] {
        samples.map { Int16(max(-32_768, min(32_767, ($0 * 32_768).rounded()))) }
    }

    static func doubles(_ samples: [Int16]) -> [Double] {
        samples.map { Double($0) / 32_768 }
    }

    /// Adds `signal` into `base` from sample `offset`.
    static func add(_ signal: [Double], into base: inout [Double], at offset: Int) {
        for index in signal.indices where offset + index < base.count { base[offset + index] += signal[index] }
    }

    /// The power at `frequency` relative to the whole signal's power (Goertzel), 0…1.
    static func toneFraction(_ samples: [Double], frequency: Double, sampleRate: Int) -> Double {
        let omega = 2 * Double.pi * frequency / Double(sampleRate)
        let coefficient = 2 * cos(omega)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            let s0 = sample + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        // A sine of amplitude A over N samples gives power (A·N/2)²; its mean square is A²/2.
        let toneMeanSquare = 2 * power / Double(samples.count * samples.count)
        let meanSquare = samples.reduce(0) { $0 + $1 * $1 } / Double(samples.count)
        return meanSquare > 0 ? toneMeanSquare / meanSquare : 0
    }

    /// Frequency estimated from upward zero crossings, interpolated between samples.
    static func zeroCrossingFrequency(_ samples: [Double], sampleRate: Int) -> Double {
        var crossings: [Double] = []
        for index in 1..<samples.count where samples[index - 1] < 0 && samples[index] >= 0 {
            let fraction = -samples[index - 1] / (samples[index] - samples[index - 1])
            crossings.append(Double(index - 1) + fraction)
        }
        guard let first = crossings.first, let last = crossings.last, crossings.count > 1 else { return 0 }
        return Double(crossings.count - 1) / ((last - first) / Double(sampleRate))
    }
}
