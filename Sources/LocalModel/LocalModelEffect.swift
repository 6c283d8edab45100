import RealtimeProtocol

/// Work a ``LocalModelSession`` asks for and cannot do itself (it has no I/O): recognition and
/// synthesis, which take a while and run off the event loop. Whoever runs the session (the
/// `LocalModelLink`) takes them with ``LocalModelSession/takeEffects()`` after each call, runs
/// them, and hands the results back in order: ``LocalModelSession/transcribed(itemID:outcome:)``,
/// ``LocalModelSession/spoken(responseID:sentence:audio:sampleCount:)`` and
/// ``LocalModelSession/speechFinished(responseID:failure:)``.
public enum LocalModelEffect: Sendable, Equatable {
    /// Audio is coming: start loading the recognizer if it is not loaded yet.
    case warmUp
    /// Recognise a committed utterance: PCM16 mono at `sampleRate` (the input format's rate).
    /// `prepared` says the last ``prepareTranscript(itemID:samples:sampleRate:)`` for the item
    /// holds the same speech (the audio after it was only the end of the silence): its result,
    /// under way or ready, is the transcript.
    case transcribe(itemID: String, samples: [Int16], sampleRate: Int, prepared: Bool)
    /// Start recognising the utterance `itemID` as it stands at a pause: it will most likely end
    /// there, once the rest of the silence has passed. Replaces any earlier preparation.
    case prepareTranscript(itemID: String, samples: [Int16], sampleRate: Int)
    /// The prepared recognition will not be needed (the buffer was cleared).
    case dropPreparedTranscript
    /// Speak `text` for the response `responseID`, in `format`, sentence by sentence.
    case speak(responseID: String, text: String, voice: String?, format: AudioFormat)
    /// Stop speaking for the response `responseID` (it was cancelled): later results are dropped.
    case stopSpeaking(responseID: String)
}

/// What transcribing an utterance gave.
public enum TranscriptionOutcome: Sendable, Hashable {
    /// The transcript; empty when the recognizer did not understand the utterance well enough.
    case transcript(String)
    /// The recognizer failed (not loaded, engine error).
    case failed(String)

    /// Whether nothing was understood (an empty transcript, or a failure).
    var isEmpty: Bool {
        if case .transcript(let text) = self { return text.isEmpty }
        return true
    }
}
