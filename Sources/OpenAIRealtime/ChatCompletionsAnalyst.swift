import Foundation
import Logging
import RealtimeProtocol
import SwitchboardCore

/// Post-call analysis by a language model behind any OpenAI-compatible chat-completions endpoint
/// (OpenAI, Azure OpenAI's v1 API, a local server such as llama.cpp's or Ollama's): the model
/// reads the call's transcript and tool calls and answers, as one JSON object, a summary and
/// each field the pack's analysis plan declares (typed: text, number, boolean, or one of an
/// enum's values). The caller checks the answer's types; this client only asks and reads.
public struct ChatCompletionsAnalyst: Sendable {
    /// One field the model is asked to fill.
    public struct Field: Sendable {
        public var name: String
        /// `text`, `number`, `boolean` or `enum`.
        public var kind: String
        public var description: String
        /// An enum field's values.
        public var values: [String]
        public init(name: String, kind: String, description: String, values: [String] = []) {
            self.name = name
            self.kind = kind
            self.description = description
            self.values = values
        }
    }

    /// What the model answered: the summary (when asked) and the fields as it wrote them.
    public struct Answer: Sendable {
        public var summary: String?
        public var fields: JSONObject
    }

    public let endpoint: URL
    public let model: String
    public let apiKey: String?
    public let timeout: Duration
    let client: HTTPJSONClient

    /// The transcript and tool results sent are cut to this many characters.
    public static let maximumInput = 24_000

    /// `baseURL` is the API base (`https://api.openai.com/v1`); requests go to `baseURL/chat/completions`.
    public init(baseURL: URL, model: String, apiKey: String?, timeout: Duration = .seconds(30), client: HTTPJSONClient = HTTPJSONClient()) {
        self.endpoint = baseURL.appendingPathComponent("chat").appendingPathComponent("completions")
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    /// The request body: instructions with the fields, the call as the user message.
    public func requestBody(call: String, fields: [Field], summary: Bool) -> [UInt8] {
        var prompt = """
        You analyse a finished phone call between a caller and a business's voice agent. Answer with one JSON object \
        {\(summary ? "\"summary\": TEXT, " : "")"fields": {NAME: VALUE, ...}} and nothing else.
        """
        if summary { prompt += "\nsummary: two or three sentences on what the caller wanted, what the agent did and how the call ended." }
        if !fields.isEmpty {
            prompt += "\nFields (use null when the call does not tell):"
            for field in fields {
                var line = "\n- \(field.name) (\(field.kind)): \(field.description)"
                if field.kind == "enum" { line += " One of: " + field.values.map { "\"\($0)\"" }.joined(separator: ", ") + "." }
                prompt += line
            }
        }
        let body = JSONValue.object(JSONObject([
            ("model", .string(model)),
            ("temperature", .int(0)),
            ("response_format", .object(["type": .string("json_object")])),
            ("messages", .array([
                .object(JSONObject([("role", .string("system")), ("content", .string(prompt))])),
                .object(JSONObject([("role", .string("user")), ("content", .string(String(call.prefix(Self.maximumInput))))])),
            ])),
        ]))
        return Array(body.jsonString.utf8)
    }

    /// Asks the model; throws when it does not answer in time, answers an error status, or
    /// answers something that is not a JSON object with `fields`.
    public func analyze(call: String, fields: [Field], summary: Bool) async throws -> Answer {
        let content = try await ChatCompletionsRequest.content(endpoint: endpoint, apiKey: apiKey, body: requestBody(call: call, fields: fields, summary: summary),
                                                               timeout: timeout, client: client)
        guard let object = (try? JSONParser.parse(content))?.objectValue else {
            throw HTTPJSONClient.Failure(description: "the answer is not a JSON object")
        }
        guard let fields = object["fields"]?.objectValue ?? (fields.isEmpty ? JSONObject() : nil) else {
            throw HTTPJSONClient.Failure(description: "the answer has no 'fields' object")
        }
        return Answer(summary: object["summary"]?.stringValue, fields: fields)
    }
}
