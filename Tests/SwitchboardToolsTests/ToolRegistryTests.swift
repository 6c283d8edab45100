import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardTools
import Testing

/// A tool that does whatever the test needs.
private struct ScriptedTool: Tool {
    var spec: ToolSpec
    var body: @Sendable (JSONObject) async throws -> ToolResult

    init(name: String, parameters: JSONValue = JSONSchema.object(), body: @escaping @Sendable (JSONObject) async throws -> ToolResult) {
        self.spec = ToolSpec(name: name, description: "test tool", parameters: parameters)
        self.body = body
    }

    func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        try await body(arguments)
    }
}

private struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

/// A pack database whose every use fails as an unreachable server would.
private struct UnreachableDatabase: PackDatabase {
    var engine: String { "test" }
    private func fail() -> DataError { .unavailable("connection refused") }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T { throw fail() }
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T { throw fail() }
    func prepare(_ statement: NamedStatement) async throws { throw fail() }
    func shutdown() async {}
}

/// A tool call's result with its output parsed.
private struct CallOutcome {
    var result: ToolCallResult
    var output: JSONObject

    var outcome: String { result.outcome }
    subscript(key: String) -> JSONValue? { output[key] }
    var errorCode: String? { output["error"]?["code"]?.stringValue }
    var errorMessage: String { output["error"]?["message"]?.stringValue ?? "" }
}

private let caller = ToolContext(customer: Customer(name: "Alex Morgan", id: "C-1001"), sessionKey: "session-alex")

extension ToolRegistry {
    /// Calls `name` with `arguments` (a JSON text), parsing the output.
    fileprivate func call(_ name: String, _ arguments: String = "{}") async throws -> CallOutcome {
        let result = await call(ToolCallRequest(callID: "call-1", name: name, arguments: arguments), context: caller)
        let output = try #require(try JSONParser.parse(result.output).objectValue)
        #expect(output.keys.first == "outcome", "the outcome comes first: \(result.output)")
        #expect(output["outcome"]?.stringValue == result.outcome)
        return CallOutcome(result: result, output: output)
    }
}

/// The travel pack (Personas/travel).
private enum Travel {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Personas/travel").path

    static let loaded = Result<Pack, any Error> { try Pack.load(directory: directory) }

    static func pack() throws -> Pack { try loaded.get() }

    /// The pack's registry over a database that cannot be reached.
    static func registry() throws -> ToolRegistry {
        try PackRuntime(pack: try pack(), database: UnreachableDatabase()).tools
    }

    static let toolNames: Set<String> = [
        "check_change_flight", "check_change_reservation", "check_flight_status", "check_reservation_status",
        "confirm_flight_change", "confirm_reservation_change", "load_user_flight_info", "load_user_reservation_info",
        "search_flight_knowledgebase", "search_hotel_knowledgebase", "end_call", "transfer_call",
    ]
}

@Suite("Tool registry")
struct ToolRegistryTests {
    // MARK: The travel pack's registry

    @Test("the travel pack's registry has its twelve tools, every agent's tool among them")
    func travelNames() throws {
        let registry = try Travel.registry()
        #expect(registry.names == Travel.toolNames)
        #expect(registry.specs.map(\.name) == registry.names.sorted())
        #expect(registry.spec(named: "nope") == nil)
        let pack = try Travel.pack()
        #expect(Set(pack.tools.map(\.name)) == registry.names)
        let used = Set(pack.catalog.personas.flatMap { $0.tools.map(\.name) })
        #expect(used.isSubset(of: registry.names), "\(used.subtracting(registry.names))")
    }

