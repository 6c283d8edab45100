import Foundation
import RealtimeProtocol
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

/// Business data whose every query fails as an unreachable store would.
private struct UnreachableData: BusinessData {
    var sourceName: String { "test" }
    private func fail() -> DataError { .unavailable("connection refused") }
    func customer(id: String) async throws -> CustomerRecord? { throw fail() }
    func customer(phone: String) async throws -> CustomerRecord? { throw fail() }
    func bookings(customerID: String) async throws -> [FlightBooking] { throw fail() }
    func booking(confirmation: String, customerID: String) async throws -> FlightBooking? { throw fail() }
    func flight(number: String, date: CalendarDate) async throws -> Flight? { throw fail() }
    func nextDeparture(number: String, onOrAfter date: CalendarDate) async throws -> Flight? { throw fail() }
    func quoteFlightChange(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeQuote { throw fail() }
    func changeFlight(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeResult { throw fail() }
    func reservations(customerID: String) async throws -> [HotelReservation] { throw fail() }
    func reservation(confirmation: String, customerID: String) async throws -> HotelReservation? { throw fail() }
    func hotel(id: String) async throws -> Hotel? { throw fail() }
    func rooms(hotelID: String) async throws -> [HotelRoom] { throw fail() }
    func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) async throws -> Int { throw fail() }
    func quoteReservationChange(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeQuote { throw fail() }
    func changeReservation(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeResult { throw fail() }
}

@Suite("Tool registry")
struct ToolRegistryTests {
    private let registry = standardRegistry(UnreachableData())

    @Test("the standard registry has the ten tools of the spec")
    func names() {
        #expect(registry.names == [
            "check_change_flight", "check_change_reservation", "check_flight_status", "check_reservation_status",
            "confirm_flight_change", "confirm_reservation_change", "load_user_flight_info", "load_user_reservation_info",
            "search_flight_knowledgebase", "search_hotel_knowledgebase",
        ])
        #expect(registry.specs.map(\.name) == registry.names.sorted())
        #expect(registry.spec(named: "nope") == nil)
        // `personas check` validates against this list without opening any data.
        #expect(ToolRegistry.standardNames == registry.names)
    }

    @Test("every spec is a closed object schema with a description")
    func specs() throws {
        for spec in registry.specs {
            #expect(spec.parameters["type"] == .string("object"), "\(spec.name)")
            #expect(spec.parameters["additionalProperties"] == .bool(false), "\(spec.name)")
            #expect(spec.description.count > 40, "\(spec.name)")
            #expect(spec.functionTool["name"] == .string(spec.name))
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
    }

    @Test("an unknown tool is an unknown_tool error that names the tools")
    func unknownTool() async throws {
        let call = try await registry.call("book_spaceship", "{}")
        #expect(call.outcome == "error")
        #expect(call.errorCode == "unknown_tool")
        #expect(call.errorMessage.contains("book_spaceship"))
        #expect(call.errorMessage.contains("check_flight_status"))
        #expect(call.result.output.hasPrefix(#"{"outcome":"error","error":{"code":"unknown_tool","message":"#))
        #expect(call.result.callID == "call-1")
        #expect(call.result.name == "book_spaceship")
    }

    @Test("malformed or non-object arguments are invalid_arguments", arguments: [
        (#"{"flight_number": "SB204""#, "not valid JSON"),
        ("SB204", "not valid JSON"),
        (#"["SB204"]"#, "must be a JSON object"),
        (#""SB204""#, "must be a JSON object"),
    ])
    func malformed(arguments: String, expected: String) async throws {
        let call = try await registry.call("check_flight_status", arguments)
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
        ("check_change_reservation", #"{"confirmation":"H204518","check_in":"2025-11-26","nights":2.5}"#, "nights: must be an integer"),
        ("load_user_flight_info", #"{"customer_id":"C-1002"}"#, "customer_id: is not an accepted property (accepted: none)"),
    ])
    func schemaFailures(tool: String, arguments: String, expected: String) async throws {
        let call = try await registry.call(tool, arguments)
        #expect(call.errorCode == "invalid_arguments")
        #expect(call.errorMessage.contains(expected), "\(call.errorMessage)")
    }

    @Test("every schema problem is reported at once")
    func allProblems() async throws {
        let call = try await registry.call("check_change_flight", #"{"confirmation":"X","extra":true}"#)
        #expect(call.errorMessage == "new_date: is required; confirmation: must match the pattern ^[A-Z]{3}[0-9]{3}$; extra: is not an accepted property (accepted: confirmation, new_date)")
    }

    @Test("a tool that throws is tool_failed")
    func throwingTool() async throws {
        let registry = ToolRegistry(tools: [ScriptedTool(name: "explode") { _ in throw Boom() }])
        let call = try await registry.call("explode")
        #expect(call.errorCode == "tool_failed")
        #expect(call.errorMessage.contains("boom"))
    }

    @Test("a data error is data_unavailable, whatever the tool")
    func dataErrors() async throws {
        for (name, arguments) in [
            ("load_user_flight_info", "{}"),
            ("check_flight_status", #"{"flight_number":"SB204"}"#),
            ("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"2025-11-26"}"#),
            ("check_reservation_status", #"{"confirmation":"H204518"}"#),
            ("confirm_reservation_change", #"{"confirmation":"H204518","check_in":"2025-11-26"}"#),
        ] {
            let call = try await registry.call(name, arguments)
            #expect(call.errorCode == "data_unavailable", "\(name): \(call.result.output)")
            #expect(!call.errorMessage.contains("connection refused"), "internal details stay in the hub")
        }
    }

    @Test("a closed SQLite database is data_unavailable")
    func closedDatabase() async throws {
        try await withDemoData { (data) async throws in
            await data.close()
            let call = try await standardRegistry(data).call("check_flight_status", #"{"flight_number":"SB204"}"#)
            #expect(call.errorCode == "data_unavailable")
        }
    }

    @Test("a tool that does not answer in time is tool_failed, even when it ignores cancellation")
    func timeout() async throws {
        let slow = ScriptedTool(name: "slow") { _ in
            // A detached task is not cancelled with the call.
            await Task.detached { try? await Task.sleep(for: .seconds(3)) }.value
            return ToolResult(outcome: "found")
        }
        let registry = ToolRegistry(tools: [slow], timeout: .milliseconds(100))
        // Without the time limit the tool would answer `found` after 3 s.
        let call = try await registry.call("slow")
        #expect(call.errorCode == "tool_failed")
        #expect(call.errorMessage.contains("did not answer"))
        #expect(registry.timeout == .milliseconds(100))
        #expect(ToolRegistry(tools: []).timeout == .seconds(5))
    }

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
