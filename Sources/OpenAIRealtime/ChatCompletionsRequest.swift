import Foundation
import RealtimeProtocol
import SwitchboardCore

/// One chat-completions request to an OpenAI-compatible endpoint: the key both ways OpenAI and
/// Azure take it, and the first choice's message content out. An error status is thrown with the
/// key scrubbed from the quoted answer.
enum ChatCompletionsRequest {
    static func content(endpoint: URL, apiKey: String?, body: [UInt8], timeout: Duration, client: HTTPJSONClient) async throws -> String {
        var headers: [(String, String)] = []
        if let apiKey {
            headers.append(("Authorization", "Bearer \(apiKey)"))
            headers.append(("api-key", apiKey))
        }
        let response = try await client.post(endpoint, headers: headers, body: body, timeout: timeout)
        guard response.status == 200 else {
            // The answer may quote the request (a key in an error message): never pass the key on.
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw HTTPJSONClient.Failure(description: "status \(response.status): \(Redacted.scrub(text, secrets: apiKey.map { [$0] } ?? []))")
        }
        let answer = try JSONParser.parse(response.body)
        guard let content = answer["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue else {
            throw HTTPJSONClient.Failure(description: "no choices[0].message.content in the answer")
        }
        return content
    }
}
