import Foundation
@testable import SwitchboardSpeech

/// Audio helpers for the tests: resampling, noise, error rates.
enum AudioHelpers {
    /// `samples` at `inputRate` resampled to `outputRate` with a Blackman-windowed sinc filter
    /// (32 taps a side, cut-off just below the lower Nyquist frequency).
    static func resample(_ samples: [Int16], from inputRate: Int, to outputRate: Int) -> [Int16] {
        guard inputRate != outputRate, !samples.isEmpty else { return samples }
        let ratio = Double(inputRate) / Double(outputRate)
        let cutoff = min(1, 1 / ratio) * 0.92  // relative to the input's Nyquist frequency
        let halfWidth = 32
        let input = samples.map(Double.init)
        let count = Int(Double(samples.count) / ratio)
        var output = [Int16](repeating: 0, count: count)
        for n in 0..<count {
            let center = Double(n) * ratio
            let first = max(0, Int(center.rounded(.down)) - halfWidth + 1)
            let last = min(input.count - 1, Int(center.rounded(.down)) + halfWidth)
            var sum = 0.0
            var first_ = first
            while first_ <= last {
                let distance = center - Double(first_)
                let x = Double.pi * cutoff * distance
                let sinc = distance == 0 ? 1 : sin(x) / x
                let position = (distance + Double(halfWidth)) / Double(2 * halfWidth)
                let window = 0.42 - 0.5 * cos(2 * .pi * position) + 0.08 * cos(4 * .pi * position)
                sum += input[first_] * cutoff * sinc * max(0, window)
                first_ += 1
            }
            output[n] = Int16(max(-32768, min(32767, sum.rounded())))
        }
        return output
    }

    /// White noise at `level` dBFS RMS, seeded.
    static func whiteNoise(seconds: Double, level: Double, sampleRate: Int = 16_000, seed: UInt64 = 42) -> [Int16] {
        var state = seed
        let amplitude = pow(10, level / 20) * 32768 * sqrt(3.0)  // uniform noise: RMS = amplitude / √3
        return (0..<Int(seconds * Double(sampleRate))).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let uniform = Double(state >> 11) / Double(1 << 53) * 2 - 1
            return Int16(max(-32768, min(32767, uniform * amplitude)))
        }
    }

    /// Half a second of silence around `samples`, as a VAD would cut an utterance.
    static func padded(_ samples: [Int16], seconds: Double = 0.3, sampleRate: Int = 16_000) -> [Int16] {
        let pad = [Int16](repeating: 0, count: Int(seconds * Double(sampleRate)))
        return pad + samples + pad
    }

    /// Words for scoring: lowercase, punctuation dropped, hyphens split.
    static func scoringWords(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "-" }).map {
            $0.filter { $0.isLetter || $0.isNumber || $0 == "'" }
        }.filter { !$0.isEmpty }
    }

    /// Word-level edit distance: the recognizer's own measure.
    static func editDistance(_ reference: [String], _ hypothesis: [String]) -> Int {
        EditDistance.words(reference, hypothesis)
    }
}