    @Test("every travel spec is a closed object schema with a description")
    func travelSpecs() throws {
        let registry = try Travel.registry()
        for spec in registry.specs {
            #expect(spec.parameters["type"] == .string("object"), "\(spec.name)")
            #expect(spec.parameters["additionalProperties"] == .bool(false), "\(spec.name)")
            #expect(spec.description.count > 40, "\(spec.name)")
            #expect(spec.functionTool["type"] == .string("function"))
            #expect(spec.functionTool["name"] == .string(spec.name))
            #expect(spec.functionTool["parameters"] == spec.parameters)
            for name in spec.parameters["properties"]?.objectValue?.keys ?? [] {
                #expect(spec.parameters["properties"]?[name]?["description"]?.stringValue?.isEmpty == false, "\(spec.name).\(name)")
            }
        }
        let flight = try #require(registry.spec(named: "check_change_flight")?.parameters)
        #expect(flight["required"] == .array([.string("confirmation"), .string("new_date")]))
        #expect(flight["properties"]?["confirmation"]?["pattern"] == .string("^[A-Z]{3}[0-9]{3}$"))
        #expect(flight["properties"]?["new_date"]?["format"] == .string("date"))
        let status = try #require(registry.spec(named: "check_flight_status")?.parameters)
        #expect(status["required"] == .array([.string("flight_number")]))
        #expect(status["properties"]?["flight_number"]?["pattern"] == .string("^[A-Z]{2}[0-9]{3,4}$"))
        let hotel = try #require(registry.spec(named: "confirm_reservation_change")?.parameters)
        #expect(hotel["properties"]?["confirmation"]?["pattern"] == .string("^H[0-9]{6}$"))
        #expect(hotel["properties"]?["nights"]?["minimum"] == .int(1))
        #expect(hotel["properties"]?["nights"]?["maximum"] == .int(30))
        let list = try #require(registry.spec(named: "load_user_flight_info")?.parameters)
        #expect(list["properties"]?.objectValue?.isEmpty == true)
        let search = try #require(registry.spec(named: "search_hotel_knowledgebase")?.parameters)
        #expect(search["required"] == .array([.string("query")]))
        #expect(search["properties"]?["query"]?["minLength"] == .int(1))
    }

    // MARK: Errors

    @Test("an unknown tool is an unknown_tool error that names the tools")
    func unknownTool() async throws {
        let call = try await Travel.registry().call("book_spaceship", "{}")
        #expect(call.outcome == "error")
        #expect(call.errorCode == "unknown_tool")
        #expect(call.errorMessage.contains("book_spaceship"))
        #expect(call.errorMessage.contains("check_flight_status"))
        #expect(call.errorMessage.contains("search_hotel_knowledgebase"))
        #expect(call.result.output.hasPrefix(#"{"outcome":"error","error":{"code":"unknown_tool","message":"#))
        #expect(call.result.callID == "call-1")
        #expect(call.result.name == "book_spaceship")
        #expect(call.result.sources.isEmpty)
    }

