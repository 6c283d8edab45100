import Foundation
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

@Suite("bad input gets a clear error and loses nothing", .timeLimit(.minutes(1)))
struct BadInputTests {
    /// Sends `frame`, expects an error event with `code`, then proves the session still works.
    private func expectError(code: String, after send: @Sendable (RealtimeTestClient) async throws -> Void) async throws {
        try await withHub { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await client.nextEvent().type == "session.created")
            try await send(client)
            let events = try await client.events(until: "error")
            let error = try #require(RealtimeError(event: events.last!))
            #expect(error.code == code)
            #expect(error.type == "invalid_request_error")
            #expect(!error.message.isEmpty)
            // The session goes on.
            for event in textTurn { try await client.send(event) }
            let turn = try await client.events(until: "response.done")
            #expect(turn.last?["response"]?["status"]?.stringValue == "completed")
            await client.close()
        }
    }

    @Test("malformed JSON") func malformedJSON() async throws {
        try await expectError(code: "invalid_json") { try await $0.send(#"{"type":"response.create","event_id":"e1""#) }
    }

    @Test("a binary frame") func binaryFrame() async throws {
        try await expectError(code: "binary_frame_not_supported") {
            try await $0.write(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: [1, 2, 3])))
        }
    }

    @Test("an event without type") func missingType() async throws {
        try await expectError(code: "missing_type") { try await $0.send(#"{"event_id":"e7","audio":"AAAA"}"#) }
    }

    @Test("non-base64 audio") func nonBase64Audio() async throws {
        try await expectError(code: "invalid_base64") {
            try await $0.send(#"{"type":"input_audio_buffer.append","event_id":"a1","audio":"not base64!!"}"#)
        }
    }

    @Test("an unknown event type reaches the model untouched") func unknownEvent() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await client.nextEvent().type == "session.created")
            let raw = #"{"type":"future.event","event_id":"f1","nested":{"type":"x","n":1.50}}"#
            try await client.send(raw)
            for _ in 0..<100 where !(model.lastSession?.events.contains(raw) ?? false) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(model.lastSession?.events.contains(raw) == true)
            await client.close()
        }
    }

    @Test("the error echoes the event_id of the offending event") func errorEchoesEventID() async throws {
        try await withHub { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            try await client.send(#"{"type":"input_audio_buffer.append","event_id":"evt_42","audio":"%%%"}"#)
            let error = try #require(RealtimeError(event: try await client.events(until: "error").last!))
            #expect(error.eventID == "evt_42")
            await client.close()
        }
    }

    @Test("an oversize event closes with 1009 and a reason; other sessions are unaffected") func oversize() async throws {
        try await withHub(testConfiguration { $0.relay.maxEventBytes = 64 * 1024 }) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await bystander.nextEvent()
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            let audio = String(repeating: "A", count: 100 * 1024)
            try await client.send(#"{"type":"input_audio_buffer.append","audio":"\#(audio)"}"#)
            let events = try await client.events(until: "error")
            #expect(RealtimeError(event: events.last!)?.code == "message_too_large")
            let close = try await client.closeFrame()
            #expect(close.code == 1009)
            #expect(close.reason.contains("larger than"))
            for event in textTurn { try await bystander.send(event) }
            #expect(try await bystander.events(until: "response.done").last?.type == "response.done")
            await bystander.close()
        }
    }

    @Test("a bad session key is refused before any model work") func badSessionKey() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=not-a-key")
            let error = try #require(RealtimeError(event: try await client.nextEvent()))
            #expect(error.code == "invalid_session_key")
            #expect(try await client.closeFrame().code == 1008)
            #expect(model.connects == 0)
        }
    }

    @Test("a model that refuses: error event and a clean close; other sessions unaffected") func modelRefuses() async throws {
        let configuration = testConfiguration { $0.model = "ws://127.0.0.1:9/v1/realtime" }
        try await withHub(configuration) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            let error = try #require(RealtimeError(event: try await client.nextEvent()))
            #expect(error.code == "model_unavailable")
            #expect(error.type == "server_error")
            #expect(try await client.closeFrame().code == 1011)
        }
    }

    @Test("a model that drops mid-session: error event and close 1011") func modelDrops() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            let other = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await other.nextEvent()
            let firstSession = model.lastSession
            // Drop the first client's model session only.
            _ = firstSession
            model.lastSession?.drop("upstream went away")
            let error = try #require(RealtimeError(event: try await other.events(until: "error").last!))
            #expect(error.code == "model_disconnected")
            #expect(try await other.closeFrame().code == 1011)
            // The other session still relays.
            try await client.send(#"{"type":"input_audio_buffer.commit"}"#)
            await client.close()
        }
    }

    @Test("with API keys, a connection without one is refused") func apiKeys() async throws {
        try await withHub(testConfiguration { $0.apiKeys = ["sekrit"] }) { port in
            let anonymous = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(RealtimeError(event: try await anonymous.nextEvent())?.code == "invalid_api_key")
            #expect(try await anonymous.closeFrame().code == 1008)
            let known = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Authorization", "Bearer sekrit")])
            #expect(try await known.nextEvent().type == "session.created")
            await known.close()
        }
    }
}
