// Base64Audio: `input_audio_buffer.append` audio, model deltas and Twilio media payloads.
// Decoding with each frame size and as PCM16; whatever decodes must encode back to the same text
// (padded), and the measured size must match.
//
// Input: one byte picks the frame size (1–4), the rest is the base64 text.
import FuzzSupport
import SwitchboardAudio

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let frameSize = Int(data[0] % 4) + 1
    let text = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let measured = try? Base64Audio.decodedByteCount(text, frameSize: frameSize)
    var bytes: [UInt8] = [0xAA]
    do {
        try Base64Audio.decode(text, frameSize: frameSize, appendingTo: &bytes)
        invariant(measured == bytes.count - 1, "decodedByteCount \(String(describing: measured)) != \(bytes.count - 1) bytes decoded")
        let decoded = Array(bytes.dropFirst())
        let encoded = Array(Base64Audio.encode(decoded).utf8)
        var padded = Array(text)
        while padded.count % 4 != 0 { padded.append(UInt8(ascii: "=")) }
        invariant(encoded == padded, "encode(decode(text)) != text")
    } catch {
        invariant(bytes == [0xAA], "a failed decode appended bytes")
    }
    var samples: [Int16] = [7]
    do {
        try Base64Audio.decodePCM16(text, appendingTo: &samples)
        invariant(samples.count - 1 == (try? Base64Audio.decodedByteCount(text, frameSize: 2)).map { $0 / 2 }, "PCM16 sample count")
        let encoded = Base64Audio.encodePCM16(Array(samples.dropFirst()))
        invariant(Array(encoded.utf8) == Array(try! Base64Audio.encode(Base64Audio.decode(String(decoding: text, as: UTF8.self), frameSize: 2)).utf8),
                  "PCM16 round trip")
    } catch {
        invariant(samples == [7], "a failed PCM16 decode appended samples")
    }
    return 0
}
