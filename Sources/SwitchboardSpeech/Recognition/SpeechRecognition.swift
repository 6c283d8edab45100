/// What the recognizer made of one utterance.
public struct SpeechRecognition: Sendable, Hashable {
    /// Which search produced the transcript.
    public enum Source: String, Sendable, Hashable {
        /// The domain's grammar: the utterance is one the domain lists.
        case grammar
        /// The language model: words of the domain in an order the grammar does not list.
        case languageModel
        /// Nothing was heard (silence, noise), or too little to be trusted.
        case none
    }

    /// The transcript with codes in their written form ("Please cancel appointment A1001"); empty when
    /// the utterance was not understood.
    public var text: String
    /// The recognizer's words as decoded, spelled letters as `b.` (empty when not understood).
    public var words: [String]
    /// How sure the recognizer is, 0 … 1.
    public var confidence: Double
    /// Whether the confidence reached the recognizer's threshold. When it did not, ``text`` is
    /// empty and ``bestGuess`` holds what the recognizer would have said.
    public var isUnderstood: Bool
    /// The search behind the transcript.
    public var source: Source
    /// The best transcript whatever the confidence (for logs and diagnostics).
    public var bestGuess: String
    /// The band the audio was judged as.
    public var bandwidth: Bandwidth = .wideband
    /// Whether two searches heard the same: the language model heard one of the domain's
    /// utterances outright, or the grammar's words are the language model's. A grammar result
    /// taken on its fit alone is not corroborated: the grammar can force almost any sound into
    /// one of its sentences, which is when a neural recognizer should hear it again.
    public var isCorroborated = false

    /// A recognition of `text` from `source`.
    public init(text: String, words: [String], confidence: Double, isUnderstood: Bool, source: Source, bestGuess: String) {
        self.text = text
        self.words = words
        self.confidence = confidence
        self.isUnderstood = isUnderstood
        self.source = source
        self.bestGuess = bestGuess
    }

    /// Nothing heard.
    static let nothing = SpeechRecognition(text: "", words: [], confidence: 0, isUnderstood: false, source: .none, bestGuess: "")
}
