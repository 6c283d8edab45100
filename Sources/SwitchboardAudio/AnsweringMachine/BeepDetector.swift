#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds an answering machine's beep in 8 kHz audio: a pure tone that holds one frequency.
///
/// Every 10 ms hop, the last 32 ms (256 samples, Hann window) go through the ``RealFFT``. A frame
/// is tonal when it is loud enough, its strongest bin lies in the beep band, and the bins within
/// ±2 of it (the window's main lobe, ±62 Hz) hold at least the purity fraction of the frame's
/// energy from 62 Hz to 3.9 kHz, and the peak is as sharp as one sine's (its bin and the larger
/// neighbour hold ``sharpness`` of the lobe: at least 0.83 for a sine, less for two tones closer
/// than the lobe, such as the 440 + 480 Hz ringback, whose share swings with their beat).
/// G.711 quantisation leaves a tone's purity above 0.95; speech spreads its energy over harmonics
/// and formants and moves its pitch, so it does not stay tonal at one frequency for long. A beep is a run of tonal frames at one frequency (within the
/// tolerance) lasting the minimum beep length; it is reported when the run ends, with the end
/// dated to where the tone's power fell to half its peak.
struct BeepDetector: Sendable {
    typealias Beep = AnsweringMachineDetector.Beep

    static let windowLength = 256
    static let hop = 80
    static let sampleRate = 8_000
    static let binHz = Double(sampleRate) / Double(windowLength)
    /// Bins on each side of the peak counted as the tone's (the Hann window's main lobe).
    static let lobe = 2
    /// The bins whose energy a frame's purity is measured against: 62 Hz … 3.9 kHz.
    static let totalBand = 2...124
    /// The share of the lobe's power that the peak bin and its larger neighbour must hold.
    static let sharpness: Float = 0.78

    private var fft = RealFFT(size: windowLength)
    private let window: [Float]
    private let windowPower: Float
    private var history: [Float]
    private var input: [Float]
    private var power: [Float]

    private let lowBin: Int
    private let highBin: Int
    private let purity: Float
    private let minimumLevel: Float
    private let tolerance: Double
    private let minimumFrames: Int
    private let maximumFrames: Int

    // The run of tonal frames under way.
    private var runFrames = 0
    private var runFrequency = 0.0
    private var runStartMs = 0
    private var runPeakPower: Float = 0
    private var runLastStrongEndMs = 0
    private var runFirstStrongEndMs: Int?

    /// The latest frame's purity and frequency, for inspection.
    private(set) var lastPurity: Float = 0
    private(set) var lastFrequencyHz = 0.0

    /// Whether a run of tonal frames is under way (a beep may be sounding).
    var isToneActive: Bool { runFrames > 0 }

    init(configuration: AnsweringMachineDetector.Configuration) {
        let length = Self.windowLength
        window = (0..<length).map { Float(0.5 - 0.5 * cos(2 * Double.pi * (Double($0) + 0.5) / Double(length))) }
        windowPower = window.reduce(0) { $0 + $1 * $1 }
        history = [Float](repeating: 0, count: length)
        input = [Float](repeating: 0, count: length)
        power = [Float](repeating: 0, count: length / 2 + 1)
        // The configuration is validated: frequencies lie in 100 … 3 800 Hz, so the bins do too.
        lowBin = max(Self.totalBand.lowerBound + Self.lobe, Int((configuration.beepLowHz / Self.binHz).rounded(.down)))
        highBin = min(Self.totalBand.upperBound - Self.lobe, Int((configuration.beepHighHz / Self.binHz).rounded(.up)))
        purity = Float(configuration.beepPurity)
        // Window-normalised bin power of a sine of amplitude A is A²/4 spread over the main lobe;
        // the level is compared with the frame's mean square.
        minimumLevel = Float(pow(10, configuration.minimumBeepLevelDBFS / 10))
        tolerance = configuration.beepFrequencyToleranceHz
        minimumFrames = max(1, configuration.minimumBeepMs / AnsweringMachineDetector.frameMs)
        maximumFrames = max(minimumFrames, configuration.maximumBeepMs / AnsweringMachineDetector.frameMs)
    }

