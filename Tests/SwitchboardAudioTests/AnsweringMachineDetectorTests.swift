import Foundation
import Testing
import SwitchboardAudio

/// Hand-built signals through the answering machine detector: no speech synthesizer needed.
@Suite("answering machine detection")
struct AnsweringMachineDetectorTests {
    static let rate = AnsweringMachineDetector.sampleRate

    static func samples(ms: Int) -> Int { ms * rate / 1000 }

    /// Runs `signal` through a detector in `frameMs` frames with their times (nil: untimed).
    static func run(
        _ signal: [Int16], frameMs: Int = 20, timed: Bool = true,
        configuration: AnsweringMachineDetector.Configuration = .init()
    ) -> AnsweringMachineDetector {
        var detector = AnsweringMachineDetector(configuration: configuration)
        let frame = max(1, samples(ms: frameMs))
        var offset = 0
        while offset < signal.count {
            let end = min(offset + frame, signal.count)
            detector.feed(Array(signal[offset..<end]), atMs: timed ? offset * 1000 / rate : nil)
            offset = end
        }
        return detector
    }

    /// A tone with 10 ms raised-cosine ramps.
    static func tone(_ frequency: Double, ms: Int, peak: Double) -> [Double] {
        let count = samples(ms: ms), ramp = samples(ms: 10)
        return (0..<count).map { index in
            var envelope = 1.0
            if index < ramp { envelope = 0.5 - 0.5 * cos(Double.pi * Double(index) / Double(ramp)) }
            if index >= count - ramp { envelope = 0.5 - 0.5 * cos(Double.pi * Double(count - index) / Double(ramp)) }
            return peak * envelope * sin(2 * Double.pi * frequency * Double(index) / Double(rate))
        }
    }

    /// Speech-like voice (harmonics under moving formants, syllables and short gaps) of `ms`
    /// after `leadMs` of silence, in a signal of `totalMs`, with faint line noise.
    static func voice(ms: Int, leadMs: Int, totalMs: Int, seed: UInt64 = 1, noiseRMS: Double = 0.0005) -> (signal: [Double], start: Int, end: Int) {
        var random = SeededRandom(seed: seed)
        let speech = SyntheticSpeech.utterance(
            milliseconds: ms, sampleRate: rate, rms: 0.1, leadIn: samples(ms: leadMs), total: samples(ms: totalMs), random: &random
        )
        var signal = Signals.whiteNoise(count: samples(ms: totalMs), rms: noiseRMS, random: &random)
        Signals.add(speech.samples, into: &signal, at: 0)
        return (signal, speech.start * 1000 / rate, speech.end * 1000 / rate)
    }

    /// Through G.711 and back, as a call delivers it.
    static func telephone(_ signal: [Double], law: G711Law = .muLaw) -> [UInt8] {
        law.encode(Signals.pcm16(signal))
    }

    static func classification(_ detector: AnsweringMachineDetector) -> AnsweringMachineDetector.Report? {
        detector.reports.first { [.human, .machine, .silence].contains($0.decision) }
    }

    // MARK: Silence and noise

    @Test("digital silence is dead air after the initial silence")
    func silenceIsDeadAir() {
        let detector = Self.run([Int16](repeating: 0, count: Self.samples(ms: 8_000)))
        #expect(detector.decision == .silence)
        #expect(detector.reports == [.init(decision: .silence, decidedAtMs: 5_000, reason: .initialSilence)])
        #expect(detector.processedMs == 8_000)
    }

    @Test("steady white line noise is not voice", arguments: [0.001, 0.01, 0.05])
    func whiteNoiseIsDeadAir(rms: Double) {
        var random = SeededRandom(seed: 7)
        let noise = Signals.pcm16(Signals.whiteNoise(count: Self.samples(ms: 7_000), rms: rms, random: &random))
        let detector = Self.run(noise)
        #expect(detector.decision == .silence, "\(detector.reports)")
        #expect(detector.beep == nil)
    }

    @Test("a shorter initial silence and total analysis time decide sooner")
    func shorterSilenceSettings() {
        let silence = [Int16](repeating: 0, count: Self.samples(ms: 4_000))
        let early = Self.run(silence, configuration: .init(initialSilenceMs: 2_500))
        #expect(early.reports.first?.decidedAtMs == 2_500)
        let total = Self.run(silence, configuration: .init(initialSilenceMs: 9_000, totalAnalysisMs: 3_000))
        #expect(total.reports == [.init(decision: .silence, decidedAtMs: 3_000, reason: .totalAnalysisTime)])
    }

