import SwitchboardAudio

/// One utterance as a detector reported it.
struct DetectedUtterance: CustomStringConvertible {
    var audioStartMs: Int
    var audioEndMs: Int?
    /// The detected voice, without padding and trailing silence.
    var onsetMs: Int
    var speechEndMs: Int?
    var samples: [Int16] = []

    /// Voiced duration in milliseconds (0 while unfinished).
    var voicedMs: Int { (speechEndMs ?? onsetMs) - onsetMs }

    var description: String {
        "utterance(audio \(audioStartMs)–\(audioEndMs.map(String.init) ?? "…"), voice \(onsetMs)–\(speechEndMs.map(String.init) ?? "…"), \(samples.count) samples)"
    }
}

/// Feeds `samples` to `detector` in chunks of `chunk` samples (or random sizes up to it) and
/// collects the utterances.
func detectUtterances(
    _ samples: [Int16], detector: inout VoiceActivityDetector, chunk: Int = 480, randomChunks: UInt64? = nil
) -> [DetectedUtterance] {
    var utterances: [DetectedUtterance] = []
    var random = SeededRandom(seed: randomChunks ?? 0)
    var offset = 0
    while offset < samples.count {
        let size = randomChunks == nil ? chunk : 1 + Int(random.next() % UInt64(chunk))
        let end = min(offset + size, samples.count)
        var events: [VoiceActivityEvent] = []
        samples[offset..<end].withUnsafeBufferPointer { detector.process($0) { events.append($0) } }
        for event in events {
            switch event {
            case .speechStarted(let start):
                utterances.append(DetectedUtterance(audioStartMs: start, onsetMs: detector.speechOnsetMs ?? -1))
            case .speechStopped(let end):
                utterances[utterances.count - 1].audioEndMs = end
                utterances[utterances.count - 1].speechEndMs = detector.speechEndMs
                utterances[utterances.count - 1].samples = detector.utterance
            case .speechPaused:
                break
            }
        }
        offset = end
    }
    return utterances
}

/// A sample position in milliseconds.
func milliseconds(_ samples: Int, rate: Int) -> Int { samples * 1000 / rate }
