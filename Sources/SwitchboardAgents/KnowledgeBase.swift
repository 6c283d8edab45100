import Foundation

/// A knowledge chunk that matched a search.
public struct KnowledgeHit: Sendable, Hashable {
    /// The document, relative to the knowledge directory (`clinic/hours.md`).
    public var source: String
    /// The section heading ("Checked bags").
    public var title: String
    /// The section's text, plain sentences.
    public var text: String
    /// The BM25 relevance; higher is better.
    public var score: Double

    public init(source: String, title: String, text: String, score: Double) {
        self.source = source
        self.title = title
        self.text = text
        self.score = score
    }
}

/// Policy and FAQ documents, cut into sections and searchable offline with BM25.
///
/// On disk the documents are `<directory>/<domain>/*.md` (`Personas/clinic/knowledge/clinic/hours.md`);
/// the domain is the first component of a document's source.
public struct KnowledgeBase: Sendable {
    /// Every chunk, in load order.
    public let chunks: [KnowledgeChunk]
    /// Hits must score above this many times the weight of a word found in one section only: a
    /// query that shares only a word or two of little weight with a section finds nothing rather
    /// than something unrelated. Relative to that weight, so that a pack with a handful of
    /// sections (where every weight is small) needs as much evidence as one with hundreds.
    public var minimumScore: Double = 0.85
    /// The share of the query's distinct terms a hit must contain: a long question that meets a
    /// section in one word only ("who won the game last night") finds nothing.
    public var minimumCoverage: Double = 0.4
    private let index: TextIndex

    /// Loads every `<directory>/<domain>/*.md`. A missing directory gives an empty knowledge base.
    public static func load(directory: String) throws -> KnowledgeBase {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return KnowledgeBase(documents: [])
        }
        let root = URL(fileURLWithPath: directory)
        var documents: [(source: String, text: String)] = []
        for domain in try manager.contentsOfDirectory(atPath: directory).sorted() {
            let folder = root.appendingPathComponent(domain)
            guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in try manager.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".md") {
                let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                documents.append(("\(domain)/\(name)", text))
            }
        }
        return KnowledgeBase(documents: documents)
    }

    /// A knowledge base of markdown `documents`, each named by its source (`clinic/hours.md`).
    public init(documents: [(source: String, text: String)]) {
        let chunker = MarkdownChunker()
        chunks = documents.flatMap { chunker.chunks(of: $0.text, source: $0.source) }
        // The headings are indexed with the text, the section's own heading twice: a question
        // that names the topic ("baggage", "check-in") should find the section about it.
        index = TextIndex(documents: chunks.map { "\($0.documentTitle). \($0.title). \($0.title). \($0.text)" })
    }

    /// The documents' domains (`clinic`, `billing`), sorted.
    public var domains: [String] {
        Set(chunks.map { Self.domain(of: $0.source) }).sorted()
    }

    /// The best `limit` sections for `query`, best first: only those above the score threshold that
    /// hold at least `minimumCoverage` of the query's terms, and only from `domain` when one is given.
    public func search(_ query: String, domain: String?, limit: Int) -> [KnowledgeHit] {
        let terms = Array(Set(TextTokenizer.terms(query)))
        guard !terms.isEmpty, limit > 0 else { return [] }
        let needed = max(1, Int((Double(terms.count) * minimumCoverage).rounded(.up)))
        let n = Double(index.count)
        let threshold = minimumScore * log(1 + (n - 0.5) / 1.5)
        var hits: [(position: Int, hit: KnowledgeHit)] = []
        for (position, chunk) in chunks.enumerated() {
            if let domain, Self.domain(of: chunk.source) != domain { continue }
            let score = index.score(terms: terms, document: position)
            guard score > threshold, terms.count(where: { index.contains(term: $0, document: position) }) >= needed else { continue }
            hits.append((position, KnowledgeHit(source: chunk.source, title: chunk.title, text: chunk.text, score: score)))
        }
        hits.sort { $0.hit.score != $1.hit.score ? $0.hit.score > $1.hit.score : $0.position < $1.position }
        return hits.prefix(limit).map(\.hit)
    }

    /// `clinic/hours.md` → `clinic`.
    static func domain(of source: String) -> String {
        source.split(separator: "/", maxSplits: 1).first.map(String.init) ?? source
    }
}
