import Foundation
import Synchronization

/// Speech to text with PocketSphinx, on a grammar and a language model generated from a
/// ``SpeechDomain``.
///
/// Each utterance is decoded with the language model, which accepts the domain's words in any
/// order, and, unless that heard one of the domain's utterances clearly, with the grammar, which
/// knows the domain's utterances exactly. The grammar's result is taken when the language model heard much the same words, or when the
/// grammar's path explains the audio clearly better than the language model's; otherwise the
/// language model's result is, with its words' mean lattice posterior as the confidence. When
/// neither reaches its threshold (``Decision/threshold``, ``Decision/languageModelThreshold``)
/// the utterance is not understood. Telephone audio (``Bandwidth/narrowband``, told by the
/// caller or measured) has thresholds of its own (``Configuration/narrowbandDecision``).
/// Codes are written back in their written form: the transcript says "SB204", not
/// "S B two oh four".
///
/// Audio is PCM16 mono at 16 kHz (``sampleRate``), one whole utterance per call, cut by the
/// caller's VAD: **the caller resamples** (24 kHz realtime audio, 8 kHz telephony) before
/// calling, and says when the audio came from a telephone line (or lets the recognizer measure
/// it). Decoding blocks a thread for a fraction of the utterance's length; it runs on the
/// decoders' own serial queues, never on Swift's cooperative threads. PocketSphinx decoders are
/// not thread-safe, so the recognizer keeps a pool of ``Configuration/decoders`` of them and
/// lends each to one recognition at a time: that many recognitions run at once, others wait.
/// The recognizer itself may be shared by every session.
public final class SpeechRecognizer: Sendable {
    /// The only sample rate the recognizer takes.
    public static let sampleRate = 16_000

    /// How the recognizer is built and decides.
    public struct Configuration: Sendable {
        /// Debian's US English acoustic model (`pocketsphinx-en-us`).
        public static let defaultAcousticModel = "/usr/share/pocketsphinx/model/en-us/en-us"
        /// Debian's CMU pronouncing dictionary (`pocketsphinx-en-us`).
        public static let defaultDictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

        /// The acoustic model's directory.
        public var acousticModel = Configuration.defaultAcousticModel
        /// The CMU pronouncing dictionary the vocabulary's pronunciations come from.
        public var dictionary = Configuration.defaultDictionary
        /// How many decoders to keep: how many utterances are decoded at once. Each holds the
        /// acoustic model (≈ 20 MB) and takes about a second to load.
        public var decoders = 2
        /// When the hypotheses of wideband audio are trusted.
        public var decision = Decision()
        /// When the hypotheses of narrowband (telephone) audio are trusted. With
        /// ``narrowbandNoise`` the wideband thresholds serve telephone audio as well (lower
        /// ones gained the benchmark at most one point of WER, for more risk of taking noise
        /// for words); without it, the language model's posteriors on telephone audio come out
        /// low for right words, and a language-model threshold of 0.5 recovers part of them.
        public var narrowbandDecision = Decision()
        /// Audio quieter than this (dBFS, RMS) is silence and is not decoded.
        public var silenceLevel = -55.0
        /// The level (dBFS, RMS) of the faint noise added to every utterance before decoding, or
        /// nil for none. Digital silence (runs of exact zeros, as synthesizers and muted
        /// microphones produce) throws PocketSphinx's front end off badly; a noise floor far
        /// below any real line's removes the problem and changes nothing else.
        public var noiseFloor: Double? = -66
        /// The level, in dB relative to the utterance's own level, of the white noise added to
        /// narrowband (telephone) audio in place of the noise floor, or nil for the noise floor.
        ///
        /// The acoustic model learned wideband speech recorded with some background noise; on
        /// telephone audio its filters above 4 kHz see nothing but the faint noise floor, and
        /// the model's scores fall apart (the voice benchmark's telephone WER was 31 % against
        /// 9 % at 24 kHz). Noise some 20 dB under the speech puts those filters back at a level
        /// the model knows: the benchmark's sweep found the telephone WER lowest from −25 to
        /// −20 dB (12 % at −22), and worse on either side (17 % at −30, 18 % at −15).
        public var narrowbandNoise: Double? = -22
        /// The language model's order.
        public var languageModelOrder = 3
        /// How many sentences are generated for the language model per utterance with slots.
        public var expansions = 12
        /// Whether the language model's search makes PocketSphinx's second, flat-lexicon pass
        /// (`-fwdflat`). Off: the pass scores every frame of the utterance again, about a fifth
        /// of the hub's CPU per spoken turn, and the voice benchmark's word error rate came out
        /// the same within its run-to-run spread without it (7.9 % against 7.1–7.4 %, 24 kHz,
        /// 96 utterances). The lattice for the word posteriors comes from the first pass then.
        public var flatLexiconPass = false
        /// Whether PocketSphinx's front end subtracts its running estimate of the background
        /// noise (`-remove_noise`) and drops the frames its own detector takes for silence
        /// (`-remove_silence`). Both off: their estimates live in the decoder and carry over from
        /// one utterance to the next, and the decoders are shared by every session, so one
        /// caller's noise changed how the next caller's words were heard (a test decodes the same
        /// utterance before and after loud noise). The hub's VAD already cuts the utterances. With
        /// both off the voice benchmark's WER went from 7.9 to 6.2 % at 24 kHz and from 12.2 to
        /// 8.6 % over `g711_ulaw` (where the noise removal fought the ``narrowbandNoise`` fill),
        /// for the same CPU.
        public var frontEndNoiseRemoval = false
        public var frontEndSilenceRemoval = false
        /// PocketSphinx's beam widths and weights (`-beam`, `-wbeam`, `-lw`, `-wip`).
        public var beam = 1e-48
        public var wordBeam = 7e-29
        public var languageWeight = 6.5
        public var wordInsertionPenalty = 0.65

