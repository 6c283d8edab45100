import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

/// A `kind: knowledge` tool: the best sections of the pack's policy and FAQ documents (one
/// folder of `knowledge/`, or all of it) for the model's `query`.
public struct KnowledgeTool: Tool {
    public let spec: ToolSpec
    public let knowledge: KnowledgeBase
    /// The folder searched; every document when `nil`.
    public let folder: String?
    /// How many sections to return at most.
    public var limit: Int

    public init(definition: ToolDefinition, knowledge: KnowledgeBase, folder: String?, limit: Int = 3) {
        self.spec = ToolSpec(name: definition.name, description: definition.description, parameters: definition.parameters)
        self.knowledge = knowledge
        self.folder = folder
        self.limit = limit
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let query = try arguments.string("query")
        let hits = knowledge.search(query, domain: folder, limit: limit)
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