    @Test("malformed or non-object arguments are invalid_arguments", arguments: [
        (#"{"flight_number": "SB204""#, "not valid JSON"),
        ("SB204", "not valid JSON"),
        (#"["SB204"]"#, "must be a JSON object"),
        (#""SB204""#, "must be a JSON object"),
        ("null", "must be a JSON object"),
    ])
    func malformed(arguments: String, expected: String) async throws {
        let call = try await Travel.registry().call("check_flight_status", arguments)
        #expect(call.errorCode == "invalid_arguments")
        #expect(call.errorMessage.contains(expected), "\(call.errorMessage)")
    }

    @Test("schema failures name the argument and what is wrong", arguments: [
        ("check_change_flight", #"{"new_date":"2025-11-26"}"#, "confirmation: is required"),
        ("check_change_flight", #"{"confirmation":"bkq431","new_date":"2025-11-26"}"#, "confirmation: must match the pattern ^[A-Z]{3}[0-9]{3}$"),
        ("check_change_flight", #"{"confirmation":"BKQ431","new_date":"2025-02-30"}"#, "new_date: must be a date in yyyy-MM-dd form"),
        ("check_change_flight", #"{"confirmation":"BKQ431","new_date":"next friday"}"#, "new_date: must be a date in yyyy-MM-dd form"),
        ("check_change_flight", #"{"confirmation":"BKQ431","new_date":"2025-11-26","seat":"1A"}"#, "seat: is not an accepted property"),
        ("check_flight_status", #"{"flight_number":204}"#, "flight_number: must be a string"),
        ("check_change_reservation", #"{"confirmation":"H204518","check_in":"2025-11-26","nights":0}"#, "nights: must be at least 1"),
        ("check_change_reservation", #"{"confirmation":"H204518","check_in":"2025-11-26","nights":31}"#, "nights: must be at most 30"),
        ("check_change_reservation", #"{"confirmation":"H204518","check_in":"2025-11-26","nights":2.5}"#, "nights: must be an integer"),
        ("load_user_flight_info", #"{"customer_id":"C-1002"}"#, "customer_id: is not an accepted property (accepted: none)"),
        ("search_hotel_knowledgebase", #"{"query":""}"#, "query: must not be empty"),
    ])
    func schemaFailures(tool: String, arguments: String, expected: String) async throws {
        let call = try await Travel.registry().call(tool, arguments)
        #expect(call.errorCode == "invalid_arguments")
        #expect(call.errorMessage.contains(expected), "\(call.errorMessage)")
    }

    @Test("every schema problem is reported at once")
    func allProblems() async throws {
        let call = try await Travel.registry().call("check_change_flight", #"{"confirmation":"X","extra":true}"#)
        #expect(call.errorMessage
            == "new_date: is required; confirmation: must match the pattern ^[A-Z]{3}[0-9]{3}$; extra: is not an accepted property (accepted: confirmation, new_date)")
    }

    @Test("a tool that throws is tool_failed")
    func throwingTool() async throws {
        let registry = ToolRegistry(tools: [ScriptedTool(name: "explode") { _ in throw Boom() }])
        let call = try await registry.call("explode")
        #expect(call.errorCode == "tool_failed")
        #expect(call.errorMessage.contains("explode"))
        #expect(call.errorMessage.contains("boom"))
    }

    @Test("a data error is data_unavailable, naming its kind and never its details")
    func dataError() async throws {
        for error in [DataError.unavailable("connection refused at 10.0.0.7"), .constraint("bookings_pkey violated"), .corrupt("bad row 7")] {
            let registry = ToolRegistry(tools: [ScriptedTool(name: "query") { _ in throw error }])
            let call = try await registry.call("query")
            #expect(call.errorCode == "data_unavailable")
            #expect(call.errorMessage.contains(error.kind.rawValue), "\(call.errorMessage)")
            #expect(!call.errorMessage.contains(error.message), "internal details stay in the hub")
        }
    }

    @Test("every travel data tool over an unreachable database is data_unavailable; the knowledge tools still answer")
    func travelDataUnavailable() async throws {
        let registry = try Travel.registry()
        for (name, arguments) in [
            ("load_user_flight_info", "{}"),
            ("check_flight_status", #"{"flight_number":"SB204"}"#),
            ("check_change_flight", #"{"confirmation":"BKQ431","new_date":"2025-11-26"}"#),
            ("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"2025-11-26"}"#),
            ("load_user_reservation_info", ""),
            ("check_reservation_status", #"{"confirmation":"H204518"}"#),
            ("check_change_reservation", #"{"confirmation":"H204518","check_in":"2025-11-26","nights":2}"#),
            ("confirm_reservation_change", #"{"confirmation":"H204518","check_in":"2025-11-26"}"#),
        ] {
            let call = try await registry.call(name, arguments)
            #expect(call.errorCode == "data_unavailable", "\(name): \(call.result.output)")
            #expect(!call.errorMessage.contains("connection refused"), "internal details stay in the hub")
            #expect(call.result.sources.isEmpty)
        }
        #expect(try await registry.call("search_flight_knowledgebase", #"{"query":"checked bags"}"#).outcome == "found")
    }

    // MARK: Time limits

    @Test("a tool that does not answer in time is tool_failed, even when it ignores cancellation")
    func timeout() async throws {
        let slow = ScriptedTool(name: "slow") { _ in
            // A detached task is not cancelled with the call.
            await Task.detached { try? await Task.sleep(for: .seconds(600)) }.value
            return ToolResult(outcome: "found")
        }
        let registry = ToolRegistry(tools: [slow], timeout: .milliseconds(100))
        // Without the time limit the tool would answer `found` after 600 s. The bound below only
        // says the call did not wait for the tool: the whole suite runs in parallel on two cores,
        // where a busy cooperative pool can hold any timer back for many seconds.
        let started = ContinuousClock.now
        let call = try await registry.call("slow")
        #expect(call.errorCode == "tool_failed")
        #expect(call.errorMessage.contains("did not answer"))
        #expect(ContinuousClock.now - started < .seconds(300))
        #expect(registry.timeout == .milliseconds(100))
    }

    @Test("the default limit is 5 s; a tool's own limit from timeouts: replaces it, in either direction")
    func perToolTimeouts() async throws {
        #expect(ToolRegistry(tools: []).timeout == .seconds(5))
        #expect(ToolRegistry(tools: []).timeouts.isEmpty)
        let sleeper = { (name: String) in
            ScriptedTool(name: name) { _ in
                try await Task.sleep(for: .milliseconds(400))
                return ToolResult(outcome: "found")
            }
        }
        // Generous by default, short for one tool.
        let short = ToolRegistry(tools: [sleeper("hurried"), sleeper("relaxed")], timeout: .seconds(30), timeouts: ["hurried": .milliseconds(50)])
        let hurried = try await short.call("hurried")
        #expect(hurried.errorCode == "tool_failed")
        #expect(hurried.errorMessage.contains("did not answer"))
        #expect(try await short.call("relaxed").outcome == "found")
        // Short by default, generous for one tool.
        let long = ToolRegistry(tools: [sleeper("hurried"), sleeper("patient")], timeout: .milliseconds(50), timeouts: ["patient": .seconds(30)])
        #expect(try await long.call("patient").outcome == "found")
        #expect(try await long.call("hurried").errorCode == "tool_failed")
    }

    @Test("a pack tool's timeout: becomes its limit in the runtime's registry; the others keep the default")
    func packTimeouts() async throws {
        // The travel pack declares none.
        let runtime = try PackRuntime(pack: try Travel.pack(), database: UnreachableDatabase())
        #expect(runtime.tools.timeouts.isEmpty)
        #expect(runtime.tools.timeout == .seconds(5))
        #expect(try PackRuntime(pack: try Travel.pack(), database: UnreachableDatabase(), timeout: .seconds(8)).tools.timeout == .seconds(8))

        // A copy of the pack whose check_flight_status says `timeout: 250ms`.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-pack-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(atPath: Travel.directory, toPath: copy.path)
        let file = copy.appendingPathComponent("tools/check_flight_status.yaml")
        try (try String(contentsOf: file, encoding: .utf8) + "timeout: 250ms\n").write(to: file, atomically: true, encoding: .utf8)
        let pack = try Pack.load(directory: copy.path)
        #expect(pack.tool(named: "check_flight_status")?.timeout == .milliseconds(250))
        let timed = try PackRuntime(pack: pack, database: UnreachableDatabase())
        #expect(timed.tools.timeouts == ["check_flight_status": .milliseconds(250)])
        #expect(timed.tools.timeout == .seconds(5))
    }

    // MARK: Results

    @Test("a result's outcome comes first, before its fields, and its sources are kept")
    func output() async throws {
        let tool = ScriptedTool(name: "echo", parameters: JSONSchema.object([("word", JSONSchema.string("a word"))])) { arguments in
            ToolResult(outcome: "found", fields: ["word": arguments["word"] ?? .null, "outcome": .string("ignored")],
                       sources: [.object(["source": .string("test:words"), "id": .string("1")])])
        }
        let call = try await ToolRegistry(tools: [tool]).call("echo", #"{"word":"hi"}"#)
        #expect(call.result.output == #"{"outcome":"found","word":"hi"}"#)
        #expect(call.result.sources == [.object(["source": .string("test:words"), "id": .string("1")])])
        #expect(call.result.arguments == #"{"word":"hi"}"#)
        // Empty arguments are an empty object.
        #expect(try await ToolRegistry(tools: [tool]).call("echo", "  ").outcome == "found")
    }

    @Test("a later tool replaces an earlier one of the same name")
    func replacement() async throws {
        let registry = ToolRegistry(tools: [
            ScriptedTool(name: "same") { _ in ToolResult(outcome: "first") },
            ScriptedTool(name: "same") { _ in ToolResult(outcome: "second") },
        ])
        #expect(registry.names == ["same"])
        #expect(try await registry.call("same").outcome == "second")
    }
}
