import Foundation

/// An Okapi BM25 index over a fixed set of short documents, built once and searched many times.
/// Documents and queries are cut into terms by `TextTokenizer`.
public struct TextIndex: Sendable {
    /// The BM25 constants.
    public struct Parameters: Sendable, Hashable {
        /// How quickly repeats of a term stop adding to a document's score.
        public var k1: Double = 1.2
        /// How much a long document is penalised against the average length (0 … 1).
        public var b: Double = 0.75

        public init(k1: Double = 1.2, b: Double = 0.75) {
            self.k1 = k1
            self.b = b
        }
    }

    /// One search result: a document's position in the indexed list and its score.
    public struct Match: Sendable, Hashable {
        /// The document's position in the indexed list.
        public var document: Int
        /// Its BM25 score; higher is better.
        public var score: Double
    }

    /// The constants this index scores with.
    public let parameters: Parameters
    /// Each document's term counts.
    private let termCounts: [[String: Int]]
    /// Each document's length in terms.
    private let lengths: [Int]
    /// How many documents hold each term.
    private let documentFrequency: [String: Int]
    private let averageLength: Double

    /// Indexes `documents`, each a text; results refer to documents by position.
    public init(documents: [String], parameters: Parameters = Parameters()) {
        self.init(termLists: documents.map(TextTokenizer.terms), parameters: parameters)
    }

    /// Indexes documents already cut into terms.
    public init(termLists: [[String]], parameters: Parameters = Parameters()) {
        self.parameters = parameters
        var counts: [[String: Int]] = []
        var frequency: [String: Int] = [:]
        for terms in termLists {
            var count: [String: Int] = [:]
            for term in terms { count[term, default: 0] += 1 }
            for term in count.keys { frequency[term, default: 0] += 1 }
            counts.append(count)
        }
        termCounts = counts
        lengths = termLists.map(\.count)
        documentFrequency = frequency
        let total = lengths.reduce(0, +)
        averageLength = termLists.isEmpty ? 0 : max(1, Double(total) / Double(termLists.count))
    }

    /// The number of documents indexed.
    public var count: Int { termCounts.count }

    /// Whether any document holds `term`.
    public func contains(term: String) -> Bool { documentFrequency[term] != nil }

    /// Whether document `document` holds `term`.
    public func contains(term: String, document: Int) -> Bool { termCounts[document][term] != nil }

    /// The inverse document frequency of `term`: high for rare terms, near zero for terms in
    /// every document, never negative.
    public func inverseDocumentFrequency(_ term: String) -> Double {
        let n = Double(count)
        let df = Double(documentFrequency[term] ?? 0)
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// The BM25 score of document `document` for the query `terms`. Repeated query terms count
    /// once.
    public func score(terms: [String], document: Int) -> Double {
        let counts = termCounts[document]
        let length = Double(lengths[document])
        let k1 = parameters.k1
        let b = parameters.b
        var total = 0.0
        for term in Set(terms) {
            guard let tf = counts[term].map(Double.init) else { continue }
            let norm = k1 * (1 - b + b * length / averageLength)
            total += inverseDocumentFrequency(term) * tf * (k1 + 1) / (tf + norm)
        }
        return total
    }

    /// Every document's score for `query`, in document order.
    public func scores(_ query: String) -> [Double] {
        scores(terms: TextTokenizer.terms(query))
    }

    /// Every document's score for the query `terms`, in document order.
    public func scores(terms: [String]) -> [Double] {
        (0..<count).map { score(terms: terms, document: $0) }
    }

    /// The best `limit` documents for `query` scoring above `minimumScore`, best first; equal
    /// scores keep document order.
    public func search(_ query: String, limit: Int, minimumScore: Double = 0) -> [Match] {
        let matches = scores(query).enumerated()
            .filter { $0.element > minimumScore }
            .map { Match(document: $0.offset, score: $0.element) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.document < $1.document }
        return Array(matches.prefix(max(0, limit)))
    }
}
