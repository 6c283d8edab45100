import Foundation
import Testing
@testable import SwitchboardAudio

@Suite("real FFT")
struct RealFFTTests {
    @Test("power spectrum matches a direct DFT", arguments: [4, 8, 64, 256, 512])
    func matchesDirectTransform(size: Int) {
        var random = SeededRandom(seed: UInt64(size))
        let input = (0..<size).map { _ in Float(random.gaussian()) }
        var fft = RealFFT(size: size)
        var power = [Float](repeating: 0, count: size / 2 + 1)
        input.withUnsafeBufferPointer { input in
            power.withUnsafeMutableBufferPointer { fft.powerSpectrum(input, into: $0) }
        }
        for bin in 0...(size / 2) {
            var re = 0.0, im = 0.0
            for (index, value) in input.enumerated() {
                let angle = -2 * Double.pi * Double(bin * index) / Double(size)
                re += Double(value) * cos(angle)
                im += Double(value) * sin(angle)
            }
            let expected = re * re + im * im
            #expect(abs(Double(power[bin]) - expected) <= 1e-3 * max(1, expected), "bin \(bin)")
        }
    }
}
