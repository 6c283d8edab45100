/// Small helpers shared by the fuzz targets: slicing one libFuzzer input into several messages.

/// The input as an array.
public func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// Splits an input into messages at `separator` (empty pieces kept out), at most `limit` of them,
/// so one input drives a whole exchange (a Twilio stream, a SIP dialog, a client session).
public func split(_ input: [UInt8], separator: [UInt8], limit: Int = 64) -> [[UInt8]] {
    guard !separator.isEmpty else { return [input] }
    var pieces: [[UInt8]] = []
    var start = 0
    var index = 0
    while index + separator.count <= input.count, pieces.count < limit - 1 {
        if input[index..<(index + separator.count)].elementsEqual(separator) {
            if index > start { pieces.append(Array(input[start..<index])) }
            index += separator.count
            start = index
        } else {
            index += 1
        }
    }
    if start < input.count { pieces.append(Array(input[start...])) }
    return pieces
}

/// Reads an input front to back: the first bytes pick options, the rest is the payload.
public struct FuzzReader {
    public private(set) var bytes: ArraySlice<UInt8>
    public init(_ bytes: [UInt8]) { self.bytes = bytes[...] }
    /// The next byte, 0 when the input is used up.
    public mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    /// The next two bytes big-endian.
    public mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    /// The next `count` bytes (fewer at the end).
    public mutating func take(_ count: Int) -> [UInt8] {
        let n = min(count, bytes.count)
        defer { bytes = bytes.dropFirst(n) }
        return Array(bytes.prefix(n))
    }
    /// Whatever is left.
    public mutating func rest() -> [UInt8] {
        defer { bytes = bytes.suffix(0) }
        return Array(bytes)
    }
    public var isEmpty: Bool { bytes.isEmpty }
}

/// Stops the run: libFuzzer reports a crash and keeps the input. For violated invariants that are
/// not traps of their own (a round trip that changes the value, two parsers that disagree).
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant: \(message())", file: file, line: line) }
}
