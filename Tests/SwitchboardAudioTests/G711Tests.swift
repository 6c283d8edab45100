import Testing
@testable import SwitchboardAudio

/// A deliberately plain reading of ITU-T G.711: the decision intervals of each segment listed
/// one by one, searched linearly. It shares nothing with the codec's bit manipulation.
private struct Quantiser {
    struct Interval {
        var lower: Int  // inclusive, in the law's native magnitude (14-bit μ, 13-bit A)
        var upper: Int  // exclusive
        var segment: Int
        var step: Int
        var reconstruction: Int { (lower + upper) / 2 }
    }

    var intervals: [Interval]

    /// Intervals from the segment boundaries and step sizes of the standard's tables.
    init(segmentStarts: [Int], steps: [Int], firstIntervalWidth: Int) {
        intervals = []
        for segment in 0..<8 {
            var lower = segmentStarts[segment]
            for step in 0..<16 {
                let width = segment == 0 && step == 0 ? firstIntervalWidth : steps[segment]
                intervals.append(Interval(lower: lower, upper: lower + width, segment: segment, step: step))
                lower += width
            }
        }
    }

    /// The interval holding `magnitude`; magnitudes past the last decision value clip to it.
    func interval(of magnitude: Int) -> Interval {
        for interval in intervals where magnitude >= interval.lower && magnitude < interval.upper { return interval }
        return intervals[intervals.count - 1]
    }

    /// The reconstruction values of the intervals in `segment`.
    func reconstructions(inSegment segment: Int) -> [Int] {
        intervals.filter { $0.segment == segment }.map(\.reconstruction)
    }
}

/// μ-law: 14-bit magnitudes; interval [0, 1) decodes to 0, then steps of 2, 4, … 256 from the
/// decision values 1, 31, 95, 223, 479, 991, 2015, 4063 up to 8159.
private let muLawQuantiser = Quantiser(
    segmentStarts: [0, 31, 95, 223, 479, 991, 2015, 4063],
    steps: [2, 4, 8, 16, 32, 64, 128, 256],
    firstIntervalWidth: 1
)

/// A-law: 13-bit magnitudes; steps of 2 in the first two segments, then 4 … 128, up to 4096.
private let aLawQuantiser = Quantiser(
    segmentStarts: [0, 32, 64, 128, 256, 512, 1024, 2048],
    steps: [2, 2, 4, 8, 16, 32, 64, 128],
    firstIntervalWidth: 2
)

private func referenceMuLaw(_ sample: Int16) -> UInt8 {
    let interval = muLawQuantiser.interval(of: Int(sample.magnitude) / 4)
    let bits = UInt8(interval.segment << 4 | interval.step)
    return sample < 0 ? 0x7F ^ bits : 0xFF ^ bits
}

private func referenceMuLawValue(_ code: UInt8) -> Int {
    let bits = ~code
    let interval = muLawQuantiser.intervals[Int(bits & 0x7F)]
    let magnitude = 4 * interval.reconstruction
    return bits & 0x80 != 0 ? -magnitude : magnitude
}

private func referenceALaw(_ sample: Int16) -> UInt8 {
    let positive = sample >= 0
    let magnitude = positive ? Int(sample) / 8 : (-Int(sample) - 1) / 8
    let interval = aLawQuantiser.interval(of: magnitude)
    let bits = UInt8(interval.segment << 4 | interval.step) | (positive ? 0x80 : 0)
    return bits ^ 0x55
}

private func referenceALawValue(_ code: UInt8) -> Int {
    let bits = code ^ 0x55
    let interval = aLawQuantiser.intervals[Int(bits & 0x7F)]
    let magnitude = 8 * interval.reconstruction
    return bits & 0x80 != 0 ? magnitude : -magnitude
}

@Suite("G.711 μ-law and A-law")
struct G711Tests {
    @Test("μ-law: known codes")
    func muLawKnownValues() {
        #expect(MuLaw.encode(0) == 0xFF)
        #expect(MuLaw.decode(0xFF) == 0)
        #expect(MuLaw.decode(0x7F) == 0)
        #expect(MuLaw.decode(0x80) == 32_124)
        #expect(MuLaw.decode(0x00) == -32_124)
        #expect(MuLaw.encode(.max) == 0x80)
        #expect(MuLaw.encode(.min) == 0x00)
        #expect(MuLaw.encode(-1) == 0x7F)
        #expect(MuLaw.decode(0xFE) == 8)
        #expect(MuLaw.decode(0x7E) == -8)
    }

    @Test("A-law: known codes")
    func aLawKnownValues() {
        #expect(ALaw.encode(0) == 0xD5)
        #expect(ALaw.encode(-1) == 0x55)
        #expect(ALaw.decode(0xD5) == 8)
        #expect(ALaw.decode(0x55) == -8)
        #expect(ALaw.decode(0xAA) == 32_256)
        #expect(ALaw.decode(0x2A) == -32_256)
        #expect(ALaw.encode(.max) == 0xAA)
        #expect(ALaw.encode(.min) == 0x2A)
    }

    @Test("every code decodes to its interval's midpoint in the standard's tables")
    func decodeTables() {
        for code in 0...255 {
            let byte = UInt8(code)
            #expect(Int(MuLaw.decode(byte)) == referenceMuLawValue(byte), "μ-law 0x\(String(code, radix: 16))")
            #expect(Int(ALaw.decode(byte)) == referenceALawValue(byte), "A-law 0x\(String(code, radix: 16))")
        }
    }

