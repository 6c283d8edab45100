import SwitchboardAgents
import Testing

@Suite("knowledge base")
struct KnowledgeBaseTests {
    @Test("the repository's knowledge finds the checked-bags section")
    func baggage() throws {
        let knowledge = try KnowledgeBase.load(directory: Repository.knowledge)
        #expect(knowledge.domains == ["flight", "hotel"])
        let hits = knowledge.search("how many bags can I check", domain: "flight", limit: 3)
        let first = try #require(hits.first)
        #expect(first.source == "flight/baggage.md")
        #expect(first.title == "Checked bags")
        #expect(first.text.contains("Economy fares include one checked bag"))
        #expect(hits.allSatisfy { $0.source.hasPrefix("flight/") })
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
    }

    @Test("an unrelated question finds nothing")
    func unrelated() throws {
        let knowledge = try KnowledgeBase.load(directory: Repository.knowledge)
        #expect(knowledge.search("what is the capital of peru", domain: nil, limit: 3).isEmpty)
        #expect(knowledge.search("", domain: nil, limit: 3).isEmpty)
    }

    @Test("the domain filter keeps to one folder")
    func domains() throws {
        let knowledge = try KnowledgeBase.load(directory: Repository.knowledge)
        let hotel = knowledge.search("can I bring my dog", domain: "hotel", limit: 2)
        #expect(!hotel.isEmpty)
        #expect(hotel.allSatisfy { $0.source == "hotel/pets.md" })
        #expect(knowledge.search("what time is breakfast", domain: "hotel", limit: 1).first?.source == "hotel/breakfast.md")
        #expect(knowledge.search("what time is breakfast", domain: "flight", limit: 1).isEmpty)
        #expect(knowledge.search("change fee for a basic fare", domain: "flight", limit: 1).first?.title == "Change fees by fare class")
    }

    @Test("documents are cut by heading, long sections by paragraph, markdown removed")
    func chunking() {
        let long = (1...4).map { "Paragraph \($0) " + String(repeating: "word ", count: 50) }.joined(separator: "\n\n")
        var knowledge = KnowledgeBase(documents: [
            ("demo/guide.md", "# Guide\n\n## Parking\n\n- **Valet** parking costs `55.00` USD.\n- Self parking is free.\n\n## Long\n\n\(long)\n"),
        ])
        #expect(knowledge.chunks.map(\.title) == ["Parking", "Long", "Long"])
        #expect(knowledge.chunks[0].text == "Valet parking costs 55.00 USD. Self parking is free.")
        #expect(knowledge.chunks[0].documentTitle == "Guide")
        #expect(knowledge.chunks[1].text.hasPrefix("Paragraph 1"))
        #expect(knowledge.chunks[2].text.hasPrefix("Paragraph 3"))
        knowledge.minimumScore = 0  // three tiny chunks: every score is small
        let hit = knowledge.search("valet parking price", domain: "demo", limit: 1).first
        #expect(hit != nil)
        #expect(hit == KnowledgeHit(source: "demo/guide.md", title: "Parking", text: knowledge.chunks[0].text, score: hit?.score ?? 0))
    }

    @Test("a missing directory is an empty knowledge base")
    func missing() throws {
        let knowledge = try KnowledgeBase.load(directory: "/nonexistent/knowledge")
        #expect(knowledge.chunks.isEmpty)
        #expect(knowledge.search("bags", domain: nil, limit: 3).isEmpty)
    }
}
