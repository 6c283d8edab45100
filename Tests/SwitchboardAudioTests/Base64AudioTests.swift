import Foundation
import Testing
import SwitchboardAudio

@Suite("base64 audio payloads")
struct Base64AudioTests {
    @Test("encoding and decoding agree with Foundation for every length up to 64")
    func matchesFoundation() throws {
        var random = SeededRandom(seed: 11)
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let expected = Data(bytes).base64EncodedString()
            #expect(Base64Audio.encode(bytes) == expected)
            #expect(try Base64Audio.decode(expected, frameSize: 1) == bytes)
            // Unpadded text is accepted too.
            let unpadded = expected.replacingOccurrences(of: "=", with: "")
            #expect(try Base64Audio.decode(unpadded, frameSize: 1) == bytes)
        }
    }

    @Test("PCM16 payloads decode to samples and back")
    func pcm16() throws {
        let samples: [Int16] = [0, 1, -1, .max, .min, 12_345, -12_345]
        let text = Base64Audio.encodePCM16(samples)
        #expect(text == Data(PCM16.littleEndianBytes(of: samples)).base64EncodedString())
        #expect(try Base64Audio.decodePCM16(text) == samples)
        var appended: [Int16] = [9]
        try Base64Audio.decodePCM16(text, appendingTo: &appended)
        #expect(appended == [9] + samples)
    }

    @Test("an odd number of bytes is rejected for PCM16 but not for G.711")
    func frames() throws {
        let three = Data([1, 2, 3]).base64EncodedString()
        #expect(throws: AudioError.oddByteCount) { try Base64Audio.decodePCM16(three) }
        #expect(throws: AudioError.oddByteCount) { try Base64Audio.decode(three) }
        #expect(try Base64Audio.decode(three, frameSize: 1) == [1, 2, 3])
        #expect(throws: AudioError.partialFrame) { try Base64Audio.decode(Data([1, 2, 3, 4, 5, 6]).base64EncodedString(), frameSize: 4) }
        #expect(try Base64Audio.decode("", frameSize: 2) == [])
    }

    @Test("text outside the alphabet, bad padding and non-canonical endings are errors",
          arguments: ["AAA*", "AA AA", "AAAA\n", "A", "AAAAA", "AA=A", "AAA==", "A===", "=AAA", "AB==", "AAB=", "-_AA"])
    func invalid(text: String) {
        #expect(throws: AudioError.invalidBase64) { try Base64Audio.decode(text, frameSize: 1) }
    }

    @Test("a failed decode leaves the destination as it was")
    func failureAppendsNothing() {
        var samples: [Int16] = [1, 2]
        #expect(throws: AudioError.invalidBase64) { try Base64Audio.decodePCM16("AAAA!AAA", appendingTo: &samples) }
        #expect(samples == [1, 2])
        var bytes: [UInt8] = [3]
        #expect(throws: AudioError.invalidBase64) {
            try Array("AAAA!AAA".utf8).withUnsafeBytes { try Base64Audio.decode($0, frameSize: 1, appendingTo: &bytes) }
        }
        #expect(bytes == [3])
    }

    @Test("errors say where and why")
    func messages() {
        do {
            _ = try Base64Audio.decode("AAAAAA!A", frameSize: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("'!'"))
            #expect(error.description.contains("offset 6"))
        }
    }
}
