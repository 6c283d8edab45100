/// G.711 μ-law (ITU-T G.711, the North American and Japanese PCMU), on 16-bit linear samples.
///
/// The standard quantises a 14-bit linear magnitude: 8 segments of 16 steps, each segment's step
/// twice the previous one's, with the magnitude biased by 33 so that segment boundaries fall on
/// powers of two. Codes are sign (1 = positive), 3 segment bits and 4 step bits, all inverted
/// for transmission. 16-bit input is truncated to 14 bits by its magnitude, so the quantiser is
/// symmetric; decoding returns the interval's midpoint scaled back to 16 bits (±32 124 at most).
/// There are two codes for zero: 0xFF (+0, what 0 encodes to) and 0x7F (−0).
public enum MuLaw {
    /// The biased 14-bit magnitude ceiling (8159 + 33 − 1): the last step of segment 7.
    static let maximumBiasedMagnitude = 0x1FFF
    /// The bias added to the 14-bit magnitude.
    static let bias = 33

    /// The linear value of `code`.
    @inline(__always)
    public static func decode(_ code: UInt8) -> Int16 {
        decodeTable.withUnsafeBufferPointer { $0[Int(code)] }
    }

    /// The code of the linear sample `sample`.
    @inline(__always)
    public static func encode(_ sample: Int16) -> UInt8 {
        encodeTable.withUnsafeBufferPointer { $0[Int(UInt16(bitPattern: sample))] }
    }

    /// Appends the linear samples of `codes` to `samples`.
    public static func decode(_ codes: UnsafeRawBufferPointer, appendingTo samples: inout [Int16]) {
        G711Tables.decode(codes, with: decodeTable, appendingTo: &samples)
    }

    /// Appends the codes of `samples` to `codes`.
    public static func encode(_ samples: UnsafeBufferPointer<Int16>, appendingTo codes: inout [UInt8]) {
        G711Tables.encode(samples, with: encodeTable, appendingTo: &codes)
    }

    /// The code of `sample` found by searching the segments, the algorithm the tables are built
    /// from.
    static func encodeBySegmentSearch(_ sample: Int16) -> UInt8 {
        let negative = sample < 0
        // |sample| in 16 bits, truncated to 14 bits, then biased; clipped to the last step.
        let magnitude14 = Int(sample.magnitude) >> 2
        let biased = min(magnitude14 + bias, maximumBiasedMagnitude)
        // Segment s holds biased magnitudes [32·2^s, 64·2^s): its top bit is bit s + 5.
        var segment = 0
        while segment < 7, biased >= (64 << segment) { segment += 1 }
        let step = (biased >> (segment + 1)) & 0x0F
        let code = UInt8(segment << 4 | step)
        return negative ? ~code & 0x7F : ~code
    }

    /// The linear value of `code`, computed: the midpoint of its quantisation interval.
    static func decodeByFormula(_ code: UInt8) -> Int16 {
        let bits = ~code
        let segment = Int(bits >> 4) & 0x07
        let step = Int(bits) & 0x0F
        // In 14 bits: ((2·step + 33) << segment) − 33; times 4 for 16 bits.
        let magnitude = ((step << 3) + 4 * bias) << segment - 4 * bias
        return Int16(bits & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// Every code's linear value.
    public static let decodeTable: [Int16] = (0...255).map { decodeByFormula(UInt8($0)) }

    /// Every 16-bit sample's code, indexed by the sample's bit pattern.
    static let encodeTable: [UInt8] = (0...0xFFFF).map { encodeBySegmentSearch(Int16(bitPattern: UInt16($0))) }
}
