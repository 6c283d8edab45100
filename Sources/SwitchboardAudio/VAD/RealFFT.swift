#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The power spectrum of a real signal by a radix-2 FFT, with its tables and working buffers
/// made once: computing a spectrum does not allocate.
///
/// The `size` real inputs are packed as `size / 2` complex values (even samples real, odd
/// imaginary), transformed in place, and unpacked into the `size / 2 + 1` bins of the real
/// signal's spectrum.
struct RealFFT: Sendable {
    /// The number of real inputs, a power of two.
    let size: Int
    /// Complex points of the packed transform.
    private let half: Int
    /// e^(−2πik/half) for k < half/2: the packed transform's twiddles.
    private let twiddleRe: [Float]
    private let twiddleIm: [Float]
    /// e^(−2πik/size) for k ≤ half: the unpacking twiddles.
    private let unpackRe: [Float]
    private let unpackIm: [Float]
    /// The bit-reversed index of each packed point.
    private let bitReversed: [Int32]
    private var re: [Float]
    private var im: [Float]

    /// Bins in the spectrum: `size / 2 + 1`, from 0 Hz to half the sample rate.
    var binCount: Int { half + 1 }

    init(size: Int) {
        precondition(size >= 4 && size.nonzeroBitCount == 1, "FFT size must be a power of two ≥ 4")
        self.size = size
        half = size / 2
        let half = size / 2
        twiddleRe = (0..<(half / 2)).map { Float(cos(-2 * Double.pi * Double($0) / Double(half))) }
        twiddleIm = (0..<(half / 2)).map { Float(sin(-2 * Double.pi * Double($0) / Double(half))) }
        unpackRe = (0...half).map { Float(cos(-2 * Double.pi * Double($0) / Double(size))) }
        unpackIm = (0...half).map { Float(sin(-2 * Double.pi * Double($0) / Double(size))) }
        let bits = half.trailingZeroBitCount
        bitReversed = (0..<half).map { index in
            var reversed = 0
            for bit in 0..<bits where index & (1 << bit) != 0 { reversed |= 1 << (bits - 1 - bit) }
            return Int32(reversed)
        }
        re = [Float](repeating: 0, count: half)
        im = [Float](repeating: 0, count: half)
    }

    /// Writes |X[k]|² for k in 0…size/2 of the `size` real values of `input` into `power`.
    mutating func powerSpectrum(_ input: UnsafeBufferPointer<Float>, into power: UnsafeMutableBufferPointer<Float>) {
        precondition(input.count == size && power.count >= half + 1, "buffer sizes do not match the FFT")
        let half = self.half
        let twiddleRe = self.twiddleRe, twiddleIm = self.twiddleIm
        let unpackRe = self.unpackRe, unpackIm = self.unpackIm
        let bitReversed = self.bitReversed
        re.withUnsafeMutableBufferPointer { re in
            im.withUnsafeMutableBufferPointer { im in
                bitReversed.withUnsafeBufferPointer { bitReversed in
                    for index in 0..<half {
                        let target = Int(bitReversed[index])
                        re[target] = input[2 * index]
                        im[target] = input[2 * index + 1]
                    }
                }
                twiddleRe.withUnsafeBufferPointer { twiddleRe in
                    twiddleIm.withUnsafeBufferPointer { twiddleIm in
                        var length = 2
                        while length <= half {
                            let span = length / 2
                            let stride = half / length
                            var block = 0
                            while block < half {
                                for offset in 0..<span {
                                    let wr = twiddleRe[offset * stride], wi = twiddleIm[offset * stride]
                                    let top = block + offset, bottom = top + span
                                    let vr = re[bottom] * wr - im[bottom] * wi
                                    let vi = re[bottom] * wi + im[bottom] * wr
                                    re[bottom] = re[top] - vr
                                    im[bottom] = im[top] - vi
                                    re[top] += vr
                                    im[top] += vi
                                }
                                block += length
                            }
                            length *= 2
                        }
                    }
                }
                unpackRe.withUnsafeBufferPointer { unpackRe in
                    unpackIm.withUnsafeBufferPointer { unpackIm in
                        for k in 0...half {
                            let a = k % half, b = (half - k) % half
                            // Z[k] and conj(Z[half − k]).
                            let zr = re[a], zi = im[a]
                            let cr = re[b], ci = -im[b]
                            // Even part (Z + conj)/2, odd part (Z − conj)/(2i).
                            let er = (zr + cr) * 0.5, ei = (zi + ci) * 0.5
                            let or = (zi - ci) * 0.5, oi = -(zr - cr) * 0.5
                            let wr = unpackRe[k], wi = unpackIm[k]
                            let xr = er + or * wr - oi * wi
                            let xi = ei + or * wi + oi * wr
                            power[k] = xr * xr + xi * xi
                        }
                    }
                }
            }
        }
    }
}
