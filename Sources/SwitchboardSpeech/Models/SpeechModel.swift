/// Everything the recognizer generates from a ``SpeechDomain`` at start-up: a JSGF grammar of the
/// domain's utterances, a trigram language model estimated from sentences generated from them,
/// and the pronunciations of their vocabulary.
public struct SpeechModel: Sendable {
    /// The grammar, JSGF text.
    public let grammar: String
    /// The language model (``ARPALanguageModel/arpa`` is its text).
    public let languageModel: ARPALanguageModel
    /// The pronunciation dictionary, in PocketSphinx's format.
    public let dictionary: String
    /// Every word the recognizer can hear, sorted. Spelled letters are `a.` … `z.`.
    public let vocabulary: [String]
    /// How many sentences the language model was estimated from.
    public let trainingSentenceCount: Int
    /// Problems worth a log line: words missing from the CMU dictionary.
    public let warnings: [String]
    /// The parsed domain, for writing transcripts back.
    let corpus: SpeechCorpus

    /// The models for `domain`, with pronunciations from the CMU dictionary at `cmudict`, a
    /// language model of `order`, and `expansions` sentences generated per utterance with slots.
    public init(
        domain: SpeechDomain,
        cmudict: String = SpeechRecognizer.Configuration.defaultDictionary,
        order: Int = 3,
        expansions: Int = 12
    ) throws(SpeechError) {
        let corpus = try SpeechCorpus(domain: domain)
        let dictionary = try PronunciationDictionary(vocabulary: corpus.vocabulary, cmudict: cmudict)
        let sentences = corpus.trainingSentences(expansions: expansions)
        self.corpus = corpus
        self.grammar = JSGFGrammar.text(for: corpus)
        self.languageModel = ARPALanguageModel(sentences: sentences, order: order, vocabulary: corpus.vocabulary)
        self.dictionary = dictionary.text
        self.vocabulary = corpus.vocabulary
        self.trainingSentenceCount = sentences.count
        self.warnings = dictionary.warnings
    }
}
