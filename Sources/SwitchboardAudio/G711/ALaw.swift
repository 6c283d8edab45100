/// G.711 A-law (ITU-T G.711, the European PCMA), on 16-bit linear samples.
///
/// The standard quantises a 13-bit linear magnitude: segment 0 and 1 share the finest step, each
/// later segment doubles it. Codes are sign (1 = positive), 3 segment bits and 4 step bits, with
/// the even bits inverted for transmission (XOR 0x55). 16-bit input is truncated to 13 bits; a
/// negative sample's magnitude is its one's complement, so the quantiser is symmetric about −½
/// and has no code for zero (0 encodes to 0xD5, +8). Decoding returns the interval's midpoint
/// scaled to 16 bits (±32 256 at most).
public enum ALaw {
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
        // 13-bit value by arithmetic shift; negative values take their one's complement.
        let value13 = Int(sample) >> 3
        let positive = value13 >= 0
        let magnitude = positive ? value13 : ~value13  // 0...4095
        // Segment 0 is [0, 32), segment s ≥ 1 is [16·2^s, 32·2^s).
        var segment = 0
        while segment < 7, magnitude >= (32 << segment) { segment += 1 }
        let step = (segment == 0 ? magnitude >> 1 : magnitude >> segment) & 0x0F
        let code = UInt8(segment << 4 | step) | (positive ? 0x80 : 0)
        return code ^ 0x55
    }

    /// The linear value of `code`, computed: the midpoint of its quantisation interval.
    static func decodeByFormula(_ code: UInt8) -> Int16 {
        let bits = code ^ 0x55
        let segment = Int(bits >> 4) & 0x07
        let step = Int(bits) & 0x0F
        // In 13 bits: segment 0 is 2·step + 1, segment s ≥ 1 is (2·step + 33) << (s − 1); × 8.
        let magnitude = segment == 0 ? (step << 4) + 8 : ((step << 4) + 0x108) << (segment - 1)
        return Int16(bits & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Every code's linear value.
    public static let decodeTable: [Int16] = (0...255).map { decodeByFormula(UInt8($0)) }

    /// Every 16-bit sample's code, indexed by the sample's bit pattern.
    static let encodeTable: [UInt8] = (0...0xFFFF).map { encodeBySegmentSearch(Int16(bitPattern: UInt16($0))) }
}
