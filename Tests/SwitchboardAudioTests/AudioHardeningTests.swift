import Testing
import SwitchboardAudio

/// Extreme values from outside the hub (client settings, payloads, rates) never trap the audio
/// code: they throw a typed error, clamp or saturate.
@Suite struct AudioHardeningTests {
    static let extremeRates = [Int.min, -1, 0, 1, 7_999, 8_001, 96_000, 1 << 31, 1 << 32, Int.max]

    @Test(arguments: extremeRates)
    func resamplersRefuseExtremeRates(rate: Int) {
        #expect(throws: AudioError.unsupportedSampleRate) { try Resampler(from: rate, to: 24_000) }
        #expect(throws: AudioError.unsupportedSampleRate) { try Resampler(from: 8_000, to: rate) }
        #expect(throws: AudioError.unsupportedSampleRate) { try TelephonyTranscoder(law: .muLaw, pcmRate: rate) }
        if !VoiceActivityDetector.sampleRates.contains(rate) {
            #expect(throws: AudioError.unsupportedSampleRate) { _ = try VoiceActivityDetector(checkingSampleRate: rate) }
        }
    }

    @Test(arguments: [Int.min, -1, 11, Int.max])
    func resamplersRefuseQualitiesOutOfRange(quality: Int) {
        #expect(throws: AudioError.resamplerFailure) { try Resampler(from: 8_000, to: 24_000, quality: quality) }
    }

    @Test func outputRoomNeverOverflows() throws {
        let resampler = try Resampler(from: 8_000, to: 48_000)
        #expect(resampler.maximumOutputCount(forInputCount: Int.max) == Int.max)
        #expect(resampler.maximumOutputCount(forInputCount: Int.min) == 2)
        #expect(resampler.maximumOutputCount(forInputCount: 160) == 962)
        // A large chunk goes through in pieces with the same result as small ones.
        let input = (0..<200_000).map { Int16(truncatingIfNeeded: $0 &* 7919) }
        let whole = resampler.process(input)
        let again = try Resampler(from: 8_000, to: 48_000)
        var pieces: [Int16] = []
        for start in stride(from: 0, to: input.count, by: 1_000) {
            again.process(Array(input[start..<min(start + 1_000, input.count)]), appendingTo: &pieces)
        }
        #expect(whole.count == pieces.count)
    }