    // MARK: People and machines

    @Test("one short word then waiting is a person", arguments: [UInt64(1), 2, 3])
    func oneWordIsHuman(seed: UInt64) throws {
        let (signal, _, end) = Self.voice(ms: 450, leadMs: 700, totalMs: 5_000, seed: seed)
        let detector = Self.run(Signals.pcm16(signal))
        let report = try #require(Self.classification(detector))
        #expect(report.decision == .human, "\(detector.reports)")
        #expect(report.reason == .afterGreetingSilence)
        // The after-greeting silence (1.2 s) from the end of the word, within a frame or two.
        #expect(abs(report.decidedAtMs - (end + 1_200)) <= 80, "\(report) end \(end)")
        #expect(detector.decision == .human)
    }

    @Test("continuous speech is a machine, and its greeting ends with the silence after it", arguments: [UInt64(4), 5])
    func continuousSpeechIsMachine(seed: UInt64) throws {
        let (signal, start, end) = Self.voice(ms: 6_000, leadMs: 400, totalMs: 10_000, seed: seed)
        let detector = Self.run(Signals.pcm16(signal))
        let report = try #require(Self.classification(detector))
        #expect(report.decision == .machine, "\(detector.reports)")
        // Within the greeting length of voice (plus the gaps between syllables) from its start.
        #expect(report.decidedAtMs >= start && report.decidedAtMs <= start + 2_500, "\(report) start \(start)")
        guard case .greetingEnded(let at) = detector.decision else {
            Issue.record("expected the greeting's end, got \(detector.reports)")
            return
        }
        // The last syllable's release is quiet, and one shorter than a word is not voice.
        #expect(abs(at - end) <= 250, "ended at \(at), voice ended at \(end)")
        #expect(detector.reports.last?.reason == .silenceAfterGreeting)
        #expect(detector.beep == nil)
    }

    @Test("bursts of shaped noise that never pause long are a machine")
    func noiseBurstsAreMachine() throws {
        var random = SeededRandom(seed: 11)
        let total = Self.samples(ms: 8_000)
        var signal = Signals.whiteNoise(count: total, rms: 0.0005, random: &random)
        // 250 ms bursts of low-passed noise every 330 ms, from 0.5 s to 6 s.
        var low = 0.0
        var position = Self.samples(ms: 500)
        while position < Self.samples(ms: 6_000) {
            for index in 0..<Self.samples(ms: 250) {
                low = 0.9 * low + 0.1 * random.gaussian()
                let envelope = sin(Double.pi * Double(index) / Double(Self.samples(ms: 250)))
                signal[position + index] += 0.6 * low * envelope
            }
            position += Self.samples(ms: 330)
        }
        let detector = Self.run(Signals.pcm16(signal))
        #expect(Self.classification(detector)?.decision == .machine, "\(detector.reports)")
        #expect(detector.beep == nil)
    }

    @Test("short words with short gaps until the total analysis time: a person")
    func totalAnalysisTimeIsHuman() throws {
        var random = SeededRandom(seed: 31)
        var signal = Signals.whiteNoise(count: Self.samples(ms: 6_000), rms: 0.0005, random: &random)
        for start in [500, 1_400, 2_300] {
            let word = SyntheticSpeech.utterance(
                milliseconds: 250, sampleRate: Self.rate, rms: 0.1, leadIn: 0, total: Self.samples(ms: 300), random: &random
            )
            Signals.add(word.samples, into: &signal, at: Self.samples(ms: start))
        }
        let detector = Self.run(Signals.pcm16(signal), configuration: .init(totalAnalysisMs: 2_800))
        #expect(detector.reports == [.init(decision: .human, decidedAtMs: 2_800, reason: .totalAnalysisTime)])
        #expect(detector.words >= 3)
    }

