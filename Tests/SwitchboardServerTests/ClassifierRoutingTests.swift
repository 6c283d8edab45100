import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

/// An OpenAI-compatible chat-completions endpoint for the router to ask: a stand-in for a cloud
/// model, which cannot run here. It records the utterances it was asked about.
private final class FakeChatModel: Sendable {
    let asked = NIOLockedValueBox<[String]>([])
    let answer: @Sendable (String) -> (status: Int, content: String)

    init(answer: @escaping @Sendable (String) -> (status: Int, content: String)) {
        self.answer = answer
    }

    func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/chat/completions") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let json = try JSONParser.parse(Array(bytes.readableBytesView))
            let utterance = json["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            self.asked.withLockedValue { $0.append(utterance) }
            let (status, content) = self.answer(utterance)
            let reply = JSONValue.object(JSONObject([
                ("id", .string("chatcmpl-test")), ("object", .string("chat.completion")),
                ("choices", .array([.object(JSONObject([
                    ("index", .int(0)), ("finish_reason", .string("stop")),
                    ("message", .object(JSONObject([("role", .string("assistant")), ("content", .string(content))]))),
                ]))])),
            ]))
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: reply.jsonString)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.chat-model")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ServerDidNotStart() }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }
}

private func turn(_ client: RealtimeTestClient, _ text: String) async throws -> [RealtimeEvent] {
    try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
    try await client.send(#"{"type":"response.create"}"#)
    return try await client.events(until: "response.done")
}

@Suite("routing through a chat-completions classifier", .timeLimit(.minutes(1)))
struct ClassifierRoutingTests {
    private func session(_ port: Int) async throws -> RealtimeTestClient {
        let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1")
        _ = try await client.events(until: "session.created")
        try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        _ = try await client.events(until: "session.updated")
        return client
    }

    @Test("the classifier's choice wins over the offline router; neutral turns are not sent to it")
    func classifierDecides() async throws {
        // An utterance the offline router sends nowhere; the model knows it is about a stay.
        let model = FakeChatModel { _ in (200, #"{"agent":"hotel"}"#) }
        try await model.run { chatPort in
            let configuration = testConfiguration {
                $0.routerURL = "http://127.0.0.1:\(chatPort)/v1"
                $0.routerModel = "test-router"
                // Generous: under a loaded test run the stand-in answers late, and a timeout hands the turn to the offline router.
                $0.routerTimeout = .seconds(20)
            }
            try await withHub(configuration) { port in
                let client = try await session(port)
                let events = try await turn(client, "Something is wrong with where I am sleeping next week")
                let switched = try #require(events.first { $0.type == "hub.agent.switched" })
                #expect(switched["to"] == .string("hotel"))
                #expect(switched["reason"] == .string("classifier: test-router"))
                let neutral = try await turn(client, "yes")
                #expect(!neutral.contains { $0.type == "hub.agent.switched" })
                #expect(model.asked.withLockedValue { $0 } == ["Something is wrong with where I am sleeping next week"])
                await client.close()
            }
        }
    }

    @Test("a classifier that fails or names no agent leaves the decision to the offline router")
    func classifierFails() async throws {
        let model = FakeChatModel { utterance in
            utterance.contains("SB204") ? (500, "overloaded") : (200, #"{"agent":"weather"}"#)
        }
        try await model.run { chatPort in
            let configuration = testConfiguration { $0.routerURL = "http://127.0.0.1:\(chatPort)/v1" }
            try await withHub(configuration) { port in
                let client = try await session(port)
                let first = try await turn(client, "Is flight SB204 on time tomorrow?")
                let switched = try #require(first.first { $0.type == "hub.agent.switched" })
                #expect(switched["to"] == .string("flight"))
                #expect(switched["reason"]?.stringValue?.hasPrefix("classifier") == false)
                let second = try await turn(client, "What is the status of my hotel reservation H204518?")
                #expect(second.first { $0.type == "hub.agent.switched" }?["to"] == .string("hotel"))
                #expect(model.asked.withLockedValue { $0.count } == 2)
                await client.close()
            }
        }
    }

    @Test("an unreachable classifier: the offline router decides within the timeout")
    func classifierUnreachable() async throws {
        let configuration = testConfiguration {
            $0.routerURL = "http://127.0.0.1:9/v1"
            $0.routerTimeout = .milliseconds(500)
        }
        try await withHub(configuration) { port in
            let client = try await session(port)
            let events = try await turn(client, "Is flight SB204 on time tomorrow?")
            #expect(events.first { $0.type == "hub.agent.switched" }?["to"] == .string("flight"))
            #expect(events.last?["response"]?["status"] == .string("completed"))
            await client.close()
        }
    }
}
