import CSpeexDSP

/// A streaming sample-rate converter for mono PCM16, backed by libspeexdsp.
///
/// Chunks are filtered as one continuous signal: the filter state carries over between calls, so
/// splitting the input differently changes nothing audible and there are no clicks at chunk
/// borders. The filter's delay is removed at the start (`speex_resampler_skip_zeros`), so output
/// sample *n* lines up with input time *n / outputRate*, and ``flush(appendingTo:)`` drains the
/// tail so a finished stream yields `inputCount × outputRate / inputRate` samples in all.
///
/// A `Resampler` holds C state and is not `Sendable`: give each stream its own and use it from one
/// place at a time (one connection's event loop, one task). Calls never block and never allocate
/// once the destination array has capacity.
public final class Resampler {
    /// Rates the hub converts between: G.711 telephony, wideband, the 22.05 kHz of many TTS
    /// engines, and the realtime protocol's PCM16.
    public static let supportedRates: Set<Int> = [8_000, 16_000, 22_050, 24_000, 44_100, 48_000]
    /// The default quality: speex's "desktop" setting, transparent for speech.
    public static let defaultQuality = 5

    /// The rate of the samples going in.
    public let inputRate: Int
    /// The rate of the samples coming out.
    public let outputRate: Int
    /// The speex quality, 0 (fastest) … 10 (best).
    public let quality: Int

    private let state: OpaquePointer
    /// Real input samples taken since the start or the last flush.
    private var inputCount = 0
    /// Output samples produced since the start or the last flush.
    private var outputCount = 0

    /// A resampler from `inputRate` to `outputRate` at speex `quality` (0…10).
    ///
    /// - Throws: ``AudioError/unsupportedSampleRate`` for a rate outside ``supportedRates``;
    ///   ``AudioError/resamplerFailure`` if libspeexdsp refuses.
    public init(from inputRate: Int, to outputRate: Int, quality: Int = Resampler.defaultQuality) throws(AudioError) {
        for rate in [inputRate, outputRate] where !Self.supportedRates.contains(rate) {
            throw .unsupportedSampleRate(rate)
        }
        guard (0...10).contains(quality) else { throw .resamplerFailure("quality \(quality) is outside 0…10") }
        var error: Int32 = 0
        guard let state = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), Int32(quality), &error) else {
            throw .resamplerFailure(String(cString: speex_resampler_strerror(error)))
        }
        speex_resampler_skip_zeros(state)
        self.state = state
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.quality = quality
    }

    deinit {
        speex_resampler_destroy(state)
    }

    /// The filter's delay in input samples.
    public var inputLatency: Int { Int(speex_resampler_get_input_latency(state)) }
    /// The filter's delay in output samples: how much output lags its input until ``flush(appendingTo:)``.
    public var outputLatency: Int { Int(speex_resampler_get_output_latency(state)) }

    /// The most output `inputCount` more input samples can produce; reserve this much.
    public func maximumOutputCount(forInputCount inputCount: Int) -> Int {
        // In 128 bits, so no count can overflow; a negative count needs no room.
        let rounded = (Int128(max(0, inputCount)) * Int128(outputRate) + Int128(inputRate - 1)) / Int128(inputRate) + 2
        return Int(exactly: rounded) ?? .max
    }

    /// Input samples handed to libspeexdsp at once: its lengths are 32-bit, and the output room
    /// reserved for one call stays small.
    static let chunkLength = 1 << 16

    /// Resamples `input` and appends the result to `output`.
    public func process(_ input: UnsafeBufferPointer<Int16>, appendingTo output: inout [Int16]) {
        guard !input.isEmpty else { return }
        inputCount = inputCount.addingReportingOverflow(input.count).overflow ? .max : inputCount + input.count
        run(input, appendingTo: &output)
    }

    /// Resamples `input` and appends the result to `output`.
    public func process(_ input: [Int16], appendingTo output: inout [Int16]) {
        input.withUnsafeBufferPointer { process($0, appendingTo: &output) }
    }

    /// `input` resampled.
    public func process(_ input: [Int16]) -> [Int16] {
        var output: [Int16] = []
        output.reserveCapacity(maximumOutputCount(forInputCount: input.count))
        process(input, appendingTo: &output)
        return output
    }

    /// Ends the stream: appends the output still held in the filter, so that the total output
    /// since the start (or the last flush) is `inputCount × outputRate / inputRate` rounded, then
    /// resets for a new stream.
    public func flush(appendingTo output: inout [Int16]) {
        let target = Int(exactly: (Int128(inputCount) * Int128(outputRate) + Int128(inputRate / 2)) / Int128(inputRate)) ?? .max
        var missing = target - outputCount
        if missing > 0 {
            let zeros = [Int16](repeating: 0, count: inputLatency + 1)
            var tail: [Int16] = []
            tail.reserveCapacity(maximumOutputCount(forInputCount: zeros.count) * 2)
            var rounds = 0
            while tail.count < missing, rounds < 4 {
                zeros.withUnsafeBufferPointer { run($0, appendingTo: &tail) }
                rounds += 1
            }
            missing = min(missing, tail.count)
            output.append(contentsOf: tail[..<missing])
        }
        reset()
    }

    /// Forgets the stream: clears the filter's memory (the next chunk starts from silence).
    public func reset() {
        speex_resampler_reset_mem(state)
        speex_resampler_skip_zeros(state)
        inputCount = 0
        outputCount = 0
    }

    private func run(_ input: UnsafeBufferPointer<Int16>, appendingTo output: inout [Int16]) {
        guard let base = input.baseAddress else { return }
        var consumed = 0
        while consumed < input.count {
            let chunk = min(input.count - consumed, Self.chunkLength)
            let capacity = maximumOutputCount(forInputCount: chunk)
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: capacity))
            var inputLength = UInt32(chunk)
            var outputLength = UInt32(capacity)
            output.withUnsafeMutableBufferPointer { buffer in
                _ = speex_resampler_process_int(state, 0, base + consumed, &inputLength, buffer.baseAddress! + start, &outputLength)
            }
            output.removeLast(capacity - min(Int(outputLength), capacity))
            outputCount = outputCount.addingReportingOverflow(Int(outputLength)).overflow ? .max : outputCount + Int(outputLength)
            consumed += Int(inputLength)
            if inputLength == 0, outputLength == 0 { break }  // cannot happen with room to write; never spin
        }
    }
}

@available(*, unavailable, message: "a Resampler holds C state: give each stream its own")
extension Resampler: Sendable {}
