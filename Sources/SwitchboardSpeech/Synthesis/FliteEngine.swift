import CFlite
import Dispatch

/// flite, behind one serial queue: its voices and lexicon are process-wide and not thread-safe,
/// so every synthesis in the process goes through ``shared`` one at a time.
final class FliteEngine: Sendable {
    /// The process's one flite.
    static let shared = FliteEngine()

    /// The voices linked in, best first for the agents: `kal16` (US male, 16 kHz diphones),
    /// `slt` (US female), `rms` (US male), `awb` (Scottish male), `kal` (US male, 8 kHz).
    static let voices = ["kal16", "slt", "rms", "awb", "kal"]

    private let queue = DispatchQueue(label: "switchboard.speech.flite", qos: .userInitiated)

    private init() {}

    /// `text` (English) spoken by `voice` at `durationStretch` times the voice's own duration.
    func synthesize(_ text: String, voice: String, durationStretch: Double) async throws -> SynthesizedAudio {
        let meter = CPUMeter.current
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws(SpeechError) -> SynthesizedAudio in
                    let start = CPUMeter.threadTime()
                    defer { meter?.add(CPUMeter.threadTime() - start) }
                    return try Self.synthesizeBlocking(text, voice: voice, durationStretch: durationStretch)
                })
            }
        }
    }

    private static func synthesizeBlocking(_ text: String, voice: String, durationStretch: Double) throws(SpeechError) -> SynthesizedAudio {
        var audio = sb_flite_audio()
        let status = sb_flite_synthesize(text, voice, Float(durationStretch), &audio)
        defer { sb_flite_free(&audio) }
        switch status {
        case 0: break
        case -1: throw .unknownVoice("flite has no voice \(voice)")
        default: throw .engineFailure("flite could not synthesize \(text.count) characters with \(voice)")
        }
        let samples = audio.samples.map { Array(UnsafeBufferPointer(start: $0, count: Int(audio.count))) } ?? []
        return SynthesizedAudio(samples: samples, sampleRate: Int(audio.sample_rate))
    }
}

/// PCM16 mono samples at a rate.
struct SynthesizedAudio: Sendable {
    var samples: [Int16]
    var sampleRate: Int
}