        /// The defaults.
        public init() {}
    }

    /// When a hypothesis is trusted.
    public struct Decision: Sendable, Hashable {
        /// The confidence below which the grammar's result is not taken.
        public var threshold = 0.5
        /// The mean word posterior below which the language model's result is not taken: the
        /// utterance is then not understood.
        public var languageModelThreshold = 0.7
        /// The per-frame score gain of the grammar's path over the language model's (PocketSphinx
        /// score units) at which the grammar's fit counts for a confidence of one half, and how
        /// quickly the confidence rises with the gain around it.
        public var grammarGainMidpoint = 1.5
        public var grammarGainScale = 1.0

        public init(threshold: Double = 0.5, languageModelThreshold: Double = 0.7, grammarGainMidpoint: Double = 1.5, grammarGainScale: Double = 1.0) {
            self.threshold = threshold
            self.languageModelThreshold = languageModelThreshold
            self.grammarGainMidpoint = grammarGainMidpoint
            self.grammarGainScale = grammarGainScale
        }
    }

    /// The configuration it was built with.
    public let configuration: Configuration
    /// The grammar, language model and dictionary generated from the domain.
    public let model: SpeechModel
    private let pool: DecoderPool
    private let writer: TranscriptWriter

    /// A recognizer for `domain`: generates the models, then loads ``Configuration/decoders``
    /// decoders. Blocks for about a second per decoder; build it once at start-up.
    public convenience init(domain: SpeechDomain, configuration: Configuration = Configuration()) throws(SpeechError) {
        let model = try SpeechModel(
            domain: domain, cmudict: configuration.dictionary, order: configuration.languageModelOrder,
            expansions: configuration.expansions
        )
        try self.init(model: model, configuration: configuration)
    }

    /// A recognizer for a model already generated.
    public init(model: SpeechModel, configuration: Configuration = Configuration()) throws(SpeechError) {
        let decoders = try PocketSphinxDecoder.load(
            count: max(1, configuration.decoders), grammar: model.grammar, languageModel: model.languageModel.arpa,
            dictionary: model.dictionary, configuration: configuration
        )
        self.configuration = configuration
        self.model = model
        self.pool = DecoderPool(decoders)
        self.writer = TranscriptWriter(corpus: model.corpus)
    }

