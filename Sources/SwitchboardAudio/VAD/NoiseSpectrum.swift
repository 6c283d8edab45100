#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An adaptive estimate of the background noise's power in each frequency bin of a band, and
/// how far a frame's spectrum stands above it.
///
/// Two trackers combine: frames that look like noise pull the estimate toward their power (a
/// slow running mean, accurate for steady noise), and a minimum-statistics tracker (the lowest
/// smoothed power over the last couple of seconds) bounds it from below, so the estimate follows
/// noise that grows even while every frame is taken for speech.
struct NoiseSpectrum: Sendable {
    /// Smoothing of the power fed to the minimum tracker.
    static let smoothing: Float = 0.8
    /// Weight of the old estimate when a noise frame updates it (≈ 200 ms at 10 ms frames).
    static let tracking: Float = 0.95
    /// Frames per minimum sub-window, and sub-windows remembered (5 × 40 frames ≈ 2 s).
    static let subwindowFrames = 40
    static let subwindows = 5
    /// Weight of the old estimate when a whole frame sits far below it (the estimate was learnt
    /// on something louder than the noise, such as speech at the very start).
    static let fastTracking: Float = 0.7
    /// Mean `γ` under which a frame counts as far below the estimate.
    static let farBelow: Float = 0.5
    /// The smoothed minimum of steady noise sits a few dB under its mean; the estimate never falls
    /// below the minimum times this.
    static let minimumBias: Float = 1.5
    /// The lowest power a bin's estimate takes (−100 dB re full scale), so digital silence has
    /// a finite floor.
    static let floor: Float = 1e-10
    /// Per-bin log-likelihood ratios are capped, so a single loud tone cannot carry a frame.
    static let maximumRatio: Float = 20

    /// The bins of the band.
    let band: Range<Int>
    private var estimate: [Float]
    private var smoothed: [Float]
    private var subwindowMinimum: [Float]
    /// `subwindows` rows of band-size minima.
    private var pastMinima: [Float]
    private var minimum: [Float]
    private var framesInSubwindow = 0
    private var subwindow = 0
    /// Frames seen since the start (saturates).
    private(set) var frames = 0

    init(band: Range<Int>) {
        self.band = band
        let count = band.count
        estimate = [Float](repeating: Self.floor, count: count)
        smoothed = [Float](repeating: 0, count: count)
        subwindowMinimum = [Float](repeating: .infinity, count: count)
        pastMinima = [Float](repeating: .infinity, count: count * Self.subwindows)
        minimum = [Float](repeating: .infinity, count: count)
    }

    /// The estimate's total power over the band, per bin on average.
    var meanPower: Float {
        estimate.reduce(0, +) / Float(max(estimate.count, 1))
    }

    /// The mean over the band of each bin's log-likelihood ratio of speech against noise, with
    /// the maximum-likelihood a-priori SNR (Sohn et al.): `γ − ln γ − 1` for an a-posteriori SNR
    /// `γ = power / noise` above 1, else 0. About 0.15 for noise alone, growing with the excess.
    func logLikelihoodRatio(_ power: UnsafeBufferPointer<Float>) -> Float {
        let lower = band.lowerBound
        return estimate.withUnsafeBufferPointer { estimate in
            var sum: Float = 0
            for index in 0..<estimate.count {
                let gamma = power[lower + index] / estimate[index]
                if gamma > 1 { sum += min(gamma - logf(gamma) - 1, Self.maximumRatio) }
            }
            return sum / Float(max(estimate.count, 1))
        }
    }

    /// How unevenly a frame's power stands above the noise across the band: the log of the
    /// arithmetic over the geometric mean of `γ = power / noise`. Noise of the estimated shape
    /// gives ≈ 0.58 (Euler's constant, for exponentially distributed bin powers) whatever its
    /// level; speech, with its energy in harmonics and formants, gives more. A click or a change
    /// of noise level that keeps the noise's colour does not.
    func shapeContrast(_ power: UnsafeBufferPointer<Float>) -> Float {
        let lower = band.lowerBound
        return estimate.withUnsafeBufferPointer { estimate in
            var sum: Float = 0
            var sumOfLogs: Float = 0
            for index in 0..<estimate.count {
                let gamma = max(power[lower + index] / estimate[index], 1e-6)
                sum += gamma
                sumOfLogs += logf(gamma)
            }
            let count = Float(max(estimate.count, 1))
            return logf(sum / count) - sumOfLogs / count
        }
    }

    /// Takes in a frame's power: always for the minimum tracker, and for the running mean when
    /// `isNoise`. The first frame becomes the estimate; `warmingUp` frames average into it.
    mutating func update(_ power: UnsafeBufferPointer<Float>, isNoise: Bool, warmingUp: Bool) {
        let lower = band.lowerBound
        let count = estimate.count
        var meanGamma: Float = 0
        estimate.withUnsafeBufferPointer { estimate in
            for index in 0..<count { meanGamma += power[lower + index] / estimate[index] }
        }
        meanGamma /= Float(max(count, 1))
        let tracking = meanGamma < Self.farBelow ? Self.fastTracking : Self.tracking
        let first = frames == 0
        let warmupWeight = 1 / Float(frames + 1)
        frames = min(frames + 1, Int.max / 2)
        framesInSubwindow += 1
        let closeSubwindow = framesInSubwindow == Self.subwindowFrames
        let row = subwindow * count
        estimate.withUnsafeMutableBufferPointer { estimate in
            smoothed.withUnsafeMutableBufferPointer { smoothed in
                subwindowMinimum.withUnsafeMutableBufferPointer { subwindowMinimum in
                    pastMinima.withUnsafeMutableBufferPointer { pastMinima in
                        minimum.withUnsafeMutableBufferPointer { minimum in
                            for index in 0..<count {
                                let value = power[lower + index]
                                let smooth = first ? value : Self.smoothing * smoothed[index] + (1 - Self.smoothing) * value
                                smoothed[index] = smooth
                                subwindowMinimum[index] = min(subwindowMinimum[index], smooth)
                                if closeSubwindow {
                                    pastMinima[row + index] = subwindowMinimum[index]
                                    var lowest = Float.infinity
                                    for past in 0..<Self.subwindows { lowest = min(lowest, pastMinima[past * count + index]) }
                                    minimum[index] = lowest
                                    subwindowMinimum[index] = .infinity
                                }
                                var noise = estimate[index]
                                if first {
                                    noise = value
                                } else if warmingUp {
                                    noise += (value - noise) * warmupWeight
                                } else if isNoise {
                                    noise = tracking * noise + (1 - tracking) * value
                                }
                                let bound = min(minimum[index], subwindowMinimum[index]) * Self.minimumBias
                                estimate[index] = max(noise, bound.isFinite ? bound : 0, Self.floor)
                            }
                        }
                    }
                }
            }
        }
        if closeSubwindow {
            framesInSubwindow = 0
            subwindow = (subwindow + 1) % Self.subwindows
        }
    }
}
