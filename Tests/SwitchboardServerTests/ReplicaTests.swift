import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

/// Two hubs sharing one real redis-server (and one business database), as replicas behind a load
/// balancer: a conversation continues on whichever replica the next connection reaches.
@Suite("replicas sharing Redis", .timeLimit(.minutes(2)))
struct ReplicaTests {
    /// A replica's configuration: the shared Redis and business data, its own name.
    private func replica(_ name: String, redis: RedisTestServer, data: String) -> HubConfiguration {
        testConfiguration {
            $0.sessions = "redis://127.0.0.1:\(redis.port)"
            $0.secretKey = "replica-test-secret-key-0123456789"
            $0.sessionsPrefix = "test-\(UUID().uuidString.prefix(8)):"
            $0.replicaID = name
            $0.data = data
            $0.leaseTTL = .seconds(3)
        }
    }

    private func withTwoReplicas(_ body: @Sendable (_ a: Int, _ b: Int, _ redis: RedisTestServer) async throws -> Void) async throws {
        try await withRedisServer { redis in
            let data = testConfiguration().data
            var a = replica("replica-a", redis: redis, data: data)
            var b = replica("replica-b", redis: redis, data: data)
            b.sessionsPrefix = a.sessionsPrefix
            a.takeoverTimeout = .seconds(2)
            b.takeoverTimeout = .seconds(2)
            let (first, second) = (a, b)
            try await withHub(first) { portA in
                try await withHub(second) { portB in
                    try await body(portA, portB, redis)
                }
            }
        }
    }

    private func say(_ client: RealtimeTestClient, _ text: String) async throws -> [RealtimeEvent] {
        try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
        try await client.send(#"{"type":"response.create"}"#)
        return try await client.events(until: "response.done")
    }

    private func open(_ port: Int, key: String) async throws -> (RealtimeTestClient, RealtimeEvent) {
        let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
        let ready = try await client.nextEvent()
        #expect(ready.type == "hub.session.ready")
        _ = try await client.events(until: "session.created")
        try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        _ = try await client.events(until: "session.updated")
        return (client, ready)
    }

    @Test("a conversation started on one replica resumes on the other with its agent and history")
    func resumeElsewhere() async throws {
        try await withTwoReplicas { a, b, _ in
            let key = UUID().uuidString
            let (first, fresh) = try await open(a, key: key)
            #expect(fresh["resumed"] == .bool(false))
            _ = try await say(first, "Is flight SB204 on time tomorrow?")
            await first.close()

            let (second, ready) = try await open(b, key: key)
            #expect(ready["resumed"] == .bool(true))
            #expect(ready["agent"] == .string("flight"))
            #expect(ready["history"]?.arrayValue?.first?["user"] == .string("Is flight SB204 on time tomorrow?"))
            // The flight agent answers on the new replica without a handover.
            let next = try await say(second, "and is SB311 on time tomorrow?")
            #expect(!next.contains { $0.type == "hub.agent.switched" })
            #expect(next.first { $0.type == "hub.tool.result" }?["tool"] == .string("check_flight_status"))
            await second.close()
        }
    }

    @Test("a second connection on the other replica takes the session over; the first saves its last words and closes")
    func takeoverAcrossReplicas() async throws {
        try await withTwoReplicas { a, b, _ in
            let key = UUID().uuidString
            let (first, _) = try await open(a, key: key)
            _ = try await say(first, "Is flight SB204 on time tomorrow?")
            try await first.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"one more thing"}]}}"#)
            _ = try await first.events(until: "conversation.item.added")

            let (second, ready) = try await open(b, key: key)
            #expect(try await first.events(until: "hub.session.taken_over").last?.type == "hub.session.taken_over")
            #expect(try await first.closeFrame().code == 4000)
            let users = ready["history"]?.arrayValue?.compactMap { $0["user"]?.stringValue } ?? []
            #expect(users == ["Is flight SB204 on time tomorrow?", "one more thing"])
            await second.close()
        }
    }

    @Test("Redis lost mid-session: the conversation goes on, and its state is written once Redis is back")
    func redisLost() async throws {
        try await withTwoReplicas { a, b, redis in
            let key = UUID().uuidString
            let (client, _) = try await open(a, key: key)
            _ = try await say(client, "Is flight SB204 on time tomorrow?")
            await redis.kill()
            let during = try await say(client, "What is the status of my hotel reservation H204518?")
            #expect(during.last?["response"]?["status"] == .string("completed"))
            #expect(during.first { $0.type == "hub.agent.switched" }?["to"] == .string("hotel"))
            try await redis.restart()
            // The replica says it is ready again once its Redis answers.
            for _ in 0..<100 {
                if try await httpStatus(port: a, path: "/readyz") == 200 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            // Redis came back empty (no persistence here): the session's next save writes all it
            // holds, the turn saved while Redis was down included.
            _ = try await say(client, "thanks")
            await client.close()
            let (other, ready) = try await open(b, key: key)
            #expect(ready["resumed"] == .bool(true))
            #expect(ready["agent"] == .string("hotel"))
            let users = ready["history"]?.arrayValue?.compactMap { $0["user"]?.stringValue } ?? []
            #expect(users.contains("What is the status of my hotel reservation H204518?"))
            await other.close()
        }
    }
}

@Suite("a replica whose Redis is down", .timeLimit(.minutes(1)))
struct RedisDownTests {
    @Test("refuses to start, saying which Redis it cannot reach")
    func refusesToStart() async throws {
        let port = try Sockets.freePort()
        let configuration = testConfiguration {
            $0.sessions = "redis://127.0.0.1:\(port)"
            $0.secretKey = "replica-test-secret-key-0123456789"
        }
        do {
            try await withHub(configuration) { _ in }
            Issue.record("the hub started without its Redis")
        } catch {
            #expect("\(error)".contains("cannot reach Redis at 127.0.0.1:\(port)"))
        }
    }
}

/// The HTTP status of a GET on the hub.
func httpStatus(port: Int, path: String) async throws -> Int {
    let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    _ = data
    return (response as? HTTPURLResponse)?.statusCode ?? 0
}