    /// What was said in `samples`: PCM16 mono at 16 kHz, one utterance.
    ///
    /// `bandwidth` is the band the audio carries when the caller knows it (a G.711 call is
    /// narrowband whatever rate it was resampled to); nil measures it from the samples
    /// (``Bandwidth/of(_:sampleRate:)``). Narrowband audio is judged with
    /// ``Configuration/narrowbandDecision``.
    ///
    /// - Throws: ``SpeechError/engineFailure`` when PocketSphinx fails; `CancellationError` when
    ///   the calling task is cancelled before the decoding is done.
    public func recognize(_ samples: [Int16], bandwidth: Bandwidth? = nil) async throws -> SpeechRecognition {
        guard Self.level(samples) >= configuration.silenceLevel else { return .nothing }
        try Task.checkCancellation()
        let band = bandwidth ?? Bandwidth.of(samples, sampleRate: Self.sampleRate)
        let noise: Double?
        if band == .narrowband, let relative = configuration.narrowbandNoise {
            noise = max(Self.level(samples) + relative, configuration.noiseFloor ?? -.infinity)
        } else {
            noise = configuration.noiseFloor
        }
        let prepared = noise.map { Self.addingNoise(to: samples, level: $0) } ?? samples
        let decision = band == .narrowband ? configuration.narrowbandDecision : configuration.decision
        let (grammar, languageModel) = try await hypotheses(prepared, decision: decision)
        var result = decide(grammar: grammar, languageModel: languageModel, decision: decision)
        result.bandwidth = band
        return result
    }

