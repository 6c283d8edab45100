import Foundation

/// The band of frequencies an utterance's audio carries.
///
/// Telephone audio (G.711 at 8 kHz) stops below 4 kHz, and stays so when it is resampled to a
/// higher rate on the way (a gateway that hands the hub 16 or 24 kHz PCM of a phone call). The
/// acoustic model was trained on 16 kHz speech whose fricatives reach far above 4 kHz: the
/// recognizer prepares and judges narrowband audio with settings of its own
/// (``SpeechRecognizer/Configuration/narrowbandNoise``).
public enum Bandwidth: String, Sendable, Hashable, CaseIterable {
    /// Speech up to 8 kHz: a microphone at 16 kHz or more.
    case wideband
    /// Speech below 4 kHz: a telephone line.
    case narrowband

    /// The frequency above which narrowband audio holds next to nothing.
    public static let telephoneEdge = 4_000.0
    /// The share of an utterance's energy above ``telephoneEdge`` (in dB) below which it is
    /// taken for narrowband. Wideband speech keeps some 20 to 35 dB below its total there
    /// (sibilants, fricatives, breath); telephone audio resampled up keeps only what the
    /// resamplers leak, 60 dB or more below.
    public static let narrowbandShare = -45.0

    /// The band of `samples` (PCM16 mono at `sampleRate`): narrowband when the rate cannot carry
    /// more than the telephone band, or when the spectrum above ``telephoneEdge`` is all but
    /// empty; wideband otherwise, silence included.
    public static func of(_ samples: [Int16], sampleRate: Int) -> Bandwidth {
        if sampleRate <= 2 * Int(telephoneEdge) { return .narrowband }
        guard let share = highBandShare(samples, sampleRate: sampleRate) else { return .wideband }
        return share < narrowbandShare ? .narrowband : .wideband
    }

    /// The energy above ``telephoneEdge`` (measured from 5 kHz up, clear of the resamplers'
    /// transition bands) relative to the whole signal's, in dB; nil for silence or a rate with
    /// no such band.
    ///
    /// A 16th-order Butterworth high-pass at 5 kHz separates the band: it keeps the strong
    /// 3–4 kHz part of telephone speech some 50 dB down. On the voice benchmark's utterances
    /// wideband speech measured −29 to −16 dB, the same through an 8 kHz μ-law line −86 to −70 dB.
    static func highBandShare(_ samples: [Int16], sampleRate: Int) -> Double? {
        let cutoff = telephoneEdge * 1.25
        guard Double(sampleRate) / 2 > cutoff * 1.2 else { return nil }
        var filter = HighPass(cutoff: cutoff, sampleRate: Double(sampleRate))
        var total = 0.0
        var high = 0.0
        for sample in samples {
            let value = Double(sample)
            total += value * value
            let filtered = filter.process(value)
            high += filtered * filtered
        }
        guard total > 0 else { return nil }
        return 10 * log10(max(high, 1e-9) / total)
    }
}

/// A 16th-order Butterworth high-pass: eight biquads.
struct HighPass {
    private var sections: [Biquad]

    init(cutoff: Double, sampleRate: Double) {
        // The pole pairs of a 16th-order Butterworth filter: Q = 1 / (2 cos θ).
        sections = (1...8).map { k in
            Biquad.highPass(cutoff: cutoff, sampleRate: sampleRate, quality: 1 / (2 * cos(Double(2 * k - 1) * .pi / 32)))
        }
    }

    mutating func process(_ x: Double) -> Double {
        var value = x
        for index in sections.indices { value = sections[index].process(value) }
        return value
    }
}

/// One second-order IIR section (direct form I), from the Audio EQ Cookbook.
private struct Biquad {
    var b0, b1, b2, a1, a2: Double
    var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0

    static func highPass(cutoff: Double, sampleRate: Double, quality: Double) -> Biquad {
        let omega = 2 * Double.pi * cutoff / sampleRate
        let alpha = sin(omega) / (2 * quality)
        let a0 = 1 + alpha
        let c = cos(omega)
        return Biquad(
            b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0,
            a1: -2 * c / a0, a2: (1 - alpha) / a0
        )
    }

    mutating func process(_ x: Double) -> Double {
        let y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2 = x1
        x1 = x
        y2 = y1
        y1 = y
        return y
    }
}
