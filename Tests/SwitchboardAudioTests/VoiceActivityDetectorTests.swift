import Foundation
import Testing
@testable import SwitchboardAudio

enum NoiseKind: String, CaseIterable, CustomTestStringConvertible {
    case white, pink
    var testDescription: String { rawValue }

    func samples(count: Int, rms: Double, random: inout SeededRandom) -> [Double] {
        self == .white ? Signals.whiteNoise(count: count, rms: rms, random: &random) : Signals.pinkNoise(count: count, rms: rms, random: &random)
    }
}

/// Speech at −20 dBFS with `noise` at `snr` dB below it, from 1 s into 4.5 s.
private func noisyUtterance(rate: Int, noise: NoiseKind, snr: Double, seed: UInt64, milliseconds: Int = 1_500) -> (SyntheticSpeech, [Int16]) {
    var random = SeededRandom(seed: seed)
    let total = rate * 9 / 2
    let speech = SyntheticSpeech.utterance(milliseconds: milliseconds, sampleRate: rate, rms: 0.1, leadIn: rate, total: total, random: &random)
    let background = noise.samples(count: total, rms: 0.1 / pow(10, snr / 20), random: &random)
    return (speech, Signals.pcm16(zip(speech.samples, background).map { $0 + $1 }))
}

@Suite("voice activity detection")
struct VoiceActivityDetectorTests {
    @Test("speech in noise is found once, within 100 ms of where it starts and ends",
          arguments: NoiseKind.allCases, [20.0, 10, 5])
    func speechInNoise(noise: NoiseKind, snr: Double) {
        for (rate, seed) in [(24_000, UInt64(1)), (24_000, 2), (8_000, 3), (16_000, 4), (22_050, 5)] {
            let (speech, samples) = noisyUtterance(rate: rate, noise: noise, snr: snr, seed: seed)
            var detector = VoiceActivityDetector(sampleRate: rate)
            let found = detectUtterances(samples, detector: &detector)
            let context = "\(rate) Hz, seed \(seed)"
            #expect(found.count == 1, "\(context): \(found.map { ($0.onsetMs, $0.speechEndMs) })")
            guard let utterance = found.first, let end = utterance.speechEndMs else { continue }
            #expect(abs(utterance.onsetMs - milliseconds(speech.start, rate: rate)) <= 100, "\(context) onset \(utterance.onsetMs)")
            #expect(abs(end - milliseconds(speech.end, rate: rate)) <= 100, "\(context) end \(end)")
        }
    }

    @Test("timestamps follow server_vad: the start includes the prefix padding, the end the silence")
    func timestamps() {
        let rate = 24_000
        let (_, samples) = noisyUtterance(rate: rate, noise: .white, snr: 20, seed: 8)
        let configuration = VoiceActivityConfiguration(prefixPaddingMs: 200, silenceDurationMs: 400)
        var detector = VoiceActivityDetector(sampleRate: rate, configuration: configuration)
        let found = detectUtterances(samples, detector: &detector)
        #expect(found.count == 1)
        guard let utterance = found.first, let audioEnd = utterance.audioEndMs, let speechEnd = utterance.speechEndMs else { return }
        #expect(utterance.audioStartMs == utterance.onsetMs - 200)
        #expect(audioEnd - speechEnd >= 400 && audioEnd - speechEnd <= 410)
        // The utterance's audio is exactly the input from audioStartMs to audioEndMs.
        let from = utterance.audioStartMs * rate / 1000, to = audioEnd * rate / 1000
        #expect(utterance.samples.count == to - from)
        #expect(utterance.samples == Array(samples[from..<to]))
        #expect(detector.processedMilliseconds == 4_500)
        #expect(!detector.isSpeaking)
    }

