import Foundation
import Testing
import SwitchboardAudio

private let rates = [8_000, 16_000, 22_050, 24_000]
private let ratePairs: [(Int, Int)] = rates.flatMap { from in rates.filter { $0 != from }.map { (from, $0) } }

/// Resamples `input` in chunks of random sizes (1…`largest`), then flushes.
private func resampleInChunks(_ input: [Int16], with resampler: Resampler, largest: Int, seed: UInt64) -> [Int16] {
    var random = SeededRandom(seed: seed)
    var output: [Int16] = []
    var offset = 0
    while offset < input.count {
        let count = min(1 + Int(random.next() % UInt64(largest)), input.count - offset)
        input[offset..<(offset + count)].withUnsafeBufferPointer { resampler.process($0, appendingTo: &output) }
        offset += count
    }
    resampler.flush(appendingTo: &output)
    return output
}

@Suite("resampling with libspeexdsp")
struct ResamplerTests {
    @Test("one piece or random chunks give the same signal", arguments: ratePairs)
    func chunkingDoesNotMatter(from: Int, to: Int) throws {
        let input = Signals.pcm16(Signals.sine(frequency: 440, sampleRate: from, count: from, amplitude: 0.5))
        let whole = try Resampler(from: from, to: to)
        var oneshot = whole.process(input)
        whole.flush(appendingTo: &oneshot)
        let chunked = resampleInChunks(input, with: try Resampler(from: from, to: to), largest: 700, seed: UInt64(from + to))
        #expect(oneshot.count == chunked.count)
        let largestDifference = zip(oneshot, chunked).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(largestDifference <= 2)
        // Tiny chunks too (single samples at times).
        let tiny = resampleInChunks(input, with: try Resampler(from: from, to: to), largest: 3, seed: 5)
        #expect(zip(oneshot, tiny).map { abs(Int($0) - Int($1)) }.max() ?? 0 <= 2)
    }

    @Test("the length ratio is exact once flushed, and a flushed resampler starts afresh", arguments: ratePairs)
    func lengths(from: Int, to: Int) throws {
        let resampler = try Resampler(from: from, to: to)
        for count in [from, 12_345, 160, 7] {
            let input = [Int16](repeating: 1_000, count: count)
            let output = resampleInChunks(input, with: resampler, largest: 400, seed: UInt64(count))
            #expect(output.count == (count * to + from / 2) / from, "\(count) samples")
        }
    }

    @Test("frequency, level and timing survive: the output is the same sine sampled at the new rate", arguments: ratePairs)
    func sineIsPreserved(from: Int, to: Int) throws {
        let frequency = 440.0, amplitude = 0.5
        let input = Signals.pcm16(Signals.sine(frequency: frequency, sampleRate: from, count: from, amplitude: amplitude))
        let output = resampleInChunks(input, with: try Resampler(from: from, to: to), largest: 500, seed: 1)
        let middle = Array(Signals.doubles(output)[(to / 10)..<(to * 9 / 10)])
        #expect(abs(Signals.zeroCrossingFrequency(middle, sampleRate: to) - frequency) < 0.2)
        #expect(Signals.toneFraction(middle, frequency: frequency, sampleRate: to) > 0.99)
        #expect(abs(Signals.rms(middle) - amplitude / 2.squareRoot()) < 0.005)
        // Output sample n is the input at time n / to: the filter delay has been removed.
        let ideal = Signals.sine(frequency: frequency, sampleRate: to, count: output.count, amplitude: amplitude)
        let error = Signals.rms(zip(Signals.doubles(output), ideal).map { $0 - $1 }[(to / 10)..<(to * 9 / 10)])
        #expect(error < 0.01 * amplitude, "error \(error)")
    }

    @Test("no clicks at chunk borders: the output never jumps more than a sine can")
    func noClicks() throws {
        let input = Signals.pcm16(Signals.sine(frequency: 1_000, sampleRate: 8_000, count: 8_000, amplitude: 0.5))
        let output = Signals.doubles(resampleInChunks(input, with: try Resampler(from: 8_000, to: 24_000), largest: 160, seed: 3))
        let steepest = 2 * Double.pi * 1_000 / 24_000 * 0.5
        let largestStep = zip(output, output.dropFirst()).map { abs($1 - $0) }.max() ?? 0
        #expect(largestStep < steepest * 1.05)
    }

    @Test("upsampling leaves no images; downsampling removes what the new rate cannot carry")
    func antiAliasing() throws {
        // A 3 kHz tone at 8 kHz would image at 5 kHz after naive upsampling to 24 kHz.
        let tone = Signals.pcm16(Signals.sine(frequency: 3_000, sampleRate: 8_000, count: 8_000, amplitude: 0.5))
        let up = Signals.doubles(try Resampler(from: 8_000, to: 24_000).process(tone))
        let upMiddle = Array(up[2_400..<21_600])
        #expect(Signals.toneFraction(upMiddle, frequency: 5_000, sampleRate: 24_000) < 1e-4)
        #expect(Signals.toneFraction(upMiddle, frequency: 3_000, sampleRate: 24_000) > 0.99)
        // A 6 kHz tone at 24 kHz has no place at 8 kHz (it would alias to 2 kHz).
        let high = Signals.pcm16(Signals.sine(frequency: 6_000, sampleRate: 24_000, count: 24_000, amplitude: 0.5))
        let down = Signals.doubles(try Resampler(from: 24_000, to: 8_000).process(high))
        #expect(Signals.rms(down[800..<7_200]) < 0.5 / 2.squareRoot() * 0.01)
    }

    @Test("latency is reported and quality is configurable")
    func latencyAndQuality() throws {
        let fast = try Resampler(from: 8_000, to: 24_000, quality: 0)
        let best = try Resampler(from: 8_000, to: 24_000, quality: 10)
        #expect(fast.inputLatency > 0 && fast.outputLatency > 0)
        #expect(best.outputLatency > fast.outputLatency)
        #expect(best.quality == 10 && best.inputRate == 8_000 && best.outputRate == 24_000)
        // Before the flush, output lags the input by the latency.
        let output = best.process([Int16](repeating: 100, count: 8_000))
        #expect(abs(output.count - (24_000 - best.outputLatency)) <= 3)
    }

    @Test("rates and qualities it does not support are errors")
    func unsupported() {
        #expect(throws: AudioError.unsupportedSampleRate) { try Resampler(from: 11_025, to: 24_000) }
        #expect(throws: AudioError.unsupportedSampleRate) { try Resampler(from: 24_000, to: 0) }
        #expect(throws: AudioError.resamplerFailure) { try Resampler(from: 8_000, to: 24_000, quality: 11) }
    }

    @Test("reset forgets the previous stream")
    func reset() throws {
        let resampler = try Resampler(from: 24_000, to: 8_000)
        _ = resampler.process(Signals.pcm16(Signals.sine(frequency: 440, sampleRate: 24_000, count: 2_400)))
        resampler.reset()
        let afterReset = resampler.process([Int16](repeating: 0, count: 2_400))
        #expect(afterReset.allSatisfy { $0 == 0 })
    }
}