    @Test("every code survives decode then encode (μ-law −0, 0x7F, comes back as +0, 0xFF)")
    func codesRoundTrip() {
        for code in 0...255 {
            let byte = UInt8(code)
            #expect(MuLaw.encode(MuLaw.decode(byte)) == (byte == 0x7F ? 0xFF : byte))
            #expect(ALaw.encode(ALaw.decode(byte)) == byte)
        }
    }

    @Test("all 65 536 linear values encode to the code of the decision interval holding them")
    func encodeMatchesReference() {
        var muLawMismatches = 0, aLawMismatches = 0
        for pattern in 0...0xFFFF {
            let sample = Int16(bitPattern: UInt16(pattern))
            if MuLaw.encode(sample) != referenceMuLaw(sample) { muLawMismatches += 1 }
            if ALaw.encode(sample) != referenceALaw(sample) { aLawMismatches += 1 }
            // The table and the segment search agree.
            if MuLaw.encode(sample) != MuLaw.encodeBySegmentSearch(sample) { muLawMismatches += 1 }
            if ALaw.encode(sample) != ALaw.encodeBySegmentSearch(sample) { aLawMismatches += 1 }
        }
        #expect(muLawMismatches == 0)
        #expect(aLawMismatches == 0)
    }

    @Test("the decoded value is the nearest one its segment offers, within half a step")
    func nearestWithinSegment() {
        for pattern in 0...0xFFFF {
            let sample = Int16(bitPattern: UInt16(pattern))
            // μ-law, in 14-bit magnitudes.
            let muMagnitude = Int(sample.magnitude) / 4
            if muMagnitude < 8159 {
                let code = ~MuLaw.encode(sample)
                let segment = Int(code >> 4) & 7
                let decoded = Int(MuLaw.decode(MuLaw.encode(sample)).magnitude) / 4
                let best = muLawQuantiser.reconstructions(inSegment: segment).map { abs($0 - muMagnitude) }.min()!
                #expect(abs(decoded - muMagnitude) == best, "μ-law \(sample)")
            }
            // A-law, in 13-bit magnitudes.
            let aMagnitude = sample >= 0 ? Int(sample) / 8 : (-Int(sample) - 1) / 8
            let aCode = ALaw.encode(sample) ^ 0x55
            let aSegment = Int(aCode >> 4) & 7
            let aDecoded = Int(ALaw.decode(ALaw.encode(sample)).magnitude) / 8
            let aBest = aLawQuantiser.reconstructions(inSegment: aSegment).map { abs($0 - aMagnitude) }.min()!
            #expect(abs(aDecoded - aMagnitude) == aBest, "A-law \(sample)")
        }
    }

    @Test("quantisation error stays within half a step of the segment (plus the truncation)")
    func errorBound() {
        for pattern in 0...0xFFFF {
            let sample = Int16(bitPattern: UInt16(pattern))
            let value = Int(sample)
            let muError = abs(Int(MuLaw.decode(MuLaw.encode(sample))) - value)
            let muSegment = Int(~MuLaw.encode(sample) >> 4) & 7
            if abs(value) <= 32_124 { #expect(muError <= 4 << muSegment + 3, "μ-law \(value)") }
            let aError = abs(Int(ALaw.decode(ALaw.encode(sample))) - value)
            let aSegment = Int((ALaw.encode(sample) ^ 0x55) >> 4) & 7
            if abs(value) <= 32_256 { #expect(aError <= (8 << max(aSegment - 1, 0)) + 7, "A-law \(value)") }
        }
    }

    @Test("both laws are monotonic: a larger input never decodes smaller")
    func monotonic() {
        var previousMu = Int.min, previousA = Int.min
        var muViolations = 0, aViolations = 0
        for value in Int(Int16.min)...Int(Int16.max) {
            let sample = Int16(value)
            let mu = Int(MuLaw.decode(MuLaw.encode(sample)))
            let a = Int(ALaw.decode(ALaw.encode(sample)))
            if mu < previousMu { muViolations += 1 }
            if a < previousA { aViolations += 1 }
            previousMu = mu
            previousA = a
        }
        #expect(muViolations == 0)
        #expect(aViolations == 0)
        // Decoded values in code order are strictly monotonic within each sign.
        for law in G711Law.allCases {
            let positives = (0..<128).map { law == .muLaw ? Int(MuLaw.decode(0xFF ^ UInt8($0))) : Int(ALaw.decode(0xD5 ^ UInt8($0))) }
            #expect(zip(positives, positives.dropFirst()).allSatisfy { $0 < $1 }, "\(law)")
        }
    }

    @Test("the buffer forms match sample by sample")
    func bufferForms() {
        let samples: [Int16] = stride(from: -32_768, through: 32_767, by: 97).map { Int16($0) }
        for law in G711Law.allCases {
            let codes = law.encode(samples)
            #expect(codes == samples.map { law.encode($0) })
            var decoded: [Int16] = [42]
            codes.withUnsafeBytes { law.decode($0, appendingTo: &decoded) }
            #expect(decoded == [42] + codes.map { law.decode($0) })
        }
    }
}