    @Test("how the audio is chunked does not change what is found")
    func chunking() {
        let rate = 24_000
        let (_, samples) = noisyUtterance(rate: rate, noise: .pink, snr: 10, seed: 12)
        var whole = VoiceActivityDetector(sampleRate: rate)
        let reference = detectUtterances(samples, detector: &whole, chunk: samples.count)
        for seed: UInt64 in [1, 2, 3] {
            var detector = VoiceActivityDetector(sampleRate: rate)
            let found = detectUtterances(samples, detector: &detector, chunk: 1_000, randomChunks: seed)
            #expect(found.map(\.audioStartMs) == reference.map(\.audioStartMs))
            #expect(found.map(\.audioEndMs) == reference.map(\.audioEndMs))
            #expect(found.map(\.samples) == reference.map(\.samples))
        }
        // Little-endian bytes (an append payload) behave like samples, even unaligned.
        var fromBytes = VoiceActivityDetector(sampleRate: rate)
        var events: [VoiceActivityEvent] = []
        let bytes = [0xEE] + PCM16.littleEndianBytes(of: samples)
        bytes.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[1...])
            for start in stride(from: 0, to: payload.count, by: 9_600) {
                try? fromBytes.process(littleEndian: UnsafeRawBufferPointer(rebasing: payload[start..<min(start + 9_600, payload.count)])) { events.append($0) }
            }
        }
        #expect(events == [.speechStarted(audioStartMs: reference[0].audioStartMs), .speechStopped(audioEndMs: reference[0].audioEndMs!)])
        #expect(throws: AudioError.oddByteCount) {
            try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try fromBytes.process(littleEndian: $0) { _ in } }
        }
    }

    @Test("noise alone is not speech", arguments: NoiseKind.allCases, [-60.0, -40, -25, -15])
    func noiseAlone(noise: NoiseKind, level: Double) {
        var random = SeededRandom(seed: 21)
        let samples = Signals.pcm16(noise.samples(count: 24_000 * 6, rms: pow(10, level / 20), random: &random))
        var detector = VoiceActivityDetector()
        #expect(detectUtterances(samples, detector: &detector).isEmpty)
        #expect(abs(detector.noiseFloorDBFS - level) < (noise == .white ? 1 : 6))
    }

    @Test("silence alone is not speech: digital zeros and the faintest dither")
    func silenceAlone() {
        var detector = VoiceActivityDetector()
        #expect(detectUtterances([Int16](repeating: 0, count: 24_000 * 3), detector: &detector).isEmpty)
        var random = SeededRandom(seed: 4)
        let dither = (0..<(24_000 * 3)).map { _ in Int16(Int(random.next() % 3) - 1) }
        var other = VoiceActivityDetector()
        #expect(detectUtterances(dither, detector: &other).isEmpty)
    }

    @Test("a click, a knock or a tap is not speech")
    func clicks() {
        let rate = 24_000
        for background in [0.0, 0.003] {
            var random = SeededRandom(seed: 31)
            var signal = Signals.whiteNoise(count: rate * 3, rms: background, random: &random)
            // A full-scale 2 ms click at 1 s, a decaying 40 ms knock at 2 s.
            for index in 0..<48 { signal[rate + index] += index.isMultiple(of: 2) ? 0.9 : -0.9 }
            for index in 0..<(rate / 25) {
                signal[2 * rate + index] += 0.7 * exp(-Double(index) / 120) * sin(2 * Double.pi * 180 * Double(index) / Double(rate))
            }
            var detector = VoiceActivityDetector(sampleRate: rate)
            let found = detectUtterances(Signals.pcm16(signal), detector: &detector)
            #expect(found.isEmpty, "background \(background): \(found.map(\.onsetMs))")
        }
    }

    @Test("silence_duration_ms decides whether a pause splits an utterance")
    func silenceDuration() {
        let rate = 24_000
        var random = SeededRandom(seed: 41)
        let first = SyntheticSpeech.utterance(milliseconds: 900, sampleRate: rate, rms: 0.1, leadIn: rate / 2, total: rate * 5, random: &random)
        let secondStart = first.end + rate * 35 / 100  // a 350 ms pause
        let second = SyntheticSpeech.utterance(milliseconds: 900, sampleRate: rate, rms: 0.1, leadIn: secondStart, total: rate * 5, random: &random)
        let noise = Signals.whiteNoise(count: rate * 5, rms: 0.005, random: &random)
        let samples = Signals.pcm16((0..<(rate * 5)).map { first.samples[$0] + second.samples[$0] + noise[$0] })

        var patient = VoiceActivityDetector(sampleRate: rate, configuration: .init(silenceDurationMs: 600))
        let joined = detectUtterances(samples, detector: &patient)
        #expect(joined.count == 1)
        if let only = joined.first, let end = only.speechEndMs {
            #expect(abs(end - milliseconds(second.end, rate: rate)) <= 100)
            #expect(only.audioEndMs == end + 600)
        }

        var quick = VoiceActivityDetector(sampleRate: rate, configuration: .init(silenceDurationMs: 200))
        let split = detectUtterances(samples, detector: &quick)
        #expect(split.count == 2)
        if split.count == 2 {
            #expect(abs(split[0].speechEndMs! - milliseconds(first.end, rate: rate)) <= 100)
            #expect(abs(split[1].onsetMs - milliseconds(second.start, rate: rate)) <= 100)
            // The second utterance's padding never reaches back into the first.
            #expect(split[1].audioStartMs >= split[0].audioEndMs!)
        }
    }

    @Test("a short syllable is still speech; shorter than minimum_speech_ms is not")
    func minimumSpeech() {
        let rate = 16_000
        var random = SeededRandom(seed: 51)
        let syllable = SyntheticSpeech.utterance(milliseconds: 170, sampleRate: rate, rms: 0.1, leadIn: rate, total: rate * 3, random: &random)
        let samples = Signals.pcm16(zip(syllable.samples, Signals.whiteNoise(count: rate * 3, rms: 0.003, random: &random)).map { $0 + $1 })
        var detector = VoiceActivityDetector(sampleRate: rate)
        #expect(detectUtterances(samples, detector: &detector).count == 1)
        var strict = VoiceActivityDetector(sampleRate: rate, configuration: .init(minimumSpeechMs: 400))
        #expect(detectUtterances(samples, detector: &strict).isEmpty)
    }

    @Test("a higher threshold needs clearer speech; 1 never triggers, a low one finds buried speech")
    func threshold() {
        let rate = 24_000
        let (_, samples) = noisyUtterance(rate: rate, noise: .white, snr: 5, seed: 61)
        var counts: [Double: Int] = [:]
        for threshold in [0.3, 0.5, 0.9, 0.99] {
            var detector = VoiceActivityDetector(sampleRate: rate, configuration: .init(threshold: threshold))
            var speechFrames = 0
            for start in stride(from: 0, to: samples.count, by: 240) {
                _ = detector.process(Array(samples[start..<(start + 240)]))
                if detector.speechProbability >= threshold { speechFrames += 1 }
            }
            counts[threshold] = speechFrames
        }
        #expect(counts[0.3]! >= counts[0.5]! && counts[0.5]! > counts[0.9]! && counts[0.9]! >= counts[0.99]!)
        var never = VoiceActivityDetector(sampleRate: rate, configuration: .init(threshold: 1))
        #expect(detectUtterances(samples, detector: &never).isEmpty)
        // Speech buried at 0 dB: a low threshold hears more of it than the default.
        let (buried, quiet) = noisyUtterance(rate: 8_000, noise: .white, snr: 0, seed: 3)
        var strict = VoiceActivityDetector(sampleRate: 8_000)
        let strictly = detectUtterances(quiet, detector: &strict)
        var sensitive = VoiceActivityDetector(sampleRate: 8_000, configuration: .init(threshold: 0.2))
        let sensitively = detectUtterances(quiet, detector: &sensitive)
        #expect(sensitively.count == 1)
        let strictVoice: Int = strictly.map(\.voicedMs).reduce(0, +)
        let sensitiveVoice: Int = sensitively.map(\.voicedMs).reduce(0, +)
        #expect(sensitiveVoice > strictVoice + 200, "\(strictly) vs \(sensitively)")
        if let utterance = sensitively.first {
            #expect(abs(utterance.onsetMs - milliseconds(buried.start, rate: 8_000)) <= 100)
            #expect(abs((utterance.speechEndMs ?? 0) - milliseconds(buried.end, rate: 8_000)) <= 100)
        }
    }

    @Test("the background may change level without being taken for speech")
    func changingNoise() {
        let rate = 24_000
        var random = SeededRandom(seed: 71)
        let total = rate * 8
        let speech = SyntheticSpeech.utterance(milliseconds: 1_200, sampleRate: rate, rms: 0.1, leadIn: rate * 5, total: total, random: &random)
        // Pink noise 20 dB louder from 2 s on (a car passing, a window opening).
        let noise = Signals.pinkNoise(count: total, rms: 1, random: &random).enumerated().map { $0.element * ($0.offset < 2 * rate ? 0.001 : 0.01) }
        var detector = VoiceActivityDetector(sampleRate: rate)
        let found = detectUtterances(Signals.pcm16(zip(speech.samples, noise).map { $0 + $1 }), detector: &detector)
        #expect(found.count == 1)
        if let utterance = found.first { #expect(abs(utterance.onsetMs - 5_000) <= 100) }
    }

    @Test("speech from the very first sample is found once the noise is learnt")
    func speechAtTheStart() {
        let rate = 24_000
        var random = SeededRandom(seed: 81)
        let speech = SyntheticSpeech.utterance(milliseconds: 1_500, sampleRate: rate, rms: 0.1, leadIn: 0, total: rate * 3, random: &random)
        let noise = Signals.whiteNoise(count: rate * 3, rms: 0.005, random: &random)
        var detector = VoiceActivityDetector(sampleRate: rate)
        let found = detectUtterances(Signals.pcm16(zip(speech.samples, noise).map { $0 + $1 }), detector: &detector)
        #expect(found.count == 1)
        if let utterance = found.first {
            #expect(utterance.onsetMs <= 300)
            #expect(utterance.audioStartMs == 0)
            #expect(abs(utterance.speechEndMs! - 1_500) <= 100)
        }
    }

    @Test("clearing drops the utterance under way; taking the utterance moves it out")
    func clearAndTake() {
        let rate = 24_000
        let (speech, samples) = noisyUtterance(rate: rate, noise: .white, snr: 20, seed: 91)
        var detector = VoiceActivityDetector(sampleRate: rate)
        let middle = (speech.start + speech.end) / 2
        var events = detector.process(Array(samples[..<middle]))
        #expect(events.count == 1)
        #expect(detector.isSpeaking)
        detector.clearBuffer()
        #expect(!detector.isSpeaking && detector.utterance.isEmpty)
        // What remains of the utterance after the clear starts a new one.
        events = detector.process(Array(samples[middle...]))
        guard case .speechStarted(let start)? = events.first else {
            Issue.record("expected a new start, got \(events)")
            return
        }
        #expect(start >= milliseconds(middle, rate: rate) - 10)
        #expect(events.count == 2)
        let taken = detector.takeUtterance()
        #expect(!taken.isEmpty && detector.utterance.isEmpty)
    }

    @Test("a new configuration applies from the next frame and keeps the clock")
    func reconfigure() {
        let rate = 24_000
        let (_, samples) = noisyUtterance(rate: rate, noise: .white, snr: 20, seed: 101)
        var detector = VoiceActivityDetector(sampleRate: rate)
        _ = detector.process(Array(samples[..<(rate / 2)]))
        detector.configuration = VoiceActivityConfiguration(prefixPaddingMs: 500, silenceDurationMs: 300)
        let events = detector.process(Array(samples[(rate / 2)...]))
        #expect(events.count == 2)
        if case .speechStarted(let start) = events.first { #expect(start == detector.speechOnsetMs! - 500) }
        if case .speechStopped(let end) = events.last { #expect(end - detector.speechEndMs! >= 300 && end - detector.speechEndMs! <= 310) }
        detector.reset()
        #expect(detector.processedMilliseconds == 0)
    }
}

@Suite("voice activity detection: pauses")
struct VoiceActivityPauseTests {
    /// Two bursts of speech 300 ms apart in white noise 20 dB down, then silence.
    private func twoBursts(rate: Int) -> (first: SyntheticSpeech, second: SyntheticSpeech, samples: [Int16]) {
        var random = SeededRandom(seed: 31)
        let total = rate * 4
        let first = SyntheticSpeech.utterance(milliseconds: 800, sampleRate: rate, rms: 0.1, leadIn: rate / 2, total: total, random: &random)
        let second = SyntheticSpeech.utterance(milliseconds: 800, sampleRate: rate, rms: 0.1, leadIn: first.end + rate * 3 / 10, total: total, random: &random)
        let background = Signals.whiteNoise(count: total, rms: 0.01, random: &random)
        let mixed = (0..<total).map { first.samples[$0] + second.samples[$0] + background[$0] }
        return (first, second, Signals.pcm16(mixed))
    }

    @Test("a pause inside an utterance is reported once; the one that ends it matches the end")
    func pauses() {
        let rate = 16_000
        let (first, second, samples) = twoBursts(rate: rate)
        let configuration = VoiceActivityConfiguration(silenceDurationMs: 500, pauseNoticeMs: 150)
        var detector = VoiceActivityDetector(sampleRate: rate, configuration: configuration)
        var events: [VoiceActivityEvent] = []
        var utteranceAtPause: [[Int16]] = []
        var final: [Int16] = []
        // One 10 ms frame at a time: after each, the detector is as it was at its event.
        for start in stride(from: 0, to: samples.count, by: rate / 100) {
            for event in detector.process(Array(samples[start..<min(start + rate / 100, samples.count)])) {
                events.append(event)
                if case .speechPaused = event { utteranceAtPause.append(detector.utterance) }
                if case .speechStopped = event { final = detector.utterance }
            }
        }
        let pauses = events.compactMap { event -> Int? in
            if case .speechPaused(let end) = event { return end }
            return nil
        }
        #expect(events.filter { if case .speechStarted = $0 { true } else { false } }.count == 1)
        #expect(events.filter { if case .speechStopped = $0 { true } else { false } }.count == 1)
        // The gap between the bursts, then the end.
        #expect(pauses.count == 2, "\(events)")
        guard pauses.count == 2, let speechEnd = detector.speechEndMs else { return }
        #expect(abs(pauses[0] - milliseconds(first.end, rate: rate)) <= 100)
        #expect(pauses[1] == speechEnd)
        #expect(abs(speechEnd - milliseconds(second.end, rate: rate)) <= 100)
        // The audio at the last pause is the utterance but for the rest of the silence.
        let atPause = utteranceAtPause[1]
        #expect(Array(final.prefix(atPause.count)) == atPause)
        let rest = milliseconds(final.count - atPause.count, rate: rate)
        #expect(rest >= 340 && rest <= 360, "\(rest) ms after the pause")
    }

    @Test("no pause is reported unless asked for")
    func off() {
        let (_, _, samples) = twoBursts(rate: 24_000)
        var detector = VoiceActivityDetector(sampleRate: 24_000, configuration: VoiceActivityConfiguration(silenceDurationMs: 500))
        let events = detector.process(samples)
        #expect(events.count == 2)
        #expect(!events.contains { if case .speechPaused = $0 { true } else { false } })
    }
}
