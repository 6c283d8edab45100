import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
@testable import SwitchboardData
import SwitchboardTools
import Testing

/// The fixed day every test's data is seeded for, and the callers.
enum Fixture {
    static let today = CalendarDate(iso: "2025-11-20")!

    static func day(_ offset: Int) -> CalendarDate { today.adding(days: offset) }

    static let alex = ToolContext(customer: Customer(name: "Alex Morgan", id: "C-1001"), sessionKey: "session-alex", today: today.date())
    static let sam = ToolContext(customer: Customer(name: "Sam Rivera", id: "C-1002"), sessionKey: "session-sam", today: today.date())
    static let stranger = ToolContext(customer: Customer(name: "Pat Unknown", id: "C-9999"), sessionKey: "session-x", today: today.date())
    static let anonymous = ToolContext(customer: Customer(), sessionKey: "session-anon", today: today.date())

    static let demo = DemoData(today: today)

    static let knowledge = KnowledgeBase(documents: [
        ("flight/baggage.md", """
            # Baggage
            ## Checked bags
            Economy fares include one checked bag of up to 23 kilograms. Business fares include two checked bags. \
            Extra checked bags cost 60 dollars each way.
            ## Carry-on bags
            You may bring one carry-on bag and one personal item such as a purse or a laptop bag on board.
            """),
        ("flight/changes.md", """
            # Changing a flight
            ## Change fees
            Economy bookings can be changed for a fee of 75 dollars plus any fare difference. Basic Economy \
            fares cannot be changed. Business fares change for free.
            """),
        ("hotel/policies.md", """
            # Hotel policies
            ## Check-in and check-out
            Check-in starts at 3 pm and check-out is at 11 am. Early check-in depends on availability.
            ## Pets
            Dogs and cats under 20 kilograms are welcome for a cleaning fee of 40 dollars per stay.
            """),
    ])

    /// A directory of its own under the temporary directory.
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tools-\(UUID().uuidString)")
    }
}

/// Runs `body` with freshly seeded demo data in a temporary SQLite file, then closes and removes it.
func withDemoData(_ body: (SQLiteBusinessData) async throws -> Void) async throws {
    let directory = Fixture.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let data = try await SQLiteBusinessData.open(path: directory.appendingPathComponent("data/demo.sqlite").path, today: Fixture.today.date())
    do {
        try await body(data)
        await data.close()
    } catch {
        await data.close()
        throw error
    }
}

/// A tool call's result with its output parsed.
struct CallOutcome {
    var result: ToolCallResult
    var output: JSONObject

    var outcome: String { result.outcome }
    subscript(key: String) -> JSONValue? { output[key] }
    /// The error code of an `error` outcome.
    var errorCode: String? { output["error"]?["code"]?.stringValue }
    var errorMessage: String { output["error"]?["message"]?.stringValue ?? "" }
}

extension ToolRegistry {
    /// Calls `name` with `arguments` (a JSON text) for `context`, parsing the output.
    func call(_ name: String, _ arguments: String = "{}", as context: ToolContext = Fixture.alex) async throws -> CallOutcome {
        let result = await call(ToolCallRequest(callID: "call-1", name: name, arguments: arguments), context: context)
        let output = try #require(try JSONParser.parse(result.output).objectValue)
        #expect(output.keys.first == "outcome", "the outcome comes first: \(result.output)")
        #expect(output["outcome"]?.stringValue == result.outcome)
        return CallOutcome(result: result, output: output)
    }
}

/// The standard registry over `data` and the fixture knowledge.
func standardRegistry(_ data: any BusinessData) -> ToolRegistry {
    ToolRegistry.standard(data: data, knowledge: Fixture.knowledge)
}

extension SQLiteBusinessData {
    /// Runs a statement directly, for tests that arrange a state the tools cannot.
    func executeForTest(_ sql: String, _ bindings: [SQLiteValue] = []) async throws {
        try await withDatabase { (database) throws(DataError) in _ = try database.run(sql, bindings) }
    }

    /// Reads one integer directly.
    func integerForTest(_ sql: String, _ bindings: [SQLiteValue] = []) async throws -> Int? {
        try await withDatabase { (database) throws(DataError) in try database.query(sql, bindings) { $0.integer() }.first }
    }

    /// Reads one text directly.
    func textForTest(_ sql: String, _ bindings: [SQLiteValue] = []) async throws -> String? {
        try await withDatabase { (database) throws(DataError) in try database.query(sql, bindings) { $0.text() }.first }
    }

    func seatsAvailable(_ number: String, _ date: CalendarDate) async throws -> Int? {
        try await flight(number: number, date: date)?.seatsAvailable
    }
}
