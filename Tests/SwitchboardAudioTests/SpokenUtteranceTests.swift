import Foundation
import Testing
import SwitchboardAudio

private let espeak = "/usr/bin/espeak-ng"

/// Speaks `text` with espeak-ng into a WAV file and reads it back.
private func synthesize(_ text: String) throws -> WAVFile {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-vad-\(UUID().uuidString).wav")
    defer { try? FileManager.default.removeItem(at: url) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: espeak)
    process.arguments = ["-w", url.path, text]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw WAVFile.ReadError(description: "espeak-ng exited with \(process.terminationStatus)") }
    return try WAVFile(contentsOf: url)
}

/// Where the audible part of `samples` starts and ends: the first and last 10 ms block above −45 dBFS.
private func audibleSpan(_ samples: [Int16], rate: Int) -> (start: Int, end: Int) {
    let block = rate / 100
    let loud = stride(from: 0, to: samples.count - block, by: block).filter {
        PCM16.dBFS(Array(samples[$0..<($0 + block)])) > -45
    }
    return (loud.first ?? 0, (loud.last ?? 0) + block)
}

@Suite("voice activity detection on synthesized speech", .enabled(if: FileManager.default.isExecutableFile(atPath: espeak)))
struct SpokenUtteranceTests {
    @Test("a spoken sentence is one utterance spanning it, at 24 kHz and through a phone line")
    func spokenSentence() throws {
        let wav = try synthesize("Hello, I would like to book a flight to Paris next Friday, please.")
        #expect(wav.samples.count > wav.sampleRate)  // more than a second of speech
        // Bring it to the protocol's 24 kHz, then place it in faint room noise.
        let resampler = try Resampler(from: wav.sampleRate, to: 24_000)
        var speech = resampler.process(wav.samples)
        resampler.flush(appendingTo: &speech)
        let rate = 24_000
        let span = audibleSpan(speech, rate: rate)
        let leadIn = rate * 7 / 10
        var random = SeededRandom(seed: 5)
        var signal = Signals.whiteNoise(count: leadIn + speech.count + rate * 3 / 2, rms: 0.003, random: &random)
        Signals.add(Signals.doubles(speech), into: &signal, at: leadIn)
        let samples = Signals.pcm16(signal)
        let truthStart = milliseconds(leadIn + span.start, rate: rate)
        let truthEnd = milliseconds(leadIn + span.end, rate: rate)

        var detector = VoiceActivityDetector(sampleRate: rate)
        let found = detectUtterances(samples, detector: &detector)
        #expect(found.count == 1, "\(found), truth \(truthStart)–\(truthEnd)")
        if let utterance = found.first {
            #expect(abs(utterance.onsetMs - truthStart) <= 100, "onset \(utterance.onsetMs), truth \(truthStart)")
            #expect(abs((utterance.speechEndMs ?? 0) - truthEnd) <= 150, "end \(utterance.speechEndMs ?? -1), truth \(truthEnd)")
            // The committed audio holds the whole sentence.
            #expect(utterance.audioStartMs <= truthStart && (utterance.audioEndMs ?? 0) >= truthEnd)
        }

        // The same sentence after a μ-law phone line (24 kHz → 8 kHz μ-law → 24 kHz), checked at 8 kHz.
        let phone = try TelephonyTranscoder(law: .muLaw, pcmRate: rate)
        let codes = phone.encode(samples)
        let lineAudio = G711Law.muLaw.decode(codes)
        var phoneDetector = VoiceActivityDetector(sampleRate: 8_000)
        let overThePhone = detectUtterances(lineAudio, detector: &phoneDetector, chunk: 160)
        #expect(overThePhone.count == 1, "\(overThePhone), truth \(truthStart)–\(truthEnd)")
        if let utterance = overThePhone.first {
            #expect(abs(utterance.onsetMs - truthStart) <= 100)
            #expect(abs((utterance.speechEndMs ?? 0) - truthEnd) <= 150)
        }
    }

    @Test("two sentences with a long pause are two utterances")
    func twoSentences() throws {
        let first = try synthesize("Is my flight on time?")
        let second = try synthesize("And what about the hotel?")
        let rate = first.sampleRate
        let pause = [Int16](repeating: 0, count: rate)  // one second
        let samples = pause + first.samples + pause + second.samples + pause
        var detector = VoiceActivityDetector(sampleRate: rate)
        let found = detectUtterances(samples, detector: &detector, chunk: 441)
        #expect(found.count == 2, "\(found)")
        let secondStart = milliseconds(2 * rate + first.samples.count + audibleSpan(second.samples, rate: rate).start, rate: rate)
        if found.count == 2 { #expect(abs(found[1].onsetMs - secondStart) <= 100) }
    }
}
