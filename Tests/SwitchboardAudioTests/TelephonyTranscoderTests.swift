import Foundation
import Testing
import SwitchboardAudio

@Suite("telephony transcoding: G.711 8 kHz ⇄ PCM16 24 kHz")
struct TelephonyTranscoderTests {
    @Test("a caller's tone arrives at 24 kHz at the same pitch and level", arguments: G711Law.allCases)
    func phoneToModel(law: G711Law) throws {
        let tone = Signals.pcm16(Signals.sine(frequency: 1_000, sampleRate: 8_000, count: 8_000, amplitude: 0.3))
        let codes = law.encode(tone)
        let transcoder = try TelephonyTranscoder(law: law)
        var pcm: [Int16] = []
        pcm.reserveCapacity(24_000)
        // Twilio-sized media frames: 20 ms, 160 bytes.
        for start in stride(from: 0, to: codes.count, by: 160) {
            codes[start..<(start + 160)].withUnsafeBytes { transcoder.decode($0, appendingTo: &pcm) }
        }
        // Short by the filter's latency only.
        #expect(abs(pcm.count - (24_000 - (try Resampler(from: 8_000, to: 24_000).outputLatency))) <= 3)
        let middle = Array(Signals.doubles(pcm)[2_400..<21_600])
        #expect(abs(Signals.zeroCrossingFrequency(middle, sampleRate: 24_000) - 1_000) < 0.5)
        #expect(Signals.toneFraction(middle, frequency: 1_000, sampleRate: 24_000) > 0.98)
        #expect(abs(Signals.rms(middle) - 0.3 / 2.squareRoot()) < 0.01)
    }

    @Test("the model's audio reaches the phone and comes back close to itself", arguments: G711Law.allCases)
    func roundTrip(law: G711Law) throws {
        let voice = Signals.sine(frequency: 440, sampleRate: 24_000, count: 24_000, amplitude: 0.3)
        let transcoder = try TelephonyTranscoder(law: law)
        var codes: [UInt8] = []
        let samples = Signals.pcm16(voice)
        for start in stride(from: 0, to: samples.count, by: 480) {
            samples[start..<(start + 480)].withUnsafeBufferPointer { transcoder.encode($0, appendingTo: &codes) }
        }
        let back = Signals.doubles(transcoder.decode(codes))
        // G.711 keeps ~35 dB SNR; both resamplers have their delay removed, so it lines up.
        let error = Signals.rms(zip(back, voice).map { $0 - $1 }[2_400..<(back.count - 2_400)])
        #expect(error < 0.3 * 0.05, "error \(error)")
    }

    @Test("flushing each direction releases the audio the filters hold")
    func flushes() throws {
        let transcoder = try TelephonyTranscoder()
        var codes = transcoder.encode([Int16](repeating: 1_000, count: 4_800))
        transcoder.flushEncoder(appendingTo: &codes)
        #expect(codes.count == 1_600)
        var samples = transcoder.decode([UInt8](repeating: 0xFF, count: 1_600))
        transcoder.flushDecoder(appendingTo: &samples)
        #expect(samples.count == 4_800)
    }

    @Test("base64 payloads: a Twilio media frame becomes an input_audio_buffer.append payload and back")
    func payloads() throws {
        let transcoder = try TelephonyTranscoder()
        let tone = MuLaw.encodeSamples(Signals.pcm16(Signals.sine(frequency: 500, sampleRate: 8_000, count: 1_600, amplitude: 0.2)))
        var total = 0
        for start in stride(from: 0, to: tone.count, by: 160) {
            let media = Base64Audio.encode(Array(tone[start..<(start + 160)]))
            let append = try transcoder.pcm16Base64(fromG711Base64: media)
            total += try Base64Audio.decodePCM16(append).count
        }
        let latency = try Resampler(from: 8_000, to: 24_000).outputLatency
        #expect(abs(total - (4_800 - latency)) <= 3)
        let delta = Base64Audio.encodePCM16([Int16](repeating: 0, count: 4_800))
        let media = try transcoder.g711Base64(fromPCM16Base64: delta)
        let codes = try Base64Audio.decode(media, frameSize: 1)
        #expect(abs(codes.count - (1_600 - (try Resampler(from: 24_000, to: 8_000).outputLatency))) <= 1)
        #expect(codes.allSatisfy { $0 == 0xFF })
        #expect(throws: AudioError.oddByteCount) { try transcoder.g711Base64(fromPCM16Base64: "AAAA") }
        #expect(throws: AudioError.invalidBase64) { try transcoder.pcm16Base64(fromG711Base64: "AA*A") }
    }
}

extension MuLaw {
    static func encodeSamples(_ samples: [Int16]) -> [UInt8] { G711Law.muLaw.encode(samples) }
}
