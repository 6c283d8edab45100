#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A streaming voice activity detector in the manner of the realtime protocol's `server_vad`:
/// feed it PCM16 chunks of any size, get `speechStarted` / `speechStopped` events and the audio
/// of each utterance (prefix padding included) to commit.
///
/// How it decides, every 10 ms over the last 20 ms (Hann window, FFT):
/// - **Level:** frames under ``VoiceActivityConfiguration/minimumLevelDBFS`` are never speech.
/// - **Energy over an adaptive noise floor, per band:** each bin from 150 Hz to 4 kHz is compared
///   with a running estimate of the background noise in that bin (``noiseFloorDBFS``), and the
///   comparisons are combined as a log-likelihood ratio of speech against noise. Voiced speech
///   stands out in its harmonics and formants even when the broadband SNR is low; white, pink or
///   hum-like noise is tracked away whatever its colour.
/// - **Spectral shape:** an onset also needs the frame's excess over the noise to be uneven
///   across the band (harmonics, formants): a click, or background noise that only got louder,
///   raises every bin alike and is learnt as noise instead of starting an utterance.
/// - **Probability and threshold:** the ratio maps to a speech probability (``speechProbability``),
///   compared with ``VoiceActivityConfiguration/threshold`` (three quarters of it once speech is
///   under way, so trailing syllables are not chopped).
/// - **Onset:** speech must last ``VoiceActivityConfiguration/minimumSpeechMs`` (one short gap
///   allowed) before an utterance starts; its start is dated back to the first speech frame.
/// - **Hangover:** an utterance ends after ``VoiceActivityConfiguration/silenceDurationMs`` without
///   a speech frame.
///
/// A value type with no I/O: it keeps its buffers (FFT, noise, prefix ring, utterance) and reuses
/// them, so processing does not allocate except to grow the utterance. One detector per input
/// stream.
public struct VoiceActivityDetector: Sendable {
    /// How the detector decides; changing it keeps the noise estimate and the clock.
    public var configuration: VoiceActivityConfiguration {
        didSet { applyConfiguration() }
    }
    /// The rate of the samples fed in.
    public let sampleRate: Int
    /// Whether an utterance is under way.
    public private(set) var isSpeaking = false
    /// The speech probability of the latest 10 ms frame, 0…1.
    public private(set) var speechProbability: Double = 0
    /// Where the detected voice of the current or latest utterance began, without the prefix
    /// padding (ms since the start).
    public private(set) var speechOnsetMs: Int?
    /// Where the voice of the latest finished utterance ended, without the silence that ended it.
    public private(set) var speechEndMs: Int?
    /// The current or latest utterance's audio: from its `audioStartMs` to now while speaking, to
    /// its `audioEndMs` once stopped.
    public private(set) var utterance: [Int16] = []

    // Framing: a hop of 10 ms, analysed with the hop before it.
    private let hop: Int
    private let windowLength: Int
    private var fft: RealFFT
    private let window: [Float]
    private let windowPower: Float
    private var history: [Float]
    private var fftInput: [Float]
    private var power: [Float]
    private var hopSamples: [Int16]
    private var hopFill = 0
    private var frames = 0
    private var noise: NoiseSpectrum
    /// The latest frame's shape contrast (see ``NoiseSpectrum/shapeContrast(_:)``).
    private(set) var shapeContrast = 0.0

    // The state machine, in stream positions (samples).
    private var ring: SampleRing
    private var runLength = 0
    private var runGap = 0
    private var runStart = 0
    private var lastSpeechEnd = 0
    private var previousUtteranceEnd = 0
    private var minimumSpeechFrames = 1
    private var silenceSamples = 0
    private var prefixSamples = 0
    private var pauseSamples: Int?
    private var pauseReported = false

