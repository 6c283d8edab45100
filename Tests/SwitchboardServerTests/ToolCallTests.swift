import Foundation
import RealtimeProtocol
import SwitchboardServer
import SwitchboardTesting
import Testing

/// A model's bad function calls: each gets an error output the model can recover from, the
/// client sees none of it, and the session goes on.
@Suite("bad function calls from the model", .timeLimit(.minutes(1)))
struct ToolCallTests {
    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// Plays a response that calls `name` with `arguments`; returns the output the hub sent back.
    private func callOutput(name: String, arguments: String) async throws -> JSONValue {
        let model = ScriptedModel()
        return try await withHub(model: model) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1")
            #expect(try await client.nextEvent().type == "hub.session.ready")
            #expect(try await client.nextEvent().type == "session.created")
            let session = try #require(model.lastSession)
            let escaped = arguments.replacingOccurrences(of: "\"", with: "\\\"")
            session.send(#"{"type":"response.created","event_id":"m1","response":{"id":"resp_1","status":"in_progress","output":[]}}"#)
            session.send(#"{"type":"response.output_item.added","event_id":"m2","response_id":"resp_1","output_index":0,"item":{"id":"item_1","type":"function_call","status":"in_progress","name":"\#(name)","call_id":"call_1","arguments":""}}"#)
            session.send(#"{"type":"response.function_call_arguments.done","event_id":"m3","response_id":"resp_1","item_id":"item_1","output_index":0,"call_id":"call_1","name":"\#(name)","arguments":"\#(escaped)"}"#)
            session.send(#"{"type":"response.done","event_id":"m4","response":{"id":"resp_1","status":"completed","output":[{"id":"item_1","type":"function_call","name":"\#(name)","call_id":"call_1","arguments":"\#(escaped)"}]}}"#)
            // The client hears of the call only as a hub event.
            let result = try await client.nextEvent()
            #expect(result.type == "hub.tool.result")
            #expect(result["outcome"] == .string("error"))
            try await waitUntil { session.types.contains("response.create") }
            let sent = session.events.compactMap { try? RealtimeEvent.decode($0) }
            let output = try #require(sent.first { $0.type == "conversation.item.create" && $0["item"]?["type"] == .string("function_call_output") })
            #expect(output["item"]?["call_id"] == .string("call_1"))
            // Asked to go on once, after the output.
            let types = sent.map(\.type)
            #expect(types.filter { $0 == "response.create" }.count == 1)
            #expect(types.lastIndex(of: "response.create")! > types.lastIndex(of: "conversation.item.create")!)
            // The session goes on: a normal answer reaches the client.
            session.send(#"{"type":"response.created","event_id":"m5","response":{"id":"resp_2","status":"in_progress","output":[]}}"#)
            session.send(#"{"type":"response.done","event_id":"m6","response":{"id":"resp_2","status":"completed","output":[]}}"#)
            #expect(try await client.nextEvent().type == "response.created")
            #expect(try await client.nextEvent().type == "response.done")
            await client.close()
            return try JSONParser.parse(output["item"]?["output"]?.stringValue ?? "")
        }
    }

    @Test("an unknown tool name")
    func unknownTool() async throws {
        let output = try await callOutput(name: "launch_rockets", arguments: "{}")
        #expect(output["outcome"] == .string("error"))
        #expect(output["error"]?["code"] == .string("unknown_tool"))
    }

    @Test("arguments that fail the tool's schema")
    func badArguments() async throws {
        let output = try await callOutput(name: "check_flight_status", arguments: #"{"flight_number":"not a flight","extra":1}"#)
        #expect(output["error"]?["code"] == .string("invalid_arguments"))
        #expect(output["error"]?["message"]?.stringValue?.contains("flight_number") == true)
    }

    @Test("arguments that are not JSON")
    func malformedArguments() async throws {
        let output = try await callOutput(name: "check_flight_status", arguments: "{flight")
        #expect(output["error"]?["code"] == .string("invalid_arguments"))
    }
}
