import Foundation
import RealtimeProtocol
import SwitchboardData
import SwitchboardServer
import SwitchboardTesting
import Testing

/// Tools run beside the conversation: a slow tool does not hold the session up, the client can
/// cancel it, a hang-up stops it, and nothing it was writing is left half done.
@Suite("tools run concurrently with the conversation", .timeLimit(.minutes(2)))
struct ToolConcurrencyTests {
    /// A pack whose tools take as long as asked: `slow_count` counts to `n` in SQL, and
    /// `slow_write` inserts a row, then counts, in one transaction.
    private static func slowPack(filler: String) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-slow-\(UUID().uuidString)")
        let pack = root.appendingPathComponent("slow")
        let files: [String: String] = [
            "pack.yaml": "name: slow\nrouter: desk\nfiller: \(filler)\ndata: {schema: schema.sql, seed: seed.sql, customer_tables: []}\n",
            "schema.sql": "CREATE TABLE marks (id INTEGER PRIMARY KEY, note TEXT NOT NULL);\n",
            "seed.sql": "INSERT INTO marks (id, note) VALUES (1, 'seed');\n",
            "agents/desk.yaml": """
                name: desk
                role: router
                description: The desk.
                instructions: You are the desk.
                """,
            "agents/worker.yaml": """
                name: worker
                description: Counts slowly.
                instructions: You count.
                routing:
                  examples: [count slowly please, write slowly please, count to a big number]
                tools:
                  - name: slow_count
                  - name: slow_write
                """,
            "tools/slow_count.yaml": """
                name: slow_count
                description: Counts to n.
                parameters: {type: object, properties: {n: {type: integer, minimum: 1, maximum: 100000000}}, required: [n]}
                kind: sql
                timeout: 60s
                sql:
                  query: >
                    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n)
                    SELECT COUNT(*) AS total FROM c
                """,
            "tools/slow_write.yaml": """
                name: slow_write
                description: Writes a row, then counts to n, in one transaction.
                parameters: {type: object, properties: {n: {type: integer, minimum: 1, maximum: 100000000}}, required: [n]}
                kind: sql
                timeout: 60s
                sql:
                  transaction:
                    - run: "INSERT INTO marks (id, note) VALUES (2, 'written')"
                      expect: 1
                  query: >
                    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n)
                    SELECT 'written' AS outcome, COUNT(*) AS total FROM c
                """,
        ]
        for (path, text) in files {
            let url = pack.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root.path
    }

    /// The slow pack; its tools say no filler unless `filler` says otherwise.
    private func configuration(filler: String = "off") throws -> HubConfiguration {
        let packs = try Self.slowPack(filler: filler)
        return testConfiguration { $0.packsDirectory = packs }
    }

