import Foundation

/// A back-off n-gram language model estimated from sentences with interpolated Witten-Bell
/// smoothing, written in the ARPA text format PocketSphinx (and SRILM, KenLM) read.
///
/// For a history `h` seen `c(h)` times and followed by `t(h)` different words, the model keeps
/// `λ(h) = c(h) / (c(h) + t(h))` of its mass for what followed `h` and gives the rest to the
/// next shorter history: `p(w | h) = λ(h)·c(h w)/c(h) + (1 − λ(h))·p(w | h′)`. The unigrams
/// interpolate the same way with the uniform distribution over the vocabulary, so a vocabulary
/// word never seen in training still has a probability. Written as ARPA, seen n-grams carry the
/// interpolated probability and each history the back-off weight `1 − λ(h)`, which gives exactly
/// the interpolated probability of every unseen n-gram.
public struct ARPALanguageModel: Sendable {
    /// The sentence-start and sentence-end tokens.
    public static let sentenceStart = "<s>"
    public static let sentenceEnd = "</s>"

    /// One line of the model: an n-gram, its log10 probability and, for histories, the log10
    /// back-off weight.
    public struct Entry: Sendable, Hashable {
        /// The words, oldest first.
        public var words: [String]
        /// log10 p(last word | the others); -99 for `<s>`, which is never predicted.
        public var logProbability: Double
        /// log10 of the back-off weight, or nil for an n-gram that is never a history.
        public var logBackoff: Double?
    }

    /// The longest n-grams' length.
    public let order: Int
    /// The model's lines, by order: `entries[0]` are the unigrams.
    public let entries: [[Entry]]

    private let estimator: WittenBellEstimator

    /// A model of `order` (1 or more) estimated from `sentences` (words without `<s>` and
    /// `</s>`), over their words and `vocabulary`.
    public init(sentences: [[String]], order: Int = 3, vocabulary: some Sequence<String> = [String]()) {
        precondition(order >= 1, "an n-gram model has an order of 1 or more")
        let estimator = WittenBellEstimator(sentences: sentences, order: order, vocabulary: vocabulary)
        var entries: [[Entry]] = []
        var unigrams: [Entry] = [Entry(words: [Self.sentenceStart], logProbability: -99, logBackoff: nil)]
        for word in estimator.vocabulary {
            unigrams.append(Entry(words: [word], logProbability: 0, logBackoff: nil))
        }
        entries.append(unigrams)
        for length in stride(from: 2, through: order, by: 1) {
            entries.append(estimator.counts[length - 1].keys.sorted { $0.lexicographicallyPrecedes($1) }.map {
                Entry(words: $0, logProbability: 0, logBackoff: nil)
            })
        }
        for level in entries.indices {
            for index in entries[level].indices {
                let gram = entries[level][index].words
                if gram != [Self.sentenceStart] {
                    entries[level][index].logProbability = log10(estimator.probability(of: gram.last!, after: Array(gram.dropLast())))
                }
                if level < order - 1, let lambda = estimator.interpolationWeight(of: gram) {
                    entries[level][index].logBackoff = log10(1 - lambda)
                }
            }
        }
        self.order = order
        self.entries = entries
        self.estimator = estimator
    }

    /// p(`word` | `history`), the history's oldest words dropped beyond the model's order.
    public func probability(of word: String, after history: [String]) -> Double {
        estimator.probability(of: word, after: history)
    }

    /// The model in ARPA format.
    public var arpa: String {
        var text = "\\data\\\n"
        for (level, lines) in entries.enumerated() {
            text += "ngram \(level + 1)=\(lines.count)\n"
        }
        for (level, lines) in entries.enumerated() {
            text += "\n\\\(level + 1)-grams:\n"
            for entry in lines {
                text += Self.format(entry.logProbability) + "\t" + entry.words.joined(separator: " ")
                if let backoff = entry.logBackoff { text += "\t" + Self.format(backoff) }
                text += "\n"
            }
        }
        text += "\n\\end\\\n"
        return text
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.6f", value == 0 ? 0 : value)
    }
}

/// The counts behind an ``ARPALanguageModel`` and its interpolated Witten-Bell estimates.
private struct WittenBellEstimator: Sendable {
    let order: Int
    /// N-gram counts by length − 1; unigrams leave out `<s>`.
    let counts: [[[String]: Double]]
    /// Every word that can be predicted (`</s>` included, `<s>` not), sorted.
    let vocabulary: [String]
    private let historyTotals: [[String]: Double]
    private let historyTypes: [[String]: Double]
    private let unigramTotal: Double
    private let unigramTypes: Double

    init(sentences: [[String]], order: Int, vocabulary: some Sequence<String>) {
        var counts = Array(repeating: [[String]: Double](), count: order)
        for sentence in sentences {
            let tokens = [ARPALanguageModel.sentenceStart] + sentence + [ARPALanguageModel.sentenceEnd]
            for length in 1...order where tokens.count >= length {
                for start in 0...(tokens.count - length) {
                    let gram = Array(tokens[start..<(start + length)])
                    if length == 1 && gram[0] == ARPALanguageModel.sentenceStart { continue }
                    counts[length - 1][gram, default: 0] += 1
                }
            }
        }
        var totals: [[String]: Double] = [:]
        var types: [[String]: Double] = [:]
        for length in stride(from: 2, through: order, by: 1) {
            for (gram, count) in counts[length - 1] {
                let history = Array(gram.dropLast())
                totals[history, default: 0] += count
                types[history, default: 0] += 1
            }
        }
        var words = Set(vocabulary)
        words.insert(ARPALanguageModel.sentenceEnd)
        words.remove(ARPALanguageModel.sentenceStart)
        for gram in counts[0].keys { words.insert(gram[0]) }
        self.order = order
        self.counts = counts
        self.vocabulary = words.sorted()
        self.historyTotals = totals
        self.historyTypes = types
        self.unigramTotal = counts[0].values.reduce(0, +)
        self.unigramTypes = Double(counts[0].count)
    }

    /// The share of a history's mass kept for the words seen after it, or nil when the history
    /// was never followed by anything.
    func interpolationWeight(of history: [String]) -> Double? {
        guard let total = historyTotals[history], let types = historyTypes[history] else { return nil }
        return total / (total + types)
    }

    func probability(of word: String, after history: [String]) -> Double {
        let history = Array(history.suffix(order - 1))
        if history.isEmpty {
            let lambda = unigramTotal / (unigramTotal + unigramTypes)
            let seen = unigramTotal > 0 ? (counts[0][[word]] ?? 0) / unigramTotal : 0
            return lambda * seen + (1 - lambda) / Double(vocabulary.count)
        }
        let shorter = probability(of: word, after: Array(history.dropFirst()))
        guard let lambda = interpolationWeight(of: history), let total = historyTotals[history] else { return shorter }
        let count = counts[history.count][history + [word]] ?? 0
        return lambda * count / total + (1 - lambda) * shorter
    }
}