    /// The language model's hypothesis for `samples` and, unless that already settles it, the
    /// grammar's.
    ///
    /// The language model's search comes first: it is the cheaper one (PocketSphinx's grammar
    /// search does work for every state of the grammar's graph on every frame). When it heard
    /// one of the domain's utterances (``SpeechCorpus/accepts(_:)``) with a mean word posterior
    /// at `decision`'s language-model threshold or above, the grammar's search is skipped (nil):
    /// it would have heard the same words, and agreed.
    ///
    /// Cancelling the calling task stops the work at the next search (a search under way runs
    /// to its end) and throws `CancellationError`.
    func hypotheses(_ samples: [Int16], decision: Decision) async throws -> (grammar: DecoderHypothesis?, languageModel: DecoderHypothesis) {
        let cancelled = Atomic(false)
        let corpus = model.corpus
        return try await withTaskCancellationHandler {
            try await pool.withDecoder { decoder in
                if cancelled.load(ordering: .relaxed) { throw CancellationError() }
                let languageModel = try decoder.decode(samples, search: PocketSphinxDecoder.languageModelSearch)
                if languageModel.wordPosterior >= decision.languageModelThreshold, corpus.accepts(languageModel.words) {
                    return (nil, languageModel)
                }
                if cancelled.load(ordering: .relaxed) { throw CancellationError() }
                let grammar = try decoder.decode(samples, search: PocketSphinxDecoder.grammarSearch)
                return (grammar, languageModel)
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
    }

    /// Chooses between the two hypotheses and writes the transcript.
    ///
    /// The grammar's result is as trustworthy as its agreement with the language model's words,
    /// or as its fit: a logistic of how much better per frame its path scores than the
    /// unconstrained language model's. A code (a spelled run such as "b. k. q. four three one")
    /// counts on its fit only when the language model heard the same code, since the grammar's
    /// code rules can soak up almost any sound. The grammar's result is taken when trusted
    /// enough; otherwise the language model's, trusted as far as its words' mean lattice
    /// posterior goes.
    ///
    /// Without the grammar's hypothesis (its search was skipped: the language model heard one of
    /// the domain's utterances clearly), the language model's words are the domain utterance.
    func decide(grammar: DecoderHypothesis?, languageModel: DecoderHypothesis, decision: Decision) -> SpeechRecognition {
        guard let grammar else {
            let text = writer.text(languageModel.words)
            var heard = SpeechRecognition(
                text: text, words: languageModel.words, confidence: languageModel.wordPosterior, isUnderstood: true,
                source: .grammar, bestGuess: text
            )
            heard.isCorroborated = true
            return heard
        }
        guard !grammar.words.isEmpty || !languageModel.words.isEmpty else { return .nothing }
        var grammarConfidence = 0.0
        var agreed = 0.0
        if !grammar.words.isEmpty {
            let gain = Double(grammar.pathScore - languageModel.pathScore) / Double(max(1, languageModel.frames))
            let fit = 1 / (1 + exp(-(gain - decision.grammarGainMidpoint) / decision.grammarGainScale))
            let codesHeard = Set(writer.codes(in: grammar.words)).isSubset(of: writer.codes(in: languageModel.words))
            agreed = agreement(grammar.words, languageModel.words)
            grammarConfidence = max(agreed, codesHeard ? fit : 0)
        }
        let languageModelConfidence = languageModel.words.isEmpty ? 0 : languageModel.wordPosterior
        let source: SpeechRecognition.Source
        let chosen: DecoderHypothesis
        let confidence: Double
        if !grammar.words.isEmpty && grammarConfidence >= decision.threshold {
            (source, chosen, confidence) = (.grammar, grammar, grammarConfidence)
        } else if !languageModel.words.isEmpty && languageModelConfidence >= decision.languageModelThreshold {
            (source, chosen, confidence) = (.languageModel, languageModel, languageModelConfidence)
        } else {
            let guess = grammarConfidence >= languageModelConfidence && !grammar.words.isEmpty ? grammar : languageModel
            return SpeechRecognition(
                text: "", words: [], confidence: max(grammarConfidence, languageModelConfidence), isUnderstood: false,
                source: .none, bestGuess: writer.text(guess.words)
            )
        }
        let text = writer.text(chosen.words)
        var heard = SpeechRecognition(
            text: text, words: chosen.words, confidence: confidence, isUnderstood: true, source: source, bestGuess: text
        )
        heard.isCorroborated = source == .grammar && agreed >= decision.threshold
        return heard
    }

    /// `words` as a transcript, codes in their written form.
    func transcript(of words: [String]) -> String {
        writer.text(words)
    }

    /// The share of `a`'s words that `b` has in the same order (1 − word error rate, floored at 0).
    private func agreement(_ a: [String], _ b: [String]) -> Double {
        guard !a.isEmpty else { return 0 }
        return max(0, 1 - Double(EditDistance.words(a, b)) / Double(a.count))
    }

    /// `samples` with white noise at `level` dBFS RMS added, the same noise every time.
    static func addingNoise(to samples: [Int16], level: Double) -> [Int16] {
        var generator = SplitMix64(seed: 0x5EED_5B20_4B51)
        // The difference of two uniform values (triangular noise) has an RMS of amplitude / √6.
        let amplitude = pow(10, level / 20) * 32768 * 6.0.squareRoot()
        let scale = amplitude / Double(UInt64.max)
        return samples.map { sample in
            let noise = (Double(generator.next()) - Double(generator.next())) * scale
            return Int16(clamping: Int((Double(sample) + noise).rounded()))
        }
    }

    /// The RMS level of `samples` in dBFS (-infinity for silence).
    static func level(_ samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return -.infinity }
        var sum = 0.0
        for sample in samples {
            let value = Double(sample) / 32768
            sum += value * value
        }
        return 10 * log10(sum / Double(samples.count))
    }
}

/// Levenshtein distance over words.
enum EditDistance {
    /// Substitutions, insertions and deletions that turn `reference` into `hypothesis`.
    static func words(_ reference: [String], _ hypothesis: [String]) -> Int {
        if reference.isEmpty { return hypothesis.count }
        if hypothesis.isEmpty { return reference.count }
        var previous = Array(0...hypothesis.count)
        var current = previous
        for (i, word) in reference.enumerated() {
            current[0] = i + 1
            for (j, other) in hypothesis.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (word == other ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[hypothesis.count]
    }
}
