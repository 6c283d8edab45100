import RealtimeProtocol
import SwitchboardCore
import SwitchboardAgents
import SwitchboardTools
import Testing

@Suite("Knowledge tools")
struct KnowledgeToolsTests {
    private let registry = ToolRegistry(tools: [
        SearchKnowledgeBaseTool(knowledge: Fixture.knowledge, domain: "flight", topics: "baggage, changes"),
        SearchKnowledgeBaseTool(knowledge: Fixture.knowledge, domain: "hotel", topics: "policies"),
    ])

    @Test("a search finds the best section of its domain, with sources")
    func found() async throws {
        let call = try await registry.call("search_flight_knowledgebase", #"{"query":"how many checked bags are included"}"#)
        #expect(call.outcome == "found")
        #expect(call["query"] == .string("how many checked bags are included"))
        let results = try #require(call["results"]?.arrayValue)
        let best = try #require(results.first)
        #expect(best["title"] == .string("Checked bags"))
        #expect(best["source"] == .string("flight/baggage.md"))
        #expect(call["answer"] == best["text"])
        #expect(call["answer"]?.stringValue?.contains("23 kilograms") == true)
        #expect((best["score"]?.doubleValue ?? 0) > 0)
        #expect(results.allSatisfy { $0["source"]?.stringValue?.hasPrefix("flight/") == true })
        #expect(call.result.sources.first == .object(["source": .string("flight/baggage.md"), "title": .string("Checked bags")]))
    }

    @Test("each search stays in its domain")
    func domains() async throws {
        let hotel = try await registry.call("search_hotel_knowledgebase", #"{"query":"can I bring my dog, pets policy"}"#)
        #expect(hotel.outcome == "found")
        #expect(hotel["results"]?.arrayValue?.first?["source"] == .string("hotel/policies.md"))
        let flight = try await registry.call("search_flight_knowledgebase", #"{"query":"can I bring my dog, pets policy"}"#)
        #expect(flight.output == ["outcome": .string("not_found"), "query": .string("can I bring my dog, pets policy")])
        #expect(flight.result.sources.isEmpty)
    }

    @Test("an empty query is refused by the schema")
    func emptyQuery() async throws {
        let call = try await registry.call("search_hotel_knowledgebase", #"{"query":""}"#)
        #expect(call.errorCode == "invalid_arguments")
        #expect(call.errorMessage == "query: must not be empty")
    }
}
