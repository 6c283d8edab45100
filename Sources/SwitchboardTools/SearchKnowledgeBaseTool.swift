import RealtimeProtocol
import SwitchboardAgents

/// `search_flight_knowledgebase` / `search_hotel_knowledgebase`: the best sections of one
/// domain's policy and FAQ documents for a question.
public struct SearchKnowledgeBaseTool: Tool {
    public let knowledge: KnowledgeBase
    /// The documents' domain: `flight`, `hotel`.
    public let domain: String
    /// How many sections to return at most.
    public var limit: Int
    public let spec: ToolSpec

    /// A search of `domain`'s documents, named `search_<domain>_knowledgebase`.
    public init(knowledge: KnowledgeBase, domain: String, topics: String, limit: Int = 3) {
        self.knowledge = knowledge
        self.domain = domain
        self.limit = limit
        self.spec = ToolSpec(
            name: "search_\(domain)_knowledgebase",
            description: """
                Searches the \(domain) policy and FAQ documents (\(topics)) and returns the best matching \
                sections, best first; `answer` is the best section's text. Answer only from the returned text; \
                when the outcome is not_found, say you do not know.
                """,
            parameters: JSONSchema.object([
                ("query", JSONSchema.string(
                    "The caller's question or its key words, for example \"how many bags can I check\".",
                    minLength: 1, maxLength: 500
                )),
            ], required: ["query"])
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let query = try arguments.string("query")
        let hits = knowledge.search(query, domain: domain, limit: limit)
        guard let best = hits.first else { return ToolResult(outcome: "not_found", fields: ["query": .string(query)]) }
        let results = hits.map { hit -> JSONValue in
            .object([
                "title": .string(hit.title),
                "source": .string(hit.source),
                "text": .string(hit.text),
                "score": .double((hit.score * 1000).rounded() / 1000),
            ])
        }
        return ToolResult(
            outcome: "found",
            fields: ["query": .string(query), "answer": .string(best.text), "results": .array(results)],
            sources: hits.map { .object(["source": .string($0.source), "title": .string($0.title)]) }
        )
    }
}
