import CPocketSphinx
import Foundation
import Synchronization

/// What one PocketSphinx search made of an utterance.
struct DecoderHypothesis: Sendable, Hashable {
    /// The words, fillers left out (`<sil>`, `[NOISE]`).
    var words: [String]
    /// The best path's score as PocketSphinx reports it: log base 1.0001, with acoustic scores
    /// scaled down by 2^10, language scores scaled by the language weight. Comparable between
    /// the searches of one decoder on the same audio.
    var pathScore: Int
    /// The mean posterior probability of the words in the lattice, 0 … 1 (1 for a search
    /// without a lattice, such as the grammar's).
    var wordPosterior: Double
    /// How many 10 ms frames the utterance had.
    var frames: Int
}

/// One PocketSphinx decoder with two searches: `grammar` (the JSGF grammar) and `lm` (the
/// n-gram language model).
///
/// A decoder holds its C state and is not thread-safe: the recognizer's pool hands it to one
/// decode at a time, on the decoder's own serial queue. That confinement is why it is marked
/// `@unchecked Sendable`.
final class PocketSphinxDecoder: @unchecked Sendable {
    /// The two searches' names.
    static let grammarSearch = "grammar"
    static let languageModelSearch = "lm"

    /// Where its decodes run, one at a time.
    let queue: DispatchQueue
    private let decoder: OpaquePointer
    private let logmath: OpaquePointer