    /// Frames at the start that only teach the noise estimate.
    static let warmupFrames = 5
    /// Single non-speech frames tolerated inside an onset.
    static let onsetGapFrames = 1
    /// The likelihood ratio at which the speech probability is ½, and how fast it rises.
    static let ratioAtEvenOdds: Float = 1.0
    static let ratioScale: Float = 0.35
    /// The threshold once speech is under way, as a fraction of the onset threshold.
    static let continuationFactor = 0.75
    /// Frames whose probability is under this teach the noise estimate.
    static let noiseProbability = 0.3
    /// Frames whose shape contrast is under this look like the noise, only louder or softer.
    static let noiseShapeContrast: Float = 0.75
    static let bandLowHz = 150.0
    static let bandHighHz = 4_000.0

    /// A detector for PCM16 at `sampleRate` (8 kHz … 48 kHz).
    public init(sampleRate: Int = 24_000, configuration: VoiceActivityConfiguration = .init()) {
        precondition((8_000...48_000).contains(sampleRate), "sample rate must be 8…48 kHz")
        self.sampleRate = sampleRate
        self.configuration = configuration
        hop = sampleRate / 100
        windowLength = 2 * hop
        var fftSize = 4
        while fftSize < windowLength { fftSize *= 2 }
        fft = RealFFT(size: fftSize)
        let length = windowLength
        window = (0..<length).map { Float(0.5 - 0.5 * cos(2 * Double.pi * (Double($0) + 0.5) / Double(length))) }
        windowPower = window.reduce(0) { $0 + $1 * $1 }
        history = [Float](repeating: 0, count: length)
        fftInput = [Float](repeating: 0, count: fftSize)
        power = [Float](repeating: 0, count: fftSize / 2 + 1)
        hopSamples = [Int16](repeating: 0, count: hop)
        let binHz = Double(sampleRate) / Double(fftSize)
        let low = Int((Self.bandLowHz / binHz).rounded(.up))
        let high = min(Int((min(Self.bandHighHz, 0.45 * Double(sampleRate)) / binHz).rounded(.down)), fftSize / 2)
        noise = NoiseSpectrum(band: low..<(high + 1))
        ring = SampleRing(capacity: 1)
        applyConfiguration()
    }

    /// Milliseconds of audio processed since the start.
    public var processedMilliseconds: Int { (frames * hop + hopFill) * 1000 / sampleRate }

    /// The background noise estimate's level in the speech band, dB relative to full scale.
    public var noiseFloorDBFS: Double {
        // Per-bin power is normalised so white noise of variance σ² reads σ² in every bin; a
        // full-scale square wave is 0 dBFS.
        10 * log10(Double(max(noise.meanPower, NoiseSpectrum.floor)))
    }

    /// Feeds `samples`; `onEvent` hears each event as the frame that decides it is processed.
    public mutating func process(_ samples: UnsafeBufferPointer<Int16>, onEvent: (VoiceActivityEvent) -> Void) {
        var offset = 0
        while offset < samples.count {
            let fill = hopFill
            let take = min(hop - fill, samples.count - offset)
            hopSamples.withUnsafeMutableBufferPointer { destination in
                for index in 0..<take { destination[fill + index] = samples[offset + index] }
            }
            hopFill += take
            offset += take
            if hopFill == hop {
                processFrame(onEvent: onEvent)
                hopFill = 0
            }
        }
    }

    /// Feeds `samples`; returns the events they caused.
    public mutating func process(_ samples: [Int16]) -> [VoiceActivityEvent] {
        var events: [VoiceActivityEvent] = []
        samples.withUnsafeBufferPointer { process($0) { events.append($0) } }
        return events
    }

