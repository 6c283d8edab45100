import Foundation
import Logging
import RealtimeProtocol
import SwitchboardCore

/// Routes utterances with a language model behind any OpenAI-compatible chat-completions
/// endpoint (OpenAI, Azure OpenAI's v1 API, a local server). The model is shown each agent's
/// name, description and a few examples, and answers `{"agent": NAME}`. Any failure (no answer
/// in time, an error status, an answer naming no agent) returns `nil`: the offline router decides.
public struct ChatCompletionsClassifier: UtteranceClassifier {
    /// One agent as the classifier describes it to the model.
    public struct Agent: Sendable {
        public var name: String
        public var description: String
        public var examples: [String]
        public init(name: String, description: String, examples: [String]) {
            self.name = name
            self.description = description
            self.examples = examples
        }
    }

    public let endpoint: URL
    public let model: String
    public let apiKey: String?
    public let agents: [Agent]
    public let timeout: Duration
    /// Utterances that carry no content ("yes", "thanks", a date) are not sent to the model.
    public let hasContent: @Sendable (String) -> Bool
    let client: HTTPJSONClient
    let logger: Logger

    /// `baseURL` is the API base (`https://api.openai.com/v1`); requests go to `baseURL/chat/completions`.
    public init(baseURL: URL, model: String, apiKey: String?, agents: [Agent], timeout: Duration = .milliseconds(1500),
                hasContent: @escaping @Sendable (String) -> Bool, client: HTTPJSONClient = HTTPJSONClient(), logger: Logger) {
        self.endpoint = baseURL.appendingPathComponent("chat").appendingPathComponent("completions")
        self.model = model
        self.apiKey = apiKey
        self.agents = agents
        self.timeout = timeout
        self.hasContent = hasContent
        self.client = client
        self.logger = logger
    }

    public func classify(_ utterance: String, current: String) async -> RouteChoice? {
        guard hasContent(utterance) else { return nil }
        do {
            let name = try await ask(utterance, current: current)
            guard agents.contains(where: { $0.name == name }) else {
                logger.warning("the routing model named no known agent; the offline router decides", metadata: ["router.answer": "\(name)"])
                return nil
            }
            return RouteChoice(agent: name, reason: "classifier: \(model)")
        } catch {
            logger.warning("the routing model did not answer; the offline router decides", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The request body: a system prompt listing the agents, the utterance as the user message.
    func requestBody(_ utterance: String, current: String) -> [UInt8] {
        var prompt = """
        You route a caller's utterance to the agent that should answer it. The caller is talking to the \(current) agent now. \
        Answer with a JSON object {"agent": NAME} where NAME is one of the agents below. If the utterance continues the \
        current topic or fits no agent better, answer the current agent.
        Agents:
        """
        for agent in agents {
            prompt += "\n- \(agent.name): \(agent.description)"
            if !agent.examples.isEmpty { prompt += " Examples: " + agent.examples.prefix(5).map { "\"\($0)\"" }.joined(separator: "; ") }
        }
        let body = JSONValue.object(JSONObject([
            ("model", .string(model)),
            ("temperature", .int(0)),
            ("response_format", .object(["type": .string("json_object")])),
            ("messages", .array([
                .object(JSONObject([("role", .string("system")), ("content", .string(prompt))])),
                .object(JSONObject([("role", .string("user")), ("content", .string(utterance))])),
            ])),
        ]))
        return Array(body.jsonString.utf8)
    }

    private func ask(_ utterance: String, current: String) async throws -> String {
        let content = try await ChatCompletionsRequest.content(endpoint: endpoint, apiKey: apiKey, body: requestBody(utterance, current: current),
                                                               timeout: timeout, client: client)
        // The content is JSON ({"agent": …}); a bare name is accepted too.
        if let parsed = try? JSONParser.parse(content), let name = parsed["agent"]?.stringValue {
            return name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        }
        return content.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\"'."))).lowercased()
    }
}
