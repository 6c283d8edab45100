import Foundation
import RealtimeProtocol
import SwitchboardCore
import SwitchboardServer
import SwitchboardTesting
import Testing

@Suite("/realtime end to end over loopback WebSockets", .timeLimit(.minutes(1)))
struct RealtimeEndpointTests {
    @Test("a text turn with the local model, GA dialect")
    func gaTextTurn() async throws {
        try await withHub { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?model=gpt-realtime")
            #expect(SessionKey(client.sessionKeyHeader ?? "") != nil)
            for event in textTurn { try await client.send(event) }
            let events = try await client.events(until: "response.done")
            #expect(events.first?.type == "session.created")
            #expect(events.first?["session"]?["model"]?.stringValue == "gpt-realtime")
            let deltas = events.filter { $0.type == "response.output_text.delta" }.compactMap { $0["delta"]?.stringValue }.joined()
            let done = events.first { $0.type == "response.output_text.done" }?["text"]?.stringValue
            #expect(!deltas.isEmpty)
            #expect(done == deltas)
            #expect(deltas.contains("I can help with"))
            #expect(events.last?["response"]?["status"]?.stringValue == "completed")
            #expect(!events.contains { $0.type.hasPrefix("hub.") })
            await client.close()
        }
    }

    @Test("a beta client is answered in beta names")
    func betaTextTurn() async throws {
        try await withHub { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/realtime?model=gpt-4o-realtime-preview",
                                                              headers: [("OpenAI-Beta", "realtime=v1")])
            try await client.send(#"{"type":"session.update","session":{"modalities":["text"]}}"#)
            try await client.send(textTurn[1])
            try await client.send(textTurn[2])
            let events = try await client.events(until: "response.done")
            let types = Set(events.map(\.type))
            #expect(types.contains("response.text.delta"))
            #expect(types.contains("conversation.item.created"))
            #expect(!types.contains("response.output_text.delta"))
            #expect(!types.contains("conversation.item.added"))
            await client.close()
        }
    }

    @Test("through model-server and the WebSocket model adapter")
    func throughModelServer() async throws {
        try await withModelServer { modelPort in
            let configuration = testConfiguration { $0.model = "ws://127.0.0.1:\(modelPort)/v1/realtime" }
            try await withHub(configuration) { port in
                let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?model=gpt-realtime")
                for event in textTurn { try await client.send(event) }
                let events = try await client.events(until: "response.done")
                #expect(events.first?.type == "session.created")
                #expect(events.contains { $0.type == "response.output_text.done" })
                await client.close()
            }
        }
    }

    @Test("hub events only on opt-in, and a session resumes with its history")
    func hubEventsAndResume() async throws {
        try await withHub { port in
            let first = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1")
            let ready = try await first.nextEvent()
            #expect(ready.type == "hub.session.ready")
            #expect(ready["resumed"]?.boolValue == false)
            let key = try #require(ready["session_key"]?.stringValue)
            #expect(first.sessionKeyHeader == key)
            for event in textTurn { try await first.send(event) }
            _ = try await first.events(until: "response.done")
            await first.close()

            // The save happens as the turn ends; give the driver a moment.
            var resumedEvent: RealtimeEvent? = nil
            for _ in 0..<50 {
                let again = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
                let event = try await again.nextEvent()
                await again.close()
                if event["resumed"]?.boolValue == true { resumedEvent = event; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let resumed = try #require(resumedEvent)
            let history = try #require(resumed["history"]?.arrayValue)
            #expect(history.count == 1)
            #expect(history.first?["user"]?.stringValue == "Hello, what can you help me with?")
            #expect(history.first?["assistant"]?.stringValue?.contains("I can help with") == true)
        }
    }

    @Test("the history keeps the last N turns")
    func historyIsTruncated() async throws {
        let store = MemorySessionStore()
        let key = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
        try await withHub(testConfiguration { $0.historyTurns = 2 }, store: store) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            try await client.send(textTurn[0])
            for word in ["one", "two", "three"] {
                try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(word)"}]}}"#)
                try await client.send(textTurn[2])
                _ = try await client.events(until: "response.done")
            }
            await client.close()
        }
        var saved: SessionState? = nil
        for _ in 0..<50 {
            saved = try await store.load(key)
            if saved?.history.count == 2, saved?.history.last?.user == "three" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(saved?.history.map(\.user) == ["two", "three"])
    }
}
