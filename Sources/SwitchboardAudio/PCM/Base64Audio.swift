/// Base64 for audio payloads (`input_audio_buffer.append`, `response.output_audio.delta`,
/// Twilio `media`): standard alphabet, strict validation, whole frames only.
///
/// Decoding accepts text with or without `=` padding and rejects anything else that is not in
/// the alphabet (whitespace included), so a corrupt payload fails loudly instead of turning into
/// noise. The decoders append into caller-owned buffers.
public enum Base64Audio {
    /// Appends the bytes `text` encodes to `bytes`, checking that they are a whole number of
    /// `frameSize`-byte frames (2 for PCM16 mono, 1 for G.711).
    ///
    /// - Throws: ``AudioError/invalidBase64`` for text outside the alphabet, misplaced padding or
    ///   a length no encoder produces; ``AudioError/oddByteCount`` when `frameSize` is 2 and the
    ///   payload ends in half a sample; ``AudioError/partialFrame`` for other frame sizes. Nothing
    ///   is appended when it throws.
    public static func decode(
        _ text: UnsafeRawBufferPointer,
        frameSize: Int = PCM16.bytesPerSample,
        appendingTo bytes: inout [UInt8]
    ) throws(AudioError) {
        let shape = try measure(text, frameSize: frameSize)
        guard shape.decodedCount > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: shape.decodedCount))
        let failure = bytes.withUnsafeMutableBytes { output in
            write(text, shape, into: UnsafeMutableRawBufferPointer(rebasing: output[start...]))
        }
        if let failure {
            bytes.removeSubrange(start...)
            throw failure
        }
    }

    /// Appends the PCM16 samples `text` encodes (little-endian) to `samples`, decoding straight
    /// into the array's storage.
    ///
    /// - Throws: as ``decode(_:frameSize:appendingTo:)`` with 2-byte frames.
    public static func decodePCM16(_ text: UnsafeRawBufferPointer, appendingTo samples: inout [Int16]) throws(AudioError) {
        let shape = try measure(text, frameSize: PCM16.bytesPerSample)
        guard shape.decodedCount > 0 else { return }
        let start = samples.count
        samples.append(contentsOf: repeatElement(0, count: shape.decodedCount / 2))
        let failure = samples.withUnsafeMutableBufferPointer { buffer in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            let failure = write(text, shape, into: UnsafeMutableRawBufferPointer(rebasing: raw[(start * 2)...]))
            #if _endian(big)
            for index in start..<buffer.count { buffer[index] = Int16(littleEndian: buffer[index]) }
            #endif
            return failure
        }
        if let failure {
            samples.removeSubrange(start...)
            throw failure
        }
    }

    /// Appends the PCM16 samples `text` encodes (little-endian) to `samples`.
    ///
    /// - Throws: as ``decode(_:frameSize:appendingTo:)`` with 2-byte frames.
    public static func decodePCM16(_ text: String, appendingTo samples: inout [Int16]) throws(AudioError) {
        var text = text
        try text.withUTF8 { utf8 in
            Result { () throws(AudioError) in try decodePCM16(UnsafeRawBufferPointer(utf8), appendingTo: &samples) }
        }.get()
    }

    /// The PCM16 samples `text` encodes (little-endian).
    ///
    /// - Throws: as ``decode(_:frameSize:appendingTo:)`` with 2-byte frames.
    public static func decodePCM16(_ text: String) throws(AudioError) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(text.utf8.count / 4 * 3 / 2)
        try decodePCM16(text, appendingTo: &samples)
        return samples
    }

    /// The number of bytes `text` decodes to, once its length, padding and frame size are checked.
    public static func decodedByteCount(_ text: UnsafeRawBufferPointer, frameSize: Int = PCM16.bytesPerSample) throws(AudioError) -> Int {
        try measure(text, frameSize: frameSize).decodedCount
    }

    private struct Shape {
        /// Characters before the padding.
        var length: Int
        /// `length % 4`.
        var tail: Int
        var decodedCount: Int
    }

    /// The number of bytes `text` decodes to, once every character, the padding, the canonical
    /// trailing bits and the frame size are checked, without decoding: for audio that is passed
    /// on as base64 (a Twilio `media` payload) but must be sound.
    ///
    /// - Throws: as ``decode(_:frameSize:appendingTo:)``.
    public static func validatedByteCount(_ text: UnsafeRawBufferPointer, frameSize: Int = PCM16.bytesPerSample) throws(AudioError) -> Int {
        let shape = try measure(text, frameSize: frameSize)
        let failure: AudioError? = decodeTable.withUnsafeBufferPointer { table in
            var bits: UInt8 = 0
            for index in 0..<shape.length { bits |= table[Int(text[index])] }
            if bits & 0x80 != 0 { return badCharacter(text, from: 0, table: table) }
            let last = shape.length - 1
            if shape.tail == 2, table[Int(text[last])] & 0x0F != 0 { return .invalidBase64(at: last, "non-zero trailing bits") }
            if shape.tail == 3, table[Int(text[last])] & 0x03 != 0 { return .invalidBase64(at: last, "non-zero trailing bits") }
            return nil
        }
        if let failure { throw failure }
        return shape.decodedCount
    }

    private static func measure(_ text: UnsafeRawBufferPointer, frameSize: Int) throws(AudioError) -> Shape {
        // A frame size is the caller's, but a wrong one is an error, never a trap.
        guard frameSize > 0 else { throw .partialFrame(byteCount: text.count, frameSize: frameSize) }
        // Padding: at most two `=` at the very end, and only on a length that is a multiple of 4.
        var length = text.count
        var padding = 0
        while length > 0, padding < 2, text[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        if padding > 0, !text.count.isMultiple(of: 4) {
            throw .invalidBase64(at: text.count, "padding on a length that is not a multiple of 4")
        }
        let tail = length % 4
        if tail == 1 { throw .invalidBase64(at: length - 1, "a lone final character") }
        let decodedCount = (length / 4) * 3 + (tail == 0 ? 0 : tail - 1)
        guard decodedCount.isMultiple(of: frameSize) else {
            if frameSize == 2 { throw .oddByteCount(decodedCount) }
            throw .partialFrame(byteCount: decodedCount, frameSize: frameSize)
        }
        return Shape(length: length, tail: tail, decodedCount: decodedCount)
    }

    /// Decodes `text` (already measured) into `output`, which holds exactly `decodedCount` bytes;
    /// the error for the first character outside the alphabet, if any.
    private static func write(_ text: UnsafeRawBufferPointer, _ shape: Shape, into output: UnsafeMutableRawBufferPointer) -> AudioError? {
        decodeTable.withUnsafeBufferPointer { table in
            var out = 0
            var index = 0
            while index + 4 <= shape.length {
                let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                let c = table[Int(text[index + 2])], d = table[Int(text[index + 3])]
                if (a | b | c | d) & 0x80 != 0 { return badCharacter(text, from: index, table: table) }
                let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output[out] = UInt8(truncatingIfNeeded: word >> 16)
                output[out + 1] = UInt8(truncatingIfNeeded: word >> 8)
                output[out + 2] = UInt8(truncatingIfNeeded: word)
                out += 3
                index += 4
            }
            if shape.tail >= 2 {
                let a = table[Int(text[index])], b = table[Int(text[index + 1])]
                let c = shape.tail == 3 ? table[Int(text[index + 2])] : 0
                if (a | b | c) & 0x80 != 0 { return badCharacter(text, from: index, table: table) }
                // The unused low bits of the last character must be zero (canonical encoding).
                if shape.tail == 2, b & 0x0F != 0 { return .invalidBase64(at: index + 1, "non-zero trailing bits") }
                if shape.tail == 3, c & 0x03 != 0 { return .invalidBase64(at: index + 2, "non-zero trailing bits") }
                let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                output[out] = UInt8(truncatingIfNeeded: word >> 16)
                if shape.tail == 3 { output[out + 1] = UInt8(truncatingIfNeeded: word >> 8) }
            }
            return nil
        }
    }

    /// The bytes `text` encodes, a whole number of `frameSize`-byte frames.
    ///
    /// - Throws: as ``decode(_:frameSize:appendingTo:)``.
    public static func decode(_ text: String, frameSize: Int = PCM16.bytesPerSample) throws(AudioError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 4 * 3)
        var text = text
        try text.withUTF8 { utf8 in
            Result { () throws(AudioError) in try decode(UnsafeRawBufferPointer(utf8), frameSize: frameSize, appendingTo: &bytes) }
        }.get()
        return bytes
    }

    /// `bytes` in padded standard base64.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let length = encodedCount(bytes.count)
        guard length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { output in
            encode(bytes, into: UnsafeMutableRawBufferPointer(output))
        }
    }

    /// The length of the padded base64 of `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the padded standard base64 of `bytes` at the start of `output` (which holds at
    /// least ``encodedCount(_:)`` bytes) and returns how many bytes it wrote.
    @discardableResult
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let alphabet = encodeAlphabet
        var out = 0
        var index = 0
        while index + 3 <= bytes.count {
            let word = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output[out] = alphabet[Int(word >> 18)]
            output[out + 1] = alphabet[Int(word >> 12 & 0x3F)]
            output[out + 2] = alphabet[Int(word >> 6 & 0x3F)]
            output[out + 3] = alphabet[Int(word & 0x3F)]
            out += 4
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let word = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output[out] = alphabet[Int(word >> 18)]
            output[out + 1] = alphabet[Int(word >> 12 & 0x3F)]
            output[out + 2] = rest == 2 ? alphabet[Int(word >> 6 & 0x3F)] : UInt8(ascii: "=")
            output[out + 3] = UInt8(ascii: "=")
            out += 4
        }
        return out
    }

    /// `bytes` in padded standard base64.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    /// `samples` as little-endian PCM16 in padded standard base64.
    public static func encodePCM16(_ samples: UnsafeBufferPointer<Int16>) -> String {
        #if _endian(little)
        return encode(UnsafeRawBufferPointer(samples))
        #else
        return encode(PCM16.littleEndianBytes(of: Array(samples)))
        #endif
    }

    /// `samples` as little-endian PCM16 in padded standard base64.
    public static func encodePCM16(_ samples: [Int16]) -> String {
        samples.withUnsafeBufferPointer { encodePCM16($0) }
    }

    private static func badCharacter(_ text: UnsafeRawBufferPointer, from index: Int, table: UnsafeBufferPointer<UInt8>) -> AudioError {
        var offset = index
        while offset < text.count, table[Int(text[offset])] & 0x80 == 0 { offset += 1 }
        let byte = offset < text.count ? text[offset] : 0
        let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
        return .invalidBase64(at: offset, "unexpected \(shown)")
    }

    private static let encodeAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Each byte's 6-bit value, or 0xFF for bytes outside the alphabet.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in encodeAlphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()
}
