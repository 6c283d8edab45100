import Foundation

/// Speech-like test signals: voiced syllables (a glottal-like harmonic series on a wandering
/// pitch) shaped by moving formants, with short gaps between syllables.
struct SyntheticSpeech {
    /// Where the utterance's voice begins and ends, in samples of the returned signal.
    var start: Int
    var end: Int
    var samples: [Double]

    /// Vowel formants (F1, F2, F3) in Hz: a, e, i, o, u.
    private static let vowels: [(Double, Double, Double)] = [
        (730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410), (300, 870, 2240),
    ]

    /// An utterance of about `milliseconds` at `sampleRate`, with RMS `rms` over its voiced span,
    /// starting at `leadIn` samples into a signal of `total` samples.
    static func utterance(
        milliseconds: Int, sampleRate: Int, rms: Double, leadIn: Int, total: Int,
        pitch: Double = 140, random: inout SeededRandom
    ) -> SyntheticSpeech {
        let rate = Double(sampleRate)
        let length = milliseconds * sampleRate / 1000
        var voice = [Double](repeating: 0, count: length)
        // Syllables of 140–280 ms with 30–70 ms gaps, until the length is used up.
        var cursor = 0
        var lastEnd = 0
        var phase = 0.0
        var syllable = 0
        while cursor < length {
            let duration = Int((0.14 + 0.14 * random.unit()) * rate)
            let end = min(cursor + duration, length)
            guard end - cursor > Int(0.08 * rate) else { break }
            let from = vowels[Int(random.next() % 5)], to = vowels[Int(random.next() % 5)]
            let basePitch = pitch * (0.9 + 0.2 * random.unit())
            let count = end - cursor
            let attack = 0.035 * rate, release = 0.05 * rate
            for index in 0..<count {
                let t = Double(index) / rate
                let progress = Double(index) / Double(count)
                let f0 = basePitch * (1 + 0.04 * sin(2 * Double.pi * 4.5 * t) - 0.08 * progress)
                phase += 2 * Double.pi * f0 / rate
                let formants = (
                    from.0 + (to.0 - from.0) * progress,
                    from.1 + (to.1 - from.1) * progress,
                    from.2 + (to.2 - from.2) * progress
                )
                var value = 0.0
                var harmonic = 1
                while Double(harmonic) * f0 < min(4_500, rate * 0.45) {
                    let frequency = Double(harmonic) * f0
                    let gain = resonance(frequency, formants.0, 90) + 0.6 * resonance(frequency, formants.1, 120)
                        + 0.3 * resonance(frequency, formants.2, 160) + 0.02
                    value += gain / Double(harmonic).squareRoot() * sin(Double(harmonic) * phase)
                    harmonic += 1
                }
                // Raised-cosine attack and release; a slow amplitude wobble inside.
                let position = Double(index)
                var envelope = 1.0
                if position < attack { envelope = 0.5 - 0.5 * cos(Double.pi * position / attack) }
                if position > Double(count) - release { envelope = 0.5 - 0.5 * cos(Double.pi * (Double(count) - position) / release) }
                envelope *= 0.8 + 0.2 * sin(2 * Double.pi * 3 * t + Double(syllable))
                voice[cursor + index] = value * envelope
            }
            lastEnd = end
            syllable += 1
            cursor = end + Int((0.03 + 0.04 * random.unit()) * rate)
        }
        voice = Array(voice[..<lastEnd])
        voice = Signals.scaled(voice, toRMS: rms)
        var samples = [Double](repeating: 0, count: total)
        Signals.add(voice, into: &samples, at: leadIn)
        return SyntheticSpeech(start: leadIn, end: leadIn + lastEnd, samples: samples)
    }

    private static func resonance(_ frequency: Double, _ centre: Double, _ bandwidth: Double) -> Double {
        let x = (frequency - centre) / bandwidth
        return 1 / (1 + x * x)
    }
}