    @Test func durationsSaturateInsteadOfOverflowing() {
        #expect(PCM16.sampleCount(milliseconds: .max, sampleRate: 48_000) == .max)
        #expect(PCM16.sampleCount(milliseconds: -5, sampleRate: 48_000) == 0)
        #expect(PCM16.sampleCount(milliseconds: 20, sampleRate: .min) == 0)
        #expect(PCM16.milliseconds(sampleCount: .max, sampleRate: 1) == .max)
        #expect(PCM16.milliseconds(sampleCount: 100, sampleRate: 0) == 0)
        #expect(PCM16.milliseconds(sampleCount: 100, sampleRate: -8_000) == 0)
        #expect(PCM16.milliseconds(byteCount: .max, sampleRate: 1) == .max)
        #expect(PCM16.milliseconds(byteCount: 960, sampleRate: 24_000, bytesPerSample: 0) == 0)
        #expect(PCM16.duration(byteCount: 100, sampleRate: 0) == .zero)
        #expect(PCM16.duration(byteCount: -100, sampleRate: 8_000) == .zero)
        #expect(PCM16.duration(byteCount: 100, sampleRate: 8_000, bytesPerSample: -1) == .zero)
        #expect(PCM16.duration(byteCount: .max, sampleRate: .max, bytesPerSample: 1) == .seconds(1))
        #expect(PCM16.duration(byteCount: .max - 1, sampleRate: .max, bytesPerSample: 1) > .seconds(0))
        #expect(PCM16.duration(byteCount: 48_000, sampleRate: 24_000) == .seconds(1))
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, 1e-30])
    func gainsNeverTrap(gain: Float) {
        var samples: [Int16] = [0, 1, -1, .max, .min, 1234]
        PCM16.applyGain(gain, to: &samples)
        #expect(samples.count == 6)
        var more: [Int16] = [0, 5, .min]
        PCM16.applyGain(decibels: Double(gain), to: &more)
        #expect(more.count == 3)
    }

    @Test(arguments: [
        "A", "AB=", "A===", "====", "=", "==", "@@@@", "AQI*", "AQ=A", "AR==", "AQJ=", "Zm9v\n", "ä€", "AQID AQID", "AQ\u{0}=",
    ])
    func garbageBase64IsAnErrorWhetherValidatedOrDecoded(text: String) {
        let validated = text.utf8.withContiguousStorageIfAvailable { raw in
            (try? Base64Audio.validatedByteCount(UnsafeRawBufferPointer(raw), frameSize: 1)) == nil
        } ?? Array(text.utf8).withUnsafeBytes { (try? Base64Audio.validatedByteCount($0, frameSize: 1)) == nil }
        #expect(validated, "\(text) passed validation")
        #expect(throws: AudioError.invalidBase64) { try Base64Audio.decode(text, frameSize: 1) }
    }

    @Test func validationAgreesWithDecoding() {
        var random = SeededRandom(seed: 42)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=*- ".utf8)
        for _ in 0..<5_000 {
            let length = Int(random.next() % 24)
            let bytes = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            for frameSize in [1, 2] {
                let decoded = try? Base64Audio.decode(String(decoding: bytes, as: UTF8.self), frameSize: frameSize)
                let validated = bytes.withUnsafeBytes { try? Base64Audio.validatedByteCount($0, frameSize: frameSize) }
                #expect(decoded?.count == validated, "\(String(decoding: bytes, as: UTF8.self)) frame \(frameSize)")
            }
        }
    }

    @Test(arguments: [0, -1, Int.min])
    func nonPositiveFrameSizesAreErrors(frameSize: Int) {
        #expect(throws: AudioError.partialFrame) { try Base64Audio.decode("AQID", frameSize: frameSize) }
        #expect(throws: AudioError.partialFrame) {
            try Array("AQID".utf8).withUnsafeBytes { raw throws(AudioError) in try Base64Audio.decodedByteCount(raw, frameSize: frameSize) }
        }
    }

    @Test func oddLengthPCM16IsAnError() {
        #expect(throws: AudioError.oddByteCount) { try Base64Audio.decodePCM16("AQID") }
        #expect(throws: AudioError.oddByteCount) { try PCM16.samples(fromLittleEndian: [1, 2, 3]) }
    }

    @Test(arguments: [Int.min, -1, 0, 1, 10_000_000, Int.max])
    func extremeDetectorSettingsAreClamped(value: Int) {
        let configuration = VoiceActivityConfiguration(
            threshold: value > 0 ? .nan : -.infinity, prefixPaddingMs: value, silenceDurationMs: value, minimumSpeechMs: value,
            minimumLevelDBFS: value > 0 ? .infinity : .nan, pauseNoticeMs: value)
        for rate in [8_000, 24_000, 48_000] {
            var detector = VoiceActivityDetector(sampleRate: rate, configuration: configuration)
            let tone = (0..<(rate / 5)).map { Int16(truncatingIfNeeded: ($0 * 37) % 20_000 - 10_000) }
            _ = detector.process(tone)
            detector.configuration.prefixPaddingMs = .max
            detector.configuration.silenceDurationMs = .min
            _ = detector.process(tone)
            #expect(detector.processedMilliseconds == 400)
        }
        #expect(VoiceActivityConfiguration.clamped(.max, to: VoiceActivityConfiguration.prefixPaddingRange) == 10_000)
        #expect(VoiceActivityConfiguration.clamped(.min, to: VoiceActivityConfiguration.silenceRange) == 0)
    }

    @Test func everyG711CodeAndSampleConverts() {
        for law in G711Law.allCases {
            for code in UInt8.min...UInt8.max { _ = law.decode(code) }
            for sample in Int16.min...Int16.max { _ = law.encode(sample) }
        }
    }
}
