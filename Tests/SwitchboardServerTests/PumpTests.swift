import Foundation
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

@Suite("the two pumps against a scripted model", .timeLimit(.minutes(1)))
struct PumpTests {
    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<300 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("audio behind an intercepted event waits for it: order holds client to model")
    func clientOrder() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await client.nextEvent().type == "session.created")
            try await client.send(#"{"type":"input_audio_buffer.append","audio":"AAAA","event_id":"a1"}"#)
            try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
            try await client.send(#"{"type":"input_audio_buffer.append","audio":"AAAA","event_id":"a2"}"#)
            try await client.send(#"{"type":"input_audio_buffer.commit","event_id":"c1"}"#)
            try await waitUntil { (model.lastSession?.types.filter { $0 != "session.update" }.count ?? 0) >= 3 }
            let types = model.lastSession?.types ?? []
            // The hub's own agent update comes first, then the client's events in the order sent.
            #expect(types == ["session.update", "input_audio_buffer.append", "session.update", "input_audio_buffer.append", "input_audio_buffer.commit"])
            await client.close()
        }
    }

    @Test("model events keep their order around intercepted ones; audio deltas pass as they are")
    func modelOrder() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await client.nextEvent().type == "session.created")
            let delta = #"{"type":"response.output_audio.delta","event_id":"d1","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"AAAA"}"#
            model.lastSession?.send(delta)
            model.lastSession?.send(#"{"type":"error","event_id":"e1","error":{"type":"invalid_request_error","message":"m","event_id":"client_x"}}"#)
            model.lastSession?.send(#"{"type":"response.output_audio.delta","event_id":"d2","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"BBBB"}"#)
            guard case .text(let first)? = try await client.next() else { Issue.record("expected text"); return }
            #expect(first == delta)
            #expect(try await client.nextEvent().type == "error")
            #expect(try await client.nextEvent().eventID == "d2")
            await client.close()
        }
    }

    @Test("the client closing ends the model session")
    func clientTeardown() async throws {
        let model = ScriptedModel()
        try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            await client.close()
            try await waitUntil { model.lastSession?.isClosed == true }
            #expect(model.lastSession?.isClosed == true)
        }
    }

    @Test("a client that stops reading pauses the model, then is disconnected")
    func backpressure() async throws {
        let model = ScriptedModel()
        let configuration = testConfiguration { $0.relay.clientStallTimeout = .milliseconds(300) }
        try await withHub(configuration, model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            try await client.channel.setOption(ChannelOptions.autoRead, value: false).get()
            let audio = String(repeating: "A", count: 256 * 1024)
            let session = try #require(model.lastSession)
            // The model keeps producing; the hub must stop reading it while the client's socket
            // is full, and disconnect the client once it has not read for the stall timeout.
            let deadline = ContinuousClock.now + .seconds(20)
            var i = 0
            while !session.isClosed, ContinuousClock.now < deadline {
                if session.isReading {
                    session.send(#"{"type":"response.output_audio.delta","event_id":"d\#(i)","delta":"\#(audio)"}"#)
                    i += 1
                }
                try await Task.sleep(for: .milliseconds(1))
            }
            // Recorded when it happens: a loaded machine may not sample the pause before the
            // stall timeout closes the session.
            #expect(session.hasPaused)
            #expect(session.isClosed)
        }
    }
}

@Suite("fragmented messages", .timeLimit(.minutes(1)))
struct FragmentTests {
    private func fragments(_ text: String, pieces: Int) -> [WebSocketFrame] {
        let bytes = Array(text.utf8)
        let size = (bytes.count + pieces - 1) / pieces
        return stride(from: 0, to: bytes.count, by: size).enumerated().map { index, start in
            let end = min(start + size, bytes.count)
            return WebSocketFrame(fin: end == bytes.count, opcode: index == 0 ? .text : .continuation, maskKey: .random(),
                                  data: ByteBuffer(bytes: bytes[start..<end]))
        }
    }

    @Test("a client event sent in fragments is assembled and answered")
    func clientFragments() async throws {
        try await withHub { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            for event in textTurn {
                for frame in fragments(event, pieces: 3) { try await client.write(frame) }
            }
            let events = try await client.events(until: "response.done")
            #expect(events.contains { $0.type == "response.output_text.done" })
            await client.close()
        }
    }

    @Test("fragments past the size limit close with 1009")
    func fragmentsTooLarge() async throws {
        try await withHub(testConfiguration { $0.relay.maxEventBytes = 32 * 1024 }) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            _ = try await client.nextEvent()
            let big = #"{"type":"input_audio_buffer.append","audio":""# + String(repeating: "A", count: 60 * 1024) + #""}"#
            for frame in fragments(big, pieces: 4) { try? await client.write(frame) }
            #expect(try await client.closeFrame().code == 1009)
        }
    }
}
