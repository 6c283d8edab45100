import SwitchboardAgents
import Testing

@Suite("tokenizer and BM25 index")
struct TextIndexTests {
    @Test("words are lowercased, split on punctuation, stopwords dropped and stemmed")
    func tokenizer() {
        #expect(TextTokenizer.words("Is SB204 on-time?") == ["is", "sb204", "on", "time"])
        #expect(TextTokenizer.terms("How many bags can I check?") == ["many", "bag", "check"])
        #expect(TextTokenizer.terms("the flights were delayed") == ["flight", "delay"])
        #expect(TextTokenizer.terms("My booking, BKQ431") == ["book", "bkq431"])
    }

    @Test("the stemmer joins the forms of a word", arguments: [
        ("bags", "bag"), ("policies", "policy"), ("classes", "class"), ("status", "status"),
        ("checking", "check"), ("checked", "check"), ("cancelled", "cancel"), ("cancellation", "cancel"),
        ("changes", "chang"), ("changing", "chang"), ("change", "chang"), ("reservation", "reserv"),
        ("reserved", "reserv"), ("need", "need"), ("thing", "thing"), ("sb204", "sb204"),
        ("date", "date"), ("dated", "date"), ("plane", "plane"), ("planned", "plan"), ("arriving", "arriv"), ("arrive", "arriv"),
    ])
    func stemming(word: String, stem: String) {
        #expect(TextTokenizer.stem(word) == stem)
    }

    @Test("a rarer term weighs more, and a matching document outranks the rest")
    func bm25() {
        let index = TextIndex(documents: [
            "checked bags and carry-on bags",
            "pets travel in the cabin",
            "checked bags cost money on basic fares",
            "boarding starts forty minutes before departure",
        ])
        #expect(index.count == 4)
        #expect(index.inverseDocumentFrequency("pet") > index.inverseDocumentFrequency("bag"))
        #expect(index.inverseDocumentFrequency("unknown") > index.inverseDocumentFrequency("pet"))
        #expect(index.inverseDocumentFrequency("bag") > 0)
        let hits = index.search("can my pet come in the cabin", limit: 5)
        #expect(hits.map(\.document) == [1])
        #expect(index.search("bags", limit: 5).map(\.document).sorted() == [0, 2])
        // More occurrences score higher, with diminishing returns (k1).
        let scores = index.scores("bags")
        #expect(scores[0] > scores[2])
        #expect(scores[0] < 2 * scores[2])
        #expect(index.search("weather in peru", limit: 5).isEmpty)
    }

    @Test("a longer document scores lower for the same match (b)")
    func lengthNormalisation() {
        let index = TextIndex(documents: ["gate change", "gate change announced at the airport with many other words here"])
        let scores = index.scores("gate")
        #expect(scores[0] > scores[1])
        let flat = TextIndex(documents: ["gate change", "gate change announced at the airport with many other words here"],
                             parameters: .init(k1: 1.2, b: 0))
        #expect(flat.scores("gate")[0] == flat.scores("gate")[1])
    }
}
