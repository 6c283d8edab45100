import Foundation
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

@Suite("the history a resuming client gets", .timeLimit(.minutes(2)))
struct HistoryResumeTests {
    @Test("a text turn with a tool: the next connection's hub.session.ready lists the tool and its sources")
    func sourcesInHistory() async throws {
        try await withHub { port in
            let key = UUID().uuidString
            let uri = "/v1/realtime?hub_events=1&session_state_key=\(key)"
            let client = try await RealtimeTestClient.connect(port: port, uri: uri)
            #expect(try await client.nextEvent().type == "hub.session.ready")
            #expect(try await client.nextEvent().type == "session.created")
            try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
            #expect(try await client.nextEvent().type == "session.updated")
            try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"How many checked bags can I bring on my flight?"}]}}"#)
            try await client.send(#"{"type":"response.create"}"#)
            let events = try await client.events(until: "response.done")
            let live = try #require(events.first { $0.type == "hub.tool.result" })
            let liveSources = try #require(live["sources"]?.arrayValue)
            #expect(!liveSources.isEmpty)
            await client.close()

            let again = try await RealtimeTestClient.connect(port: port, uri: uri)
            let ready = try await again.nextEvent()
            #expect(ready.type == "hub.session.ready")
            #expect(ready["resumed"] == .bool(true))
            let turn = try #require(ready["history"]?.arrayValue?.last)
            #expect(turn["user"]?.stringValue?.contains("checked bags") == true)
            let tool = try #require(turn["tools"]?.arrayValue?.first)
            #expect(tool["tool"] == live["tool"])
            #expect(tool["outcome"] == live["outcome"])
            #expect(tool["sources"] == .array(Array(liveSources.prefix(5))))
            #expect(turn["interrupted"] == nil)
            await again.close()
        }
    }
}