    /// Feeds little-endian PCM16 `bytes` (an `input_audio_buffer.append` payload once decoded).
    ///
    /// - Throws: ``AudioError/oddByteCount`` for half a sample; nothing is processed then.
    public mutating func process(littleEndian bytes: UnsafeRawBufferPointer, onEvent: (VoiceActivityEvent) -> Void) throws(AudioError) {
        guard bytes.count.isMultiple(of: 2) else { throw .oddByteCount(bytes.count) }
        var chunk: (Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16,
                    Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let total = bytes.count / 2
        var offset = 0
        while offset < total {
            let count = min(16, total - offset)
            withUnsafeMutableBytes(of: &chunk) { raw in
                for index in 0..<count {
                    let value = bytes.loadUnaligned(fromByteOffset: (offset + index) * 2, as: Int16.self)
                    raw.storeBytes(of: Int16(littleEndian: value), toByteOffset: index * 2, as: Int16.self)
                }
            }
            withUnsafeBytes(of: &chunk) { raw in
                let samples = raw.assumingMemoryBound(to: Int16.self)
                process(UnsafeBufferPointer(rebasing: samples[..<count]), onEvent: onEvent)
            }
            offset += count
        }
    }

    /// Moves the current or latest utterance's audio out, leaving the detector's copy empty.
    public mutating func takeUtterance() -> [Int16] {
        let taken = utterance
        utterance = []
        return taken
    }

    /// Drops buffered audio and any utterance under way without an event (the protocol's
    /// `input_audio_buffer.clear`); keeps the noise estimate and the clock.
    public mutating func clearBuffer() {
        let now = frames * hop
        ring.clear(restartingAt: now)
        utterance.removeAll(keepingCapacity: true)
        isSpeaking = false
        runLength = 0
        runGap = 0
        previousUtteranceEnd = now
        speechOnsetMs = nil
    }

    /// Starts over: a new stream at time 0 with no noise estimate.
    public mutating func reset() {
        self = VoiceActivityDetector(sampleRate: sampleRate, configuration: configuration)
    }

    /// A detector for PCM16 at `sampleRate`, for a rate that comes from outside the hub.
    ///
    /// - Throws: ``AudioError/unsupportedSampleRate`` outside 8 kHz … 48 kHz.
    public init(checkingSampleRate sampleRate: Int, configuration: VoiceActivityConfiguration = .init()) throws(AudioError) {
        guard Self.sampleRates.contains(sampleRate) else { throw .unsupportedSampleRate(sampleRate) }
        self.init(sampleRate: sampleRate, configuration: configuration)
    }

    /// The rates a detector runs at.
    public static let sampleRates = 8_000...48_000

    private mutating func applyConfiguration() {
        // Durations come from clients (`turn_detection`): each is clamped to its range before
        // it is turned into samples, so none can overflow or size a ring beyond reason.
        let limits = VoiceActivityConfiguration.self
        let hop = sampleRate / 100
        let minimumSpeech = limits.clamped(configuration.minimumSpeechMs, to: limits.minimumSpeechRange)
        minimumSpeechFrames = max(1, (minimumSpeech * sampleRate / 1000 + hop - 1) / hop)
        silenceSamples = limits.clamped(configuration.silenceDurationMs, to: limits.silenceRange) * sampleRate / 1000
        pauseSamples = configuration.pauseNoticeMs.map { limits.clamped($0, to: limits.silenceRange) * sampleRate / 1000 }
        prefixSamples = limits.clamped(configuration.prefixPaddingMs, to: limits.prefixPaddingRange) * sampleRate / 1000
        // Room for the padding plus the longest onset (every other frame a gap) and a margin.
        let capacity = prefixSamples + (2 * minimumSpeechFrames + 4) * hop
        if capacity != ring.capacity {
            var resized = SampleRing(capacity: capacity)
            resized.clear(restartingAt: ring.written)
            ring = resized
        }
    }

    private func milliseconds(_ position: Int) -> Int { position * 1000 / sampleRate }

    private mutating func processFrame(onEvent: (VoiceActivityEvent) -> Void) {
        let frameStart = frames * hop
        let frameEnd = frameStart + hop
        frames += 1
        let level = analyse()
        let warmingUp = frames <= Self.warmupFrames
        let ratio = power.withUnsafeBufferPointer { noise.logLikelihoodRatio($0) }
        shapeContrast = Double(power.withUnsafeBufferPointer { noise.shapeContrast($0) })
        let probability = warmingUp ? 0 : 1 / (1 + exp(-Double((ratio - Self.ratioAtEvenOdds) / Self.ratioScale)))
        speechProbability = probability
        let loudEnough = level >= configuration.minimumLevelDBFS
        let required = isSpeaking ? configuration.threshold * Self.continuationFactor : configuration.threshold
        let noiseShaped = shapeContrast < Double(Self.noiseShapeContrast)
        let isSpeech = loudEnough && probability >= required && (isSpeaking || !noiseShaped)
        let isNoise = !loudEnough || probability < Self.noiseProbability || noiseShaped
        power.withUnsafeBufferPointer { noise.update($0, isNoise: isNoise, warmingUp: warmingUp) }

        hopSamples.withUnsafeBufferPointer { ring.append($0) }
        if isSpeaking {
            utterance.append(contentsOf: hopSamples)
            if isSpeech {
                lastSpeechEnd = frameEnd
                pauseReported = false
            } else if frameEnd - lastSpeechEnd >= silenceSamples {
                isSpeaking = false
                previousUtteranceEnd = frameEnd
                speechEndMs = milliseconds(lastSpeechEnd)
                runLength = 0
                runGap = 0
                onEvent(.speechStopped(audioEndMs: milliseconds(frameEnd)))
            } else if let pause = pauseSamples, !pauseReported, frameEnd - lastSpeechEnd >= pause {
                pauseReported = true
                onEvent(.speechPaused(speechEndMs: milliseconds(lastSpeechEnd)))
            }
            return
        }
        if isSpeech {
            if runLength == 0 { runStart = frameStart }
            runLength += 1
            runGap = 0
            if runLength >= minimumSpeechFrames {
                let audioStart = max(runStart - prefixSamples, previousUtteranceEnd, ring.oldest)
                utterance.removeAll(keepingCapacity: true)
                if utterance.capacity == 0 { utterance.reserveCapacity(prefixSamples + 5 * sampleRate) }
                ring.copy(audioStart..<frameEnd, appendingTo: &utterance)
                isSpeaking = true
                lastSpeechEnd = frameEnd
                pauseReported = false
                speechOnsetMs = milliseconds(runStart)
                speechEndMs = nil
                onEvent(.speechStarted(audioStartMs: milliseconds(audioStart)))
            }
        } else if runLength > 0 {
            runGap += 1
            if runGap > Self.onsetGapFrames {
                runLength = 0
                runGap = 0
            }
        }
    }

    /// Shifts the hop into the analysis window, computes its power spectrum into `power`
    /// (normalised by the window's energy) and returns the window's level in dBFS.
    private mutating func analyse() -> Double {
        let hop = self.hop, length = windowLength
        var sumOfSquares: Float = 0
        history.withUnsafeMutableBufferPointer { history in
            for index in 0..<(length - hop) { history[index] = history[index + hop] }
            hopSamples.withUnsafeBufferPointer { samples in
                for index in 0..<hop { history[length - hop + index] = Float(samples[index]) * (1 / 32_768) }
            }
            window.withUnsafeBufferPointer { window in
                fftInput.withUnsafeMutableBufferPointer { input in
                    for index in 0..<length {
                        let value = history[index]
                        sumOfSquares += value * value
                        input[index] = value * window[index]
                    }
                }
            }
        }
        fftInput.withUnsafeBufferPointer { input in
            power.withUnsafeMutableBufferPointer { power in fft.powerSpectrum(input, into: power) }
        }
        let scale = 1 / windowPower
        power.withUnsafeMutableBufferPointer { power in
            for index in power.indices { power[index] *= scale }
        }
        let meanSquare = Double(sumOfSquares) / Double(length)
        return meanSquare > 0 ? 10 * log10(meanSquare) : -.infinity
    }
}