    /// Takes in the hop of 80 samples ending at `endMs`; returns the beep that ended (or ran to
    /// the maximum length) with this frame.
    mutating func process(_ hop: UnsafeBufferPointer<Int16>, endMs: Int) -> Beep? {
        let analysis = analyse(hop)
        guard let tone = analysis else { return endRun(atMs: endMs) }
        if runFrames > 0, abs(tone.frequency - runFrequency) > tolerance {
            // Another frequency: the run so far ends here, and a new one may start.
            if let beep = endRun(atMs: endMs) { return beep }
        }
        if runFrames == 0 {
            runStartMs = endMs - Self.windowLength * 1000 / Self.sampleRate / 2
            runFrequency = tone.frequency
            runPeakPower = 0
            runFirstStrongEndMs = nil
        }
        runFrames += 1
        // The run's frequency follows its frames (a slow drift is still one tone).
        runFrequency += (tone.frequency - runFrequency) / Double(min(runFrames, 8))
        if tone.power > runPeakPower { runPeakPower = tone.power }
        if tone.power >= runPeakPower * 0.5 {
            runLastStrongEndMs = endMs
            if runFirstStrongEndMs == nil { runFirstStrongEndMs = endMs }
        }
        if runFrames >= maximumFrames {
            let beep = Beep(startMs: beepStart(), endMs: endMs, frequencyHz: runFrequency)
            runFrames = 0
            return beep
        }
        return nil
    }

    /// A gap without audio: a run under way ends.
    mutating func interrupt(atMs: Int) -> Beep? { endRun(atMs: atMs) }

    private func beepStart() -> Int {
        // Half power comes when the tone fills half the window.
        max(0, (runFirstStrongEndMs ?? runStartMs) - Self.windowLength * 1000 / Self.sampleRate / 2)
    }

    private mutating func endRun(atMs: Int) -> Beep? {
        defer { runFrames = 0 }
        guard runFrames >= minimumFrames else { return nil }
        let end = max(runLastStrongEndMs - Self.windowLength * 1000 / Self.sampleRate / 2, 0)
        return Beep(startMs: beepStart(), endMs: end, frequencyHz: runFrequency)
    }

    /// The frame's tone (frequency, power near the peak) if it is tonal.
    private mutating func analyse(_ hop: UnsafeBufferPointer<Int16>) -> (frequency: Double, power: Float)? {
        let length = Self.windowLength, step = min(hop.count, Self.hop)
        var sumOfSquares: Float = 0
        history.withUnsafeMutableBufferPointer { history in
            for index in 0..<(length - step) { history[index] = history[index + step] }
            for index in 0..<step { history[length - step + index] = Float(hop[index]) * (1 / 32_768) }
            window.withUnsafeBufferPointer { window in
                input.withUnsafeMutableBufferPointer { input in
                    for index in 0..<length {
                        let value = history[index]
                        sumOfSquares += value * value
                        input[index] = value * window[index]
                    }
                }
            }
        }
        let meanSquare = sumOfSquares / Float(length)
        guard meanSquare >= minimumLevel else {
            lastPurity = 0
            return nil
        }
        input.withUnsafeBufferPointer { input in
            power.withUnsafeMutableBufferPointer { power in fft.powerSpectrum(input, into: power) }
        }
        return power.withUnsafeBufferPointer { power -> (frequency: Double, power: Float)? in
            var total: Float = 0
            var peak = Self.totalBand.lowerBound
            for bin in Self.totalBand {
                total += power[bin]
                if power[bin] > power[peak] { peak = bin }
            }
            var lobe: Float = 0
            for bin in (peak - Self.lobe)...(peak + Self.lobe) { lobe += power[bin] }
            let fraction = total > 0 ? lobe / total : 0
            lastPurity = fraction
            guard (lowBin...highBin).contains(peak), fraction >= purity, fraction.isFinite else { return nil }
            let sharp = (power[peak] + max(power[peak - 1], power[peak + 1])) / lobe
            guard sharp >= Self.sharpness else { return nil }
            // Parabolic interpolation on the log power of the peak and its neighbours.
            let left = logf(max(power[peak - 1], 1e-20)), centre = logf(max(power[peak], 1e-20))
            let right = logf(max(power[peak + 1], 1e-20))
            let denominator = left - 2 * centre + right
            let offset = denominator < 0 ? Double(0.5 * (left - right) / denominator) : 0
            let frequency = (Double(peak) + min(max(offset, -0.5), 0.5)) * Self.binHz
            lastFrequencyHz = frequency
            return (frequency, lobe / windowPower)
        }
    }
}