    /// Plays a model response that calls `tool` with `n`.
    private func call(_ session: ScriptedModelSession, _ tool: String, n: Int, id: String = "call_1") {
        let arguments = #"{\"n\":\#(n)}"#
        session.send(#"{"type":"response.created","event_id":"m1","response":{"id":"resp_\#(id)","status":"in_progress","output":[]}}"#)
        session.send(#"{"type":"response.output_item.added","event_id":"m2","response_id":"resp_\#(id)","output_index":0,"item":{"id":"item_\#(id)","type":"function_call","status":"in_progress","name":"\#(tool)","call_id":"\#(id)","arguments":""}}"#)
        session.send(#"{"type":"response.function_call_arguments.done","event_id":"m3","response_id":"resp_\#(id)","item_id":"item_\#(id)","output_index":0,"call_id":"\#(id)","name":"\#(tool)","arguments":"\#(arguments)"}"#)
        session.send(#"{"type":"response.done","event_id":"m4","response":{"id":"resp_\#(id)","status":"completed","output":[{"id":"item_\#(id)","type":"function_call","name":"\#(tool)","call_id":"\#(id)","arguments":"\#(arguments)"}]}}"#)
    }

    private func open(_ port: Int) async throws -> RealtimeTestClient {
        let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1")
        #expect(try await client.nextEvent().type == "hub.session.ready")
        #expect(try await client.nextEvent().type == "session.created")
        return client
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("the session answers the client while a slow tool runs; the result comes after and the model is asked to go on")
    func sessionGoesOn() async throws {
        let model = ScriptedModel()
        try await withHub(try configuration(), model: model) { port in
            let client = try await open(port)
            let session = try #require(model.lastSession)
            let before = session.types.filter { $0 == "session.update" }.count
            call(session, "slow_count", n: 10_000_000)
            // While the tool counts, the client's session update is handled and answered (the
            // model answers the hub's own update first, which the client does not see).
            try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
            try await waitUntil { session.types.filter { $0 == "session.update" }.count > before }
            for _ in 0...before {
                session.send(#"{"type":"session.updated","event_id":"m9","session":{"type":"realtime","output_modalities":["text"]}}"#)
            }
            var seen: [String] = []
            while !seen.contains("hub.tool.result") {
                seen.append(try await client.nextEvent(timeout: .seconds(60)).type)
            }
            let updated = try #require(seen.firstIndex(of: "session.updated"))
            #expect(updated < seen.firstIndex(of: "hub.tool.result")!, "\(seen)")
            try await waitUntil { session.types.contains("response.create") }
            let sent = session.events.compactMap { try? RealtimeEvent.decode($0) }
            let output = try #require(sent.first { $0["item"]?["type"] == .string("function_call_output") })
            #expect(try JSONParser.parse(output["item"]?["output"]?.stringValue ?? "")["total"] == .int(10_000_000))
            await client.close()
        }
    }

    @Test("barge-in during a slow tool: the user's speech reaches the client at once; their next request waits for the tool and goes once, after its output")
    func bargeInAndOutlivingTheTurn() async throws {
        let model = ScriptedModel()
        try await withHub(try configuration(), model: model) { port in
            let client = try await open(port)
            let session = try #require(model.lastSession)
            call(session, "slow_count", n: 10_000_000)
            // The user talks over the wait: the model's speech events reach the client while the tool counts.
            session.send(#"{"type":"input_audio_buffer.speech_started","event_id":"s1","audio_start_ms":0,"item_id":"item_u"}"#)
            #expect(try await client.nextEvent(timeout: .seconds(30)).type == "input_audio_buffer.speech_started")
            // The client asks for an answer twice before the tool is done: one request waits, for both.
            try await client.send(#"{"type":"response.create"}"#)
            try await client.send(#"{"type":"response.create"}"#)
            try await Task.sleep(for: .milliseconds(200))
            #expect(!session.types.contains("response.create"), "no response while the tool runs")
            #expect(try await client.nextEvent(timeout: .seconds(60)).type == "hub.tool.result")
            try await waitUntil { session.types.contains("response.create") }
            let types = session.types
            #expect(types.filter { $0 == "response.create" }.count == 1, "\(types)")
            let output = try #require(types.lastIndex(of: "conversation.item.create"))
            #expect(types.lastIndex(of: "response.create")! > output, "asked for after the tool's output")
            await client.close()
        }
    }

    @Test("a slow tool's filler is said out of band while it runs; the answer is asked for once the filler and the tool are done")
    func filler() async throws {
        let model = ScriptedModel()
        try await withHub(try configuration(filler: "{say: Still counting., after: 100ms}"), model: model) { port in
            let client = try await open(port)
            let session = try #require(model.lastSession)
            // A caller's session: the answers are spoken (a text-only client gets no filler).
            try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["audio"]}}"#)
            try await waitUntil { session.types.filter { $0 == "session.update" }.count == 2 }
            for _ in 0..<2 {
                session.send(#"{"type":"session.updated","event_id":"m9","session":{"type":"realtime","output_modalities":["audio"]}}"#)
            }
            #expect(try await client.nextEvent(timeout: .seconds(60)).type == "session.updated")
            call(session, "slow_count", n: 10_000_000)
            try await waitUntil { session.types.contains("response.create") }
            let sent = session.events.compactMap { try? RealtimeEvent.decode($0) }
            let request = try #require(sent.first { $0.type == "response.create" })
            #expect(request["response"]?["conversation"] == .string("none"))
            #expect(SpokenVerbatim.sentence(in: request["response"]?["instructions"]?.stringValue ?? "") == "Still counting.")
            #expect(request["response"]?["metadata"]?["call_id"] == .string("call_1"))
            #expect(!session.types.contains("conversation.item.create"), "the filler comes while the tool runs")
            // The model says it; the client sees the response.
            session.send(#"{"type":"response.created","event_id":"f1","response":{"id":"resp_f","conversation_id":null,"status":"in_progress","output":[]}}"#)
            session.send(#"{"type":"response.output_item.added","event_id":"f2","response_id":"resp_f","output_index":0,"item":{"id":"item_f","type":"message","role":"assistant","content":[]}}"#)
            session.send(#"{"type":"response.done","event_id":"f3","response":{"id":"resp_f","conversation_id":null,"status":"completed","output":[{"id":"item_f","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"Still counting."}]}]}}"#)
            var seen: [RealtimeEvent] = []
            while !seen.contains(where: { $0.type == "hub.tool.result" }) {
                seen.append(try await client.nextEvent(timeout: .seconds(90)))
            }
            #expect(Array(seen.map(\.type).prefix(3)) == ["response.created", "response.output_item.added", "response.done"], "\(seen.map(\.type))")
            #expect(seen.first?["response"]?["id"] == .string("resp_f"))
            try await waitUntil { session.types.filter { $0 == "response.create" }.count == 2 }
            let types = session.types
            #expect(types.filter { $0 == "response.create" }.count == 2, "\(types)")
            #expect(types.lastIndex(of: "response.create")! > types.lastIndex(of: "conversation.item.create")!, "the follow-up after the output")
            await client.close()
        }
    }

    @Test("response.cancel stops a running tool at once: outcome cancelled, no follow-up response, the session goes on")
    func cancel() async throws {
        let model = ScriptedModel()
        try await withHub(try configuration(), model: model) { port in
            let client = try await open(port)
            let session = try #require(model.lastSession)
            call(session, "slow_count", n: 100_000_000)
            // The model's call and the client's cancel reach the session by different paths:
            // cancel until the call is seen running (a cancel before it only goes to the model).
            let result: RealtimeEvent? = try await withThrowingTaskGroup(of: RealtimeEvent?.self) { group -> RealtimeEvent? in
                group.addTask {
                    while !Task.isCancelled {
                        try await client.send(#"{"type":"response.cancel"}"#)
                        try await Task.sleep(for: .milliseconds(300))
                    }
                    return nil
                }
                group.addTask { try await client.nextEvent(timeout: .seconds(60)) }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let next { return next }
                }
                return nil
            }
            #expect(result?.type == "hub.tool.result")
            #expect(result?["outcome"] == .string("cancelled"))
            try await Task.sleep(for: .milliseconds(300))
            let types = session.types
            #expect(types.contains("response.cancel"))
            #expect(!types.contains("response.create"), "\(types)")
            let sent = session.events.compactMap { try? RealtimeEvent.decode($0) }
            let output = try #require(sent.first { $0["item"]?["type"] == .string("function_call_output") })
            #expect(try JSONParser.parse(output["item"]?["output"]?.stringValue ?? "")["outcome"] == .string("cancelled"))
            // The session goes on: another call runs and answers.
            call(session, "slow_count", n: 10, id: "call_2")
            let next = try await client.nextEvent(timeout: .seconds(10))
            #expect(next["outcome"] == .string("found"))
            await client.close()
        }
    }

    @Test("a hang-up during a slow write stops it and rolls it back; the hub serves the next session")
    func hangUp() async throws {
        let model = ScriptedModel()
        let configuration = try configuration()
        try await withHub(configuration, model: model) { port in
            let client = try await open(port)
            let session = try #require(model.lastSession)
            call(session, "slow_write", n: 100_000_000)
            try await Task.sleep(for: .milliseconds(300))
            await client.close()
            try await waitUntil { session.isClosed }
            #expect(session.isClosed)
            // The next session runs a tool on the same data at once: the write was stopped.
            let second = try await open(port)
            let next = try #require(model.lastSession)
            call(next, "slow_count", n: 10, id: "call_2")
            let result = try await second.nextEvent(timeout: .seconds(10))
            #expect(result["outcome"] == .string("found"))
            await second.close()
            let data = try await openTestData(configuration)
            #expect(try await data.rows("SELECT note FROM marks ORDER BY id").map { $0["note"] } == [.text("seed")])
            await data.shutdown()
        }
    }
}