    @Test("a greeting that never ends is reported ended at the longest greeting")
    func longestGreeting() throws {
        let (signal, _, _) = Self.voice(ms: 14_000, leadMs: 300, totalMs: 15_000, seed: 6)
        let detector = Self.run(Signals.pcm16(signal), configuration: .init(maximumGreetingMs: 5_000))
        let machine = try #require(detector.reports.first)
        #expect(machine.decision == .machine)
        #expect(detector.reports.last == .init(
            decision: .greetingEnded(at: machine.decidedAtMs + 5_000), decidedAtMs: machine.decidedAtMs + 5_000,
            reason: .maximumGreetingLength
        ))
    }

    // MARK: Beeps

    @Test("a greeting then a beep through G.711: the beep's end is reported", arguments: G711Law.allCases)
    func greetingThenBeep(law: G711Law) throws {
        var (signal, _, end) = Self.voice(ms: 4_000, leadMs: 300, totalMs: 9_000, seed: 8)
        let beepStart = end + 600
        Signals.add(Self.tone(1_000, ms: 400, peak: 0.25), into: &signal, at: Self.samples(ms: beepStart))
        var detector = AnsweringMachineDetector()
        let codes = Self.telephone(signal, law: law)
        for offset in stride(from: 0, to: codes.count, by: 160) {
            detector.feed(g711: Array(codes[offset..<min(offset + 160, codes.count)]), law: law, atMs: offset / 8)
        }
        #expect(detector.reports.map(\.decision).first == .machine)
        guard case .beep(let at) = detector.decision else {
            Issue.record("no beep: \(detector.reports)")
            return
        }
        #expect(abs(at - (beepStart + 400)) <= 25, "beep end \(at), truth \(beepStart + 400)")
        let beep = try #require(detector.beep)
        #expect(abs(beep.startMs - beepStart) <= 25, "beep start \(beep.startMs), truth \(beepStart)")
        #expect(abs(beep.frequencyHz - 1_000) <= 15)
        // Reported within a few frames of the tone's end.
        let decided = try #require(detector.reports.last?.decidedAtMs)
        #expect(decided - at <= 60)
    }

    struct Tone: Sendable, CustomStringConvertible {
        var frequency: Double
        var ms: Int
        var peak: Double
        var noise = 0.0005
        var description: String { "\(frequency) Hz, \(ms) ms, peak \(peak), noise \(noise)" }
    }

    @Test("beeps across the band, levels and line noise", arguments: [
        Tone(frequency: 440, ms: 200, peak: 0.5), Tone(frequency: 850, ms: 300, peak: 0.1, noise: 0.003),
        Tone(frequency: 1_400, ms: 1_000, peak: 0.05, noise: 0.001), Tone(frequency: 2_000, ms: 150, peak: 0.3, noise: 0.01),
    ])
    func beepsAcrossTheBand(tone: Tone) throws {
        let frequency = tone.frequency, ms = tone.ms, peak = tone.peak, noise = tone.noise
        var (signal, _, end) = Self.voice(ms: 3_000, leadMs: 300, totalMs: 7_000, seed: 9, noiseRMS: noise)
        let start = end + 300
        Signals.add(Self.tone(frequency, ms: ms, peak: peak), into: &signal, at: Self.samples(ms: start))
        let detector = Self.run(Self.telephone(signal).map(MuLaw.decode))
        guard case .beep(let at) = detector.decision else {
            Issue.record("no beep at \(frequency) Hz: \(detector.reports)")
            return
        }
        #expect(abs(at - (start + ms)) <= 25)
        #expect(abs((detector.beep?.frequencyHz ?? 0) - frequency) <= 20)
    }

    @Test("a beep before any decision is a machine and its beep")
    func beepAlone() {
        var signal = [Double](repeating: 0, count: Self.samples(ms: 3_000))
        Signals.add(Self.tone(1_000, ms: 500, peak: 0.3), into: &signal, at: Self.samples(ms: 800))
        let detector = Self.run(Signals.pcm16(signal))
        #expect(detector.reports.first?.decision == .machine)
        #expect(detector.reports.map(\.reason) == [.beep, .beep])
        if case .beep(let at) = detector.decision { #expect(abs(at - 1_300) <= 20) } else { Issue.record("\(detector.reports)") }
    }

    @Test("tones that are not beeps: too short, out of the band, two at once, too quiet", arguments: [
        [Tone(frequency: 1_000, ms: 50, peak: 0.3)], [Tone(frequency: 3_000, ms: 500, peak: 0.3)],
        [Tone(frequency: 200, ms: 500, peak: 0.3)],
        [Tone(frequency: 440, ms: 500, peak: 0.2), Tone(frequency: 480, ms: 500, peak: 0.2)],
        [Tone(frequency: 1_000, ms: 500, peak: 0.003)],
    ])
    func notBeeps(tones: [Tone]) {
        var signal = [Double](repeating: 0, count: Self.samples(ms: 3_000))
        for tone in tones {
            Signals.add(Self.tone(tone.frequency, ms: tone.ms, peak: tone.peak), into: &signal, at: Self.samples(ms: 800))
        }
        let detector = Self.run(Signals.pcm16(signal))
        #expect(detector.beep == nil, "\(tones): \(detector.reports)")
    }

    @Test("long speech has no beep in it", arguments: [UInt64(21), 22, 23])
    func speechIsNotABeep(seed: UInt64) {
        let (signal, _, _) = Self.voice(ms: 12_000, leadMs: 200, totalMs: 15_000, seed: seed)
        let detector = Self.run(Self.telephone(signal).map(MuLaw.decode))
        #expect(detector.beep == nil, "\(detector.reports)")
        #expect(detector.decision.isMachine)
    }

    // MARK: Frames and time

    @Test("the decisions do not depend on how the audio is cut")
    func chunkingDoesNotMatter() {
        var (signal, _, end) = Self.voice(ms: 3_000, leadMs: 500, totalMs: 7_000, seed: 3)
        Signals.add(Self.tone(700, ms: 300, peak: 0.2), into: &signal, at: Self.samples(ms: end + 400))
        let pcm = Signals.pcm16(signal)
        let reference = Self.run(pcm, frameMs: 20).reports
        #expect(reference.count == 2)
        for frameMs in [1, 10, 30, 100] {
            #expect(Self.run(pcm, frameMs: frameMs).reports == reference, "\(frameMs) ms frames")
            #expect(Self.run(pcm, frameMs: frameMs, timed: false).reports == reference, "\(frameMs) ms untimed")
        }
        var random = SeededRandom(seed: 99)
        var detector = AnsweringMachineDetector()
        var offset = 0
        while offset < pcm.count {
            let end = min(pcm.count, offset + Int(random.next() % 700))
            detector.feed(Array(pcm[offset..<end]))
            offset = end
        }
        #expect(detector.reports == reference)
    }

    @Test("late, duplicated and reordered frames are dropped; gaps are silence")
    func framesOutOfOrder() {
        let (signal, _, _) = Self.voice(ms: 450, leadMs: 700, totalMs: 5_000, seed: 1)
        let pcm = Signals.pcm16(signal)
        let reference = Self.run(pcm).reports
        var detector = AnsweringMachineDetector()
        let frame = 160
        var frames: [(Int, [Int16])] = stride(from: 0, to: pcm.count, by: frame).map {
            ($0 / 8, Array(pcm[$0..<min($0 + frame, pcm.count)]))
        }
        // Each frame twice, and every tenth one late (after its successor).
        for index in stride(from: 10, to: frames.count - 1, by: 10) { frames.swapAt(index, index + 1) }
        for (time, samples) in frames {
            detector.feed(samples, atMs: time)
            detector.feed(samples, atMs: time)
        }
        #expect(detector.droppedSamples > 0)
        #expect(detector.concealedSamples > 0)
        #expect(Self.classification(detector)?.decision == reference.first?.decision, "\(detector.reports)")
    }

    @Test("a gap in the times counts as silence; a huge jump ends the analysis")
    func gapsAndJumps() {
        var detector = AnsweringMachineDetector()
        detector.feed([Int16](repeating: 0, count: 160), atMs: 0)
        detector.feed([Int16](repeating: 0, count: 160), atMs: 3_000)
        #expect(detector.processedMs == 3_020)
        #expect(detector.decision == .undecided)
        detector.feed([Int16](repeating: 0, count: 160), atMs: Int.max)
        #expect(detector.decision == .silence)
        #expect(detector.processedMs == AnsweringMachineDetector.maximumTimeMs + 20)
        // Nothing moves the clock back or traps afterwards.
        detector.feed([Int16](repeating: .max, count: 160), atMs: Int.min)
        detector.feed([], atMs: -5)
        detector.feed([Int16](repeating: .min, count: 16_000), atMs: Int.max)
        #expect(detector.processedMs >= AnsweringMachineDetector.maximumTimeMs)
        #expect(detector.reports.count == 1)
    }

    // MARK: Hardening

    @Test("every setting is brought into its range")
    func extremeConfigurations() {
        let extreme = AnsweringMachineDetector.Configuration(
            initialSilenceMs: Int.max, greetingMs: Int.min, afterGreetingSilenceMs: -1, totalAnalysisMs: Int.max,
            minimumWordMs: Int.max, betweenWordsSilenceMs: Int.min, maximumWords: Int.min, maximumWordMs: Int.max,
            voiceThreshold: .nan, minimumVoiceLevelDBFS: -.infinity, messageEndSilenceMs: Int.max,
            maximumGreetingMs: Int.min, beepLowHz: .infinity, beepHighHz: -.infinity, minimumBeepMs: Int.min,
            maximumBeepMs: Int.min, beepPurity: .nan, minimumBeepLevelDBFS: .infinity,
            beepFrequencyToleranceHz: -.infinity, timeToleranceMs: Int.max, maximumConcealmentMs: Int.max
        )
        let checked = extreme.validated
        let durations = AnsweringMachineDetector.Configuration.durationRange
        for value in [checked.initialSilenceMs, checked.greetingMs, checked.afterGreetingSilenceMs, checked.totalAnalysisMs,
                      checked.minimumWordMs, checked.betweenWordsSilenceMs, checked.maximumWordMs, checked.messageEndSilenceMs,
                      checked.maximumGreetingMs, checked.minimumBeepMs, checked.maximumBeepMs, checked.timeToleranceMs,
                      checked.maximumConcealmentMs] {
            #expect(durations.contains(value))
        }
        #expect(checked.maximumWords == 1)
        #expect(checked.voiceThreshold == 0.5)
        #expect(checked.beepPurity == 0.8)
        #expect(checked.beepLowHz <= checked.beepHighHz)
        #expect(checked.minimumBeepMs >= AnsweringMachineDetector.frameMs && checked.maximumBeepMs >= checked.minimumBeepMs)
        #expect(checked.validated == checked)
        #expect(AnsweringMachineDetector.Configuration().validated == AnsweringMachineDetector.Configuration())
        // A detector on the extremes runs without trapping.
        var random = SeededRandom(seed: 5)
        var detector = AnsweringMachineDetector(configuration: extreme)
        for _ in 0..<200 {
            detector.feed((0..<160).map { _ in Int16(truncatingIfNeeded: random.next()) })
        }
        #expect(detector.processedMs == 4_000)
    }

    @Test("random frames of every size, values and times never trap, and the decisions stay in order")
    func randomFramesNeverTrap() {
        var random = SeededRandom(seed: 2_024)
        let configurations: [AnsweringMachineDetector.Configuration] = [
            .init(),
            .init(initialSilenceMs: 0, greetingMs: 0, afterGreetingSilenceMs: 0, totalAnalysisMs: 0),
            .init(minimumWordMs: 0, betweenWordsSilenceMs: 0, maximumWords: 1, messageEndSilenceMs: 0, maximumGreetingMs: 0),
            .init(beepLowHz: 100, beepHighHz: 3_800, minimumBeepMs: 0, beepPurity: 0, minimumBeepLevelDBFS: -120,
                  timeToleranceMs: 0, maximumConcealmentMs: 0),
        ]
        let times = [Int.min, -1, 0, 1, 19, 20, 1_000, 59_999, 1 << 40, Int.max - 1, Int.max]
        for configuration in configurations {
            for _ in 0..<10 {
                var detector = AnsweringMachineDetector(configuration: configuration)
                var lastProcessed = 0
                for step in 0..<80 {
                    let size = Int(random.next() % 2_400)
                    let kind = random.next() % 4
                    let samples: [Int16] = (0..<size).map { index in
                        switch kind {
                        case 0: Int16(truncatingIfNeeded: random.next())
                        case 1: index.isMultiple(of: 2) ? .max : .min
                        case 2: 0
                        default: Int16(truncatingIfNeeded: Int(32_000 * sin(Double(index) * 0.785)))
                        }
                    }
                    let time: Int? = switch random.next() % 4 {
                    case 0: nil
                    case 1: times[Int(random.next() % UInt64(times.count))]
                    case 2: Int(random.next() % 120_000) - 1_000
                    default: step * 20
                    }
                    if random.next() % 3 == 0 {
                        let law: G711Law = random.next() % 2 == 0 ? .muLaw : .aLaw
                        detector.feed(g711: (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }, law: law, atMs: time)
                    } else {
                        detector.feed(samples, atMs: time)
                    }
                    #expect(detector.processedMs >= lastProcessed)
                    lastProcessed = detector.processedMs
                }
                Self.checkOrder(detector.reports)
            }
        }
    }

    static func checkOrder(_ reports: [AnsweringMachineDetector.Report]) {
        #expect(reports.count <= 2, "\(reports)")
        guard let first = reports.first else { return }
        #expect([.human, .machine, .silence].contains(first.decision), "\(reports)")
        if reports.count == 2 {
            #expect(first.decision == .machine, "\(reports)")
            switch reports[1].decision {
            case .beep, .greetingEnded: break
            default: Issue.record("\(reports)")
            }
            #expect(reports[1].decidedAtMs >= first.decidedAtMs)
        }
    }
}