    /// Makes a decoder for the acoustic model at `acousticModel`, the dictionary file at
    /// `dictionaryPath`, the ARPA file at `languageModelPath` and the JSGF `grammar`.
    init(
        acousticModel: String, dictionaryPath: String, languageModelPath: String, grammar: String,
        options: SpeechRecognizer.Configuration, label: String
    ) throws(SpeechError) {
        Self.quietOnce()
        guard let config = sb_ps_config(acousticModel, dictionaryPath) else {
            throw .engineFailure("PocketSphinx rejected the configuration for \(acousticModel)")
        }
        defer { cmd_ln_free_r(config) }
        cmd_ln_set_float_r(config, "-samprate", Double(SpeechRecognizer.sampleRate))
        cmd_ln_set_float_r(config, "-beam", options.beam)
        cmd_ln_set_float_r(config, "-wbeam", options.wordBeam)
        cmd_ln_set_float_r(config, "-lw", options.languageWeight)
        cmd_ln_set_float_r(config, "-wip", options.wordInsertionPenalty)
        cmd_ln_set_int_r(config, "-bestpath", 1)
        cmd_ln_set_int_r(config, "-fwdflat", options.flatLexiconPass ? 1 : 0)
        cmd_ln_set_int_r(config, "-remove_noise", options.frontEndNoiseRemoval ? 1 : 0)
        cmd_ln_set_int_r(config, "-remove_silence", options.frontEndSilenceRemoval ? 1 : 0)
        guard let decoder = ps_init(config) else {
            throw .engineFailure("PocketSphinx could not load the acoustic model \(acousticModel) or the dictionary")
        }
        guard ps_set_lm_file(decoder, Self.languageModelSearch, languageModelPath) == 0 else {
            _ = ps_free(decoder)
            throw .engineFailure("PocketSphinx rejected the generated language model")
        }
        guard ps_set_jsgf_string(decoder, Self.grammarSearch, grammar) == 0 else {
            _ = ps_free(decoder)
            throw .engineFailure("PocketSphinx rejected the generated grammar")
        }
        self.decoder = decoder
        self.logmath = ps_get_logmath(decoder)
        self.queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    deinit {
        _ = ps_free(decoder)
    }

    /// Held while decoders load: sphinxbase sorts an ARPA file's n-grams with a comparator
    /// (`ngram_comparator`) whose n-gram order is a process-wide static, so two language models
    /// must never load at once.
    private static let loading = Mutex(())

    /// `count` decoders for a grammar (JSGF text), a language model (ARPA text) and a
    /// dictionary (PocketSphinx's format). The language model and the dictionary go through
    /// temporary files, removed once the decoders have read them. Loads one decoder at a time in
    /// the whole process.
    static func load(
        count: Int, grammar: String, languageModel: String, dictionary: String,
        configuration: SpeechRecognizer.Configuration
    ) throws(SpeechError) -> [PocketSphinxDecoder] {
        guard FileManager.default.fileExists(atPath: configuration.acousticModel + "/mdef") else {
            throw .missingModel("no PocketSphinx acoustic model at \(configuration.acousticModel)")
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchboard-speech-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dictionaryPath = directory.appendingPathComponent("vocabulary.dict").path
        let languageModelPath = directory.appendingPathComponent("domain.lm").path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try dictionary.write(toFile: dictionaryPath, atomically: false, encoding: .utf8)
            try languageModel.write(toFile: languageModelPath, atomically: false, encoding: .utf8)
        } catch {
            throw .engineFailure("cannot write the generated models to \(directory.path): \(error)")
        }
        var decoders: [PocketSphinxDecoder] = []
        for index in 0..<count {
            let decoder = try loading.withLock { _ throws(SpeechError) in
                try PocketSphinxDecoder(
                    acousticModel: configuration.acousticModel, dictionaryPath: dictionaryPath,
                    languageModelPath: languageModelPath, grammar: grammar, options: configuration,
                    label: "switchboard.speech.decoder.\(index)"
                )
            }
            decoders.append(decoder)
        }
        return decoders
    }

    private static let quiet: Void = sb_ps_set_quiet(1)

    private static func quietOnce() {
        _ = quiet
    }

    /// Decodes `samples` (PCM16 mono at 16 kHz, one whole utterance) with `search`. Blocking;
    /// call on ``queue``.
    func decode(_ samples: [Int16], search: String) throws(SpeechError) -> DecoderHypothesis {
        guard ps_set_search(decoder, search) == 0 else { throw .engineFailure("PocketSphinx has no search \(search)") }
        guard ps_start_utt(decoder) == 0 else { throw .engineFailure("PocketSphinx could not start an utterance") }
        let processed = samples.withUnsafeBufferPointer { buffer in
            ps_process_raw(decoder, buffer.baseAddress, buffer.count, 0, 1)
        }
        guard ps_end_utt(decoder) == 0, processed >= 0 else {
            throw .engineFailure("PocketSphinx could not decode the utterance")
        }
        var pathScore: Int32 = 0
        let text = ps_get_hyp(decoder, &pathScore).map { String(cString: $0) } ?? ""
        let words = text.split(separator: " ").map(String.init)
        // ps_get_prob computes the lattice's posteriors, which the segments then carry.
        _ = ps_get_prob(decoder)
        var posteriors: [Double] = []
        var segment = ps_seg_iter(decoder)
        while let current = segment {
            let word = ps_seg_word(current).map { String(cString: $0) } ?? ""
            if !Self.isFiller(word) {
                var acoustic: Int32 = 0
                var language: Int32 = 0
                var backoff: Int32 = 0
                let posterior = ps_seg_prob(current, &acoustic, &language, &backoff)
                posteriors.append(min(1, max(0, logmath_exp(logmath, posterior))))
            }
            segment = ps_seg_next(current)
        }
        let wordPosterior: Double
        if words.isEmpty {
            wordPosterior = 0
        } else if posteriors.isEmpty {
            wordPosterior = 1
        } else {
            wordPosterior = posteriors.reduce(0, +) / Double(posteriors.count)
        }
        return DecoderHypothesis(
            words: words, pathScore: Int(pathScore), wordPosterior: wordPosterior, frames: Int(ps_get_n_frames(decoder))
        )
    }

    private static func isFiller(_ word: String) -> Bool {
        word.isEmpty || word.hasPrefix("<") || word.hasPrefix("[") || word.hasPrefix("++")
    }
}
