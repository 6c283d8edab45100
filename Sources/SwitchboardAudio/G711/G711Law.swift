/// One of the two G.711 companding laws, for code that handles either.
public enum G711Law: String, Sendable, Hashable, CaseIterable {
    /// μ-law (PCMU).
    case muLaw
    /// A-law (PCMA).
    case aLaw

    /// The sample rate G.711 runs at on the phone network.
    public static let sampleRate = 8_000

    /// The linear value of `code`.
    public func decode(_ code: UInt8) -> Int16 {
        self == .muLaw ? MuLaw.decode(code) : ALaw.decode(code)
    }

    /// The code of `sample`.
    public func encode(_ sample: Int16) -> UInt8 {
        self == .muLaw ? MuLaw.encode(sample) : ALaw.encode(sample)
    }

    /// Appends the linear samples of `codes` to `samples`.
    public func decode(_ codes: UnsafeRawBufferPointer, appendingTo samples: inout [Int16]) {
        G711Tables.decode(codes, with: decodeTable, appendingTo: &samples)
    }

    /// The linear samples of `codes`.
    public func decode(_ codes: [UInt8]) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(codes.count)
        codes.withUnsafeBytes { decode($0, appendingTo: &samples) }
        return samples
    }

    /// Appends the codes of `samples` to `codes`.
    public func encode(_ samples: UnsafeBufferPointer<Int16>, appendingTo codes: inout [UInt8]) {
        G711Tables.encode(samples, with: encodeTable, appendingTo: &codes)
    }

    /// The codes of `samples`.
    public func encode(_ samples: [Int16]) -> [UInt8] {
        var codes: [UInt8] = []
        codes.reserveCapacity(samples.count)
        samples.withUnsafeBufferPointer { encode($0, appendingTo: &codes) }
        return codes
    }

    var decodeTable: [Int16] { self == .muLaw ? MuLaw.decodeTable : ALaw.decodeTable }
    var encodeTable: [UInt8] { self == .muLaw ? MuLaw.encodeTable : ALaw.encodeTable }
}

/// The table-driven loops both laws share.
enum G711Tables {
    static func decode(_ codes: UnsafeRawBufferPointer, with table: [Int16], appendingTo samples: inout [Int16]) {
        guard !codes.isEmpty else { return }
        let start = samples.count
        samples.append(contentsOf: repeatElement(0, count: codes.count))
        table.withUnsafeBufferPointer { table in
            samples.withUnsafeMutableBufferPointer { output in
                for (index, code) in codes.enumerated() { output[start + index] = table[Int(code)] }
            }
        }
    }

    static func encode(_ samples: UnsafeBufferPointer<Int16>, with table: [UInt8], appendingTo codes: inout [UInt8]) {
        guard !samples.isEmpty else { return }
        let start = codes.count
        codes.append(contentsOf: repeatElement(0, count: samples.count))
        table.withUnsafeBufferPointer { table in
            codes.withUnsafeMutableBufferPointer { output in
                for (index, sample) in samples.enumerated() {
                    output[start + index] = table[Int(UInt16(bitPattern: sample))]
                }
            }
        }
    }
}
