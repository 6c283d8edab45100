/// How the ``VoiceActivityDetector`` decides, in the terms of the realtime protocol's
/// `turn_detection: {type: "server_vad", …}` plus two knobs of its own.
public struct VoiceActivityConfiguration: Sendable, Hashable {
    /// Activation threshold, 0…1 (server_vad `threshold`). A frame counts as speech when the
    /// detector's speech probability reaches it: higher needs louder, clearer speech, lower also
    /// catches quiet speech (and more noise). 0.5 by default.
    public var threshold: Double
    /// Audio kept before the detected onset and included in the utterance, in milliseconds
    /// (server_vad `prefix_padding_ms`). 300 by default.
    public var prefixPaddingMs: Int
    /// Non-speech that ends an utterance, in milliseconds (server_vad `silence_duration_ms`).
    /// 500 by default.
    public var silenceDurationMs: Int
    /// Speech needed before an onset counts, in milliseconds: shorter sounds (clicks, knocks,
    /// taps) never start an utterance. 80 by default.
    public var minimumSpeechMs: Int
    /// Frames quieter than this (dB relative to full scale) are never speech, however clean the
    /// line. −60 by default.
    public var minimumLevelDBFS: Double
    /// Non-speech after which the detector reports a pause (``VoiceActivityEvent/speechPaused(speechEndMs:)``),
    /// in milliseconds, or nil for no pause reports. A pause is where the utterance ends unless
    /// the voice comes back within ``silenceDurationMs``: a consumer can start on the utterance
    /// (recognise it) while the detector waits out the rest of the silence. Nil by default.
    public var pauseNoticeMs: Int?

    /// A configuration; the defaults are OpenAI's server_vad defaults.
    public init(
        threshold: Double = 0.5,
        prefixPaddingMs: Int = 300,
        silenceDurationMs: Int = 500,
        minimumSpeechMs: Int = 80,
        minimumLevelDBFS: Double = -60,
        pauseNoticeMs: Int? = nil
    ) {
        self.threshold = threshold
        self.prefixPaddingMs = prefixPaddingMs
        self.silenceDurationMs = silenceDurationMs
        self.minimumSpeechMs = minimumSpeechMs
        self.minimumLevelDBFS = minimumLevelDBFS
        self.pauseNoticeMs = pauseNoticeMs
    }
}

extension VoiceActivityConfiguration {
    /// The durations a detector honours; values outside are clamped into them (a client's
    /// `prefix_padding_ms: 1e18` pads 10 s, it does not overflow or allocate a huge ring).
    public static let prefixPaddingRange = 0...10_000
    /// For ``silenceDurationMs`` and ``pauseNoticeMs``: up to 10 minutes.
    public static let silenceRange = 0...600_000
    /// For ``minimumSpeechMs``.
    public static let minimumSpeechRange = 0...10_000

    /// `value` clamped into `range`.
    public static func clamped(_ value: Int, to range: ClosedRange<Int>) -> Int {
        min(max(value, range.lowerBound), range.upperBound)
    }
}

/// What a ``VoiceActivityDetector`` reports, with the realtime protocol's timestamps:
/// milliseconds of audio since the detector started.
public enum VoiceActivityEvent: Sendable, Hashable {
    /// Speech began (`input_audio_buffer.speech_started`). `audioStartMs` is where the
    /// utterance's audio begins: the detected onset minus the prefix padding (never before the
    /// end of the previous utterance or the start of the stream).
    case speechStarted(audioStartMs: Int)
    /// Speech ended (`input_audio_buffer.speech_stopped`). `audioEndMs` is where the utterance's
    /// audio ends: the last speech plus the silence duration.
    case speechStopped(audioEndMs: Int)
    /// The voice has been silent for ``VoiceActivityConfiguration/pauseNoticeMs`` inside an
    /// utterance (reported once per pause, only when that is shorter than the silence duration).
    /// `speechEndMs` is where the voice stopped; if the utterance then ends without the voice
    /// coming back, ``VoiceActivityDetector/speechEndMs`` will equal it, and the audio after
    /// ``VoiceActivityDetector/utterance`` as it stands now is only the rest of the silence.
    case speechPaused(speechEndMs: Int)
}
