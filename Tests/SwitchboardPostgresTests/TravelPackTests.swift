import Foundation
import Logging
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardPostgres
import SwitchboardTools
import Testing

/// The travel pack (Personas/travel) as the hub runs it: its tools through `PackRuntime`, on
/// SQLite and on a real PostgreSQL server, with the same cases. Each case gets the pack freshly
/// created and seeded for `today` in a place of its own (a directory for SQLite, a new database
/// of the suite's server for PostgreSQL), so cases run in parallel.
///
/// Outputs follow the pack format (docs/packs.md): the model's arguments are echoed as fields,
/// null columns are left out, sources come only from rows (none on `not_found`; a refusal names
/// the booking or reservation it refused, which its check returns).
@Suite("Travel pack: its tools on SQLite and PostgreSQL", PostgresSuiteServer())
struct TravelPackTests {
    // MARK: Fixture

    /// The day every case's data is seeded for.
    static let today = CalendarDate(iso: "2025-11-20")!

    /// The day `offset` days from `today`, `yyyy-MM-dd`.
    static func day(_ offset: Int) -> String { today.adding(days: offset).iso }

    static func context(_ name: String?, _ id: String?, today: CalendarDate = TravelPackTests.today) -> ToolContext {
        ToolContext(customer: Customer(name: name, id: id), sessionKey: "session-\(id ?? "anonymous")", today: today.date())
    }

    static let alex = context("Alex Morgan", "C-1001")
    static let sam = context("Sam Rivera", "C-1002")
    static let jordan = context("Jordan Lee", "C-1003")
    /// A caller the session knows by name whose id no customer has.
    static let stranger = context("Pat Unknown", "C-9999")
    static let anonymous = context(nil, nil)

    static let packDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Personas/travel").path

    private static let loaded = Result<Pack, any Error> { try Pack.load(directory: packDirectory) }

    /// The travel pack, loaded once.
    static func pack() throws -> Pack { try loaded.get() }

    static let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 8)
    static let logger = Logger(label: "switchboard.travel.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: Engines, places and calls

    typealias Engine = PackEngine

    /// Where an engine keeps the pack: a directory for SQLite's file, a database for PostgreSQL.
    struct Place: Sendable {
        let engine: Engine
        let location: String

        static func new(_ engine: Engine) async throws -> Place {
            switch engine {
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("switchboard-travel-\(UUID().uuidString.prefix(8).lowercased())")
                return Place(engine: engine, location: directory.path)
            case .postgres:
                return Place(engine: engine, location: try await PostgresTestServer.current().createDatabase())
            }
        }

        /// Opens the travel pack here (creating and seeding it on first open).
        func open(today: CalendarDate = TravelPackTests.today) async throws -> Travel {
            let pack = try TravelPackTests.pack()
            let data = try #require(pack.data)
            let database: any PackDatabase
            let wasSeeded: Bool
            switch engine {
            case .sqlite:
                let sqlite = try await SQLitePackDatabase.open(
                    path: "\(location)/switchboard.travel.sqlite", schema: data.schema, seed: data.seed, today: today.date())
                (database, wasSeeded) = (sqlite, sqlite.wasSeeded)
            case .postgres:
                let postgres = try await PostgresPackDatabase.connect(
                    url: location, pack: pack.name, schema: data.schema, seed: data.seed, today: today.date(),
                    options: TravelPackTests.options, logger: TravelPackTests.logger)
                (database, wasSeeded) = (postgres, postgres.wasSeeded)
            }
            do {
                // A generous limit: the machine runs the suite's cases side by side.
                let runtime = try PackRuntime(pack: pack, database: database, timeout: .seconds(30))
                return Travel(engine: engine, database: database, runtime: runtime, wasSeeded: wasSeeded)
            } catch {
                await database.shutdown()
                throw error
            }
        }

        func remove() {
            if engine == .sqlite { try? FileManager.default.removeItem(atPath: location) }
        }
    }

    /// A tool call's result with its output parsed.
    struct Answer: Sendable {
        let result: ToolCallResult
        let output: JSONObject

        var outcome: String { result.outcome }
        var sources: [JSONValue] { result.sources }
        var keys: [String] { output.keys }
        subscript(key: String) -> JSONValue? { output[key] }
        var errorCode: String? { output["error"]?["code"]?.stringValue }
        var errorMessage: String { output["error"]?["message"]?.stringValue ?? "" }
        /// The values of `field` in the rows of the array `array`.
        func column(_ array: String, _ field: String) -> [String] {
            (output[array]?.arrayValue ?? []).compactMap { $0[field]?.stringValue }
        }
    }

    /// The pack open on one engine.
    struct Travel: Sendable {
        let engine: Engine
        let database: any PackDatabase
        let runtime: PackRuntime
        let wasSeeded: Bool

        /// Calls the tool `name` with `arguments` (a JSON text) for `context`.
        func call(_ name: String, _ arguments: String = "{}", as context: ToolContext = TravelPackTests.alex) async throws -> Answer {
            let result = await runtime.tools.call(ToolCallRequest(callID: "call-\(name)", name: name, arguments: arguments), context: context)
            let output = try #require(try JSONParser.parse(result.output).objectValue, "\(result.output)")
            #expect(output.keys.first == "outcome", "the outcome comes first: \(result.output)")
            #expect(output["outcome"]?.stringValue == result.outcome)
            #expect(result.callID == "call-\(name)" && result.name == name && result.arguments == arguments)
            if result.outcome == "not_found" {
                #expect(result.sources.isEmpty, "no sources on not_found: \(result.sources)")
            }
            return Answer(result: result, output: output)
        }

        /// A source of this engine.
        func source(_ table: String, _ id: String) -> JSONValue {
            .object(["source": .string("\(engine.rawValue):\(table)"), "id": .string(id)])
        }

        // Direct reads and writes, for arranging a state the tools cannot and checking what they left.

        func rows(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> [SQLRow] {
            let statement = try NamedStatement(sql)
            return try await database.read { try await $0.rows(statement, parameters) }
        }

        func value(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> SQLValue? {
            try await rows(sql, parameters).first?.values.first
        }

        func integer(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> Int? {
            if case .integer(let number)? = try await value(sql, parameters) { return number }
            return nil
        }

        /// Runs a write in a transaction of its own; the rows it changed.
        @discardableResult
        func execute(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> Int {
            let statement = try NamedStatement(sql)
            return try await database.transaction { try await $0.run(statement, parameters) }
        }

        func seats(_ number: String, _ offset: Int) async throws -> Int? {
            try await integer("SELECT seats_available FROM flights WHERE number = :number AND date = :date",
                              ["number": .text(number), "date": .text(day(offset))])
        }

        func booking(_ confirmation: String) async throws -> SQLRow? {
            try await rows("""
                SELECT customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status, replaced_by
                FROM bookings WHERE confirmation = :confirmation
                """, ["confirmation": .text(confirmation)]).first
        }

        func reservation(_ confirmation: String) async throws -> SQLRow? {
            try await rows("SELECT customer_id, check_in, check_out, nights, status FROM reservations WHERE confirmation = :confirmation",
                           ["confirmation": .text(confirmation)]).first
        }

        func count(_ table: String, where condition: String = "1 = 1") async throws -> Int? {
            try await integer("SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)")
        }

        /// Runs `work` while another transaction holds `lock` (a `SELECT … FOR UPDATE`), so that
        /// on PostgreSQL the transactions `work` starts have all read before any of them can
        /// write, and then meet. SQLite runs one transaction at a time: there it just runs `work`.
        func overlapping<T: Sendable>(lock: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
            guard engine == .postgres else { return try await work() }
            let statement = try NamedStatement(lock)
            let task = try await database.transaction { (runner) -> Task<T, any Error> in
                _ = try await runner.rows(statement, [:])
                let task = Task { try await work() }
                try await Task.sleep(for: .milliseconds(500))
                return task
            }
            return try await task.value
        }
    }

    /// Runs `body` with the travel pack freshly created on `engine`, then shuts it down.
    func withTravel(_ engine: Engine, _ body: (Travel) async throws -> Void) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let travel = try await place.open()
        do {
            try await body(travel)
        } catch {
            await travel.database.shutdown()
            throw error
        }
        await travel.database.shutdown()
    }

    // MARK: Flight lookups

    @Test("load_user_flight_info lists the caller's upcoming bookings", arguments: Engine.allCases)
    func loadUserFlights(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let call = try await travel.call("load_user_flight_info", "")
            #expect(call.outcome == "found")
            #expect(call.keys == ["outcome", "customer_name", "bookings", "count"])
            #expect(call["customer_name"] == .string("Alex Morgan"))
            #expect(call["count"] == .int(2))
            #expect(call.column("bookings", "confirmation") == ["BKQ431", "BKR518"])
            let first = try #require(call["bookings"]?.arrayValue?.first?.objectValue)
            #expect(first == [
                "confirmation": .string("BKQ431"), "flight_number": .string("SB204"), "date": .string(Self.day(5)),
                "origin": .string("SFO"), "destination": .string("JFK"), "origin_city": .string("San Francisco"),
                "destination_city": .string("New York"), "departure_time": .string("08:15"),
                "status": .string("on time"), "seat": .string("14C"),
            ])
            #expect(first.keys == ["confirmation", "flight_number", "date", "origin", "destination", "origin_city", "destination_city",
                                   "departure_time", "status", "seat"])
            let second = try #require(call["bookings"]?.arrayValue?.last)
            #expect(second["flight_number"] == .string("SB311") && second["date"] == .string(Self.day(12)))
            #expect(second["origin"] == .string("JFK") && second["destination"] == .string("LHR"))
            #expect(second["destination_city"] == .string("London"))
            #expect(call.sources == [travel.source("bookings", "BKQ431"), travel.source("bookings", "BKR518")])
        }
    }

    @Test("load_user_flight_info is scoped to the caller and not_found for strangers and anonymous callers", arguments: Engine.allCases)
    func loadUserFlightsScoping(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let sam = try await travel.call("load_user_flight_info", as: Self.sam)
            #expect(sam.outcome == "found")
            #expect(sam.column("bookings", "confirmation") == ["BKS602", "BKT275"])
            #expect(sam.sources == [travel.source("bookings", "BKS602"), travel.source("bookings", "BKT275")])
            // The session's name when no customer has the id; no sources on not_found.
            let stranger = try await travel.call("load_user_flight_info", as: Self.stranger)
            #expect(stranger.output == ["outcome": .string("not_found"), "customer_name": .string("Pat Unknown")])
            // Anonymous: no name at all, so the (null) field is left out.
            let anonymous = try await travel.call("load_user_flight_info", as: Self.anonymous)
            #expect(anonymous.output == ["outcome": .string("not_found")])
            // A past booking and a cancelled one are not listed.
            try await travel.execute("""
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES ('BKD100', 'C-1003', 'SB204', '\(Self.day(-2))', 'Y', 34400, '3A', 'confirmed')
                """)
            try await travel.execute("UPDATE bookings SET status = 'cancelled' WHERE confirmation = 'BKU840'")
            let jordan = try await travel.call("load_user_flight_info", as: Self.jordan)
            #expect(jordan.output == ["outcome": .string("not_found"), "customer_name": .string("Jordan Lee")])
        }
    }

    @Test("check_flight_status finds a departure by date", arguments: Engine.allCases)
    func flightStatusByDate(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let call = try await travel.call("check_flight_status", #"{"flight_number":"SB204","date":"\#(Self.day(5))"}"#)
            #expect(call.output == [
                "outcome": .string("found"), "flight_number": .string("SB204"), "date": .string(Self.day(5)),
                "origin": .string("SFO"), "destination": .string("JFK"), "departure_time": .string("08:15"),
                "arrival_time": .string("16:50"), "status": .string("on time"), "gate": .string("B12"), "delay_minutes": .int(0),
            ])
            #expect(call.keys == ["outcome", "flight_number", "date", "origin", "destination", "departure_time", "arrival_time",
                                  "status", "gate", "delay_minutes"])
            #expect(call.sources == [travel.source("flights", "SB204 \(Self.day(5))")])
        }
    }

    @Test("check_flight_status without a date gives the next departure from today; delays and cancellations", arguments: Engine.allCases)
    func flightStatusNext(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let today = try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#)
            #expect(today["date"] == .string(Self.day(0)))
            #expect(today["status"] == .string("delayed"))
            #expect(today["delay_minutes"] == .int(40))
            #expect(today.sources == [travel.source("flights", "SB204 \(Self.day(0))")])
            // The seeded disruptions.
            for (number, offset, status, delay) in [
                ("SB204", 9, "cancelled", 0), ("SB205", 4, "delayed", 15), ("SB311", 1, "delayed", 25), ("SB118", 2, "cancelled", 0),
            ] {
                let call = try await travel.call("check_flight_status", #"{"flight_number":"\#(number)","date":"\#(Self.day(offset))"}"#)
                #expect(call["status"] == .string(status), "\(number) \(offset)")
                #expect(call["delay_minutes"] == .int(delay), "\(number) \(offset)")
            }
            // "Next" counts from the session's day: before the schedule it is its first day, after it there is none.
            let early = try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#,
                                              as: Self.context("Alex Morgan", "C-1001", today: Self.today.adding(days: -10)))
            #expect(early["date"] == .string(Self.day(-3)))
            let later = try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#,
                                              as: Self.context("Alex Morgan", "C-1001", today: Self.today.adding(days: 4)))
            #expect(later["date"] == .string(Self.day(4)))
            let after = try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#,
                                              as: Self.context("Alex Morgan", "C-1001", today: Self.today.adding(days: 31)))
            #expect(after.output == ["outcome": .string("not_found"), "flight_number": .string("SB204")])
            // Anyone may ask about a flight.
            #expect(try await travel.call("check_flight_status", #"{"flight_number":"SB312"}"#, as: Self.anonymous).outcome == "found")
        }
    }

    @Test("check_flight_status is not_found for an unknown flight or a day without one", arguments: Engine.allCases)
    func flightStatusNotFound(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let unknown = try await travel.call("check_flight_status", #"{"flight_number":"XY999"}"#)
            #expect(unknown.output == ["outcome": .string("not_found"), "flight_number": .string("XY999")])
            let late = try await travel.call("check_flight_status", #"{"flight_number":"SB204","date":"\#(Self.day(45))"}"#)
            #expect(late.output == ["outcome": .string("not_found"), "flight_number": .string("SB204"), "date": .string(Self.day(45))])
            #expect(late.keys == ["outcome", "flight_number", "date"])
        }
    }

    // MARK: Flight changes: the rules

    @Test("check_change_flight quotes the fee, the fare difference and the total, and changes nothing", arguments: Engine.allCases)
    func checkChangeAvailable(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // SB204: 329.00 on +5 (what BKQ431 paid, Economy), 359.00 on +6 with 30 seats.
            let call = try await travel.call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#)
            #expect(call.output == [
                "outcome": .string("available"), "confirmation": .string("BKQ431"), "flight_number": .string("SB204"),
                "old_date": .string(Self.day(5)), "new_date": .string(Self.day(6)), "departure_time": .string("08:15"),
                "change_fee": .string("75.00"), "fare_difference": .string("30.00"), "total": .string("105.00"),
                "currency": .string("USD"), "seats_available": .int(30),
            ])
            // The arguments first, then the check's and the quote's columns.
            #expect(call.keys == ["outcome", "confirmation", "new_date", "flight_number", "old_date", "departure_time",
                                  "change_fee", "fare_difference", "total", "currency", "seats_available"])
            #expect(call.sources == [travel.source("bookings", "BKQ431"), travel.source("flights", "SB204 \(Self.day(6))")])
            let booking = try #require(try await travel.booking("BKQ431"))
            #expect(booking["status"] == .text("confirmed") && booking["flight_date"] == .text(Self.day(5)))
            #expect(try await travel.seats("SB204", 6) == 30)
            #expect(try await travel.seats("SB204", 5) == 17)
            #expect(try await travel.count("bookings") == 5)
        }
    }

    @Test("the fare difference is never negative, and the total is the change fee plus it", arguments: Engine.allCases)
    func fareDifference(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // The same fare (329.00 on +10): no difference, the Economy fee only.
            let same = try await travel.call("check_change_flight", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(10))"}"#)
            #expect(same["fare_difference"] == .string("0.00"))
            #expect(same["change_fee"] == .string("75.00"))
            #expect(same["total"] == .string("75.00"))
            // Sam's Business fare on SB205: 3 x 379.00 paid on +8; +9 costs 3 x 334.00, less. No fee for Business.
            let cheaper = try await travel.call("check_change_flight", #"{"confirmation":"BKT275","new_date":"\#(Self.day(9))"}"#, as: Self.sam)
            #expect(cheaper.outcome == "available")
            #expect(cheaper["fare_difference"] == .string("0.00"))
            #expect(cheaper["change_fee"] == .string("0.00"))
            #expect(cheaper["total"] == .string("0.00"))
            // The same fare for Business (3 x 379.00 on +13): nothing to pay either.
            let equal = try await travel.call("check_change_flight", #"{"confirmation":"BKT275","new_date":"\#(Self.day(13))"}"#, as: Self.sam)
            #expect(equal["fare_difference"] == .string("0.00") && equal["total"] == .string("0.00"))
            // Confirming the cheaper date charges nothing and keeps what was paid.
            let confirmed = try await travel.call("confirm_flight_change", #"{"confirmation":"BKT275","new_date":"\#(Self.day(9))"}"#, as: Self.sam)
            #expect(confirmed.outcome == "confirmed")
            #expect(confirmed["total"] == .string("0.00"))
            let new = try #require(confirmed["new_confirmation"]?.stringValue)
            #expect(try await travel.booking(new)?["fare_paid_cents"] == .integer(113_700))
            #expect(try await travel.booking(new)?["fare_class"] == .text("J"))
        }
    }

    @Test("check_change_flight is unavailable when sold out, cancelled, past or beyond the schedule",
          arguments: Engine.allCases, [7, 9, 31, 40, -1])
    func checkChangeUnavailable(engine: Engine, offset: Int) async throws {
        try await withTravel(engine) { (travel) async throws in
            let date = Self.day(offset)
            for tool in ["check_change_flight", "confirm_flight_change"] {
                let call = try await travel.call(tool, #"{"confirmation":"BKQ431","new_date":"\#(date)"}"#)
                #expect(call.output == [
                    "outcome": .string("unavailable"), "confirmation": .string("BKQ431"), "new_date": .string(date),
                    "flight_number": .string("SB204"),
                ], "\(tool)")
                #expect(call.keys == ["outcome", "confirmation", "new_date", "flight_number"], "\(tool)")
                // The refused booking (its confirmation, read by the check); not the departure,
                // whose date came from the arguments only.
                #expect(call.sources == [travel.source("bookings", "BKQ431")], "\(tool)")
            }
            #expect(try await travel.booking("BKQ431")?["status"] == .text("confirmed"))
            #expect(try await travel.count("bookings") == 5)
        }
    }

    @Test("not_changeable: a basic fare, the booked date, a departed flight, a cancelled booking, with their reasons", arguments: Engine.allCases)
    func notChangeable(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            func refusal(_ confirmation: String, _ offset: Int, as context: ToolContext, _ reason: String) async throws {
                for tool in ["check_change_flight", "confirm_flight_change"] {
                    let call = try await travel.call(tool, #"{"confirmation":"\#(confirmation)","new_date":"\#(Self.day(offset))"}"#, as: context)
                    // No flight_number with not_changeable (the check leaves it null).
                    #expect(call.output == [
                        "outcome": .string("not_changeable"), "confirmation": .string(confirmation),
                        "new_date": .string(Self.day(offset)), "reason": .string(reason),
                    ], "\(tool) \(confirmation)")
                    // The refused booking.
                    #expect(call.sources == [travel.source("bookings", confirmation)], "\(tool) \(confirmation)")
                }
            }
            try await refusal("BKS602", 4, as: Self.sam, "Basic Economy fares cannot be changed")
            try await refusal("BKQ431", 5, as: Self.alex, "the booking is already for \(Self.day(5))")
            // A booking whose flight left two days ago (Jordan, Economy), and one that is also Basic.
            try await travel.execute("""
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES ('BKD100', 'C-1003', 'SB204', '\(Self.day(-2))', 'Y', 34400, '3A', 'confirmed'),
                       ('BKD101', 'C-1003', 'SB118', '\(Self.day(-2))', 'B', 13920, '4B', 'confirmed')
                """)
            try await refusal("BKD100", 6, as: Self.jordan, "the flight has already departed")
            // The rules' order: departed before the booked date, the fare before departed.
            try await refusal("BKD100", -2, as: Self.jordan, "the flight has already departed")
            try await refusal("BKD101", 6, as: Self.jordan, "Basic Economy fares cannot be changed")
            // A cancelled booking (never changed), before everything else.
            try await travel.execute("UPDATE bookings SET status = 'cancelled' WHERE confirmation IN ('BKT275', 'BKS602')")
            try await refusal("BKT275", 9, as: Self.sam, "this booking is cancelled")
            try await refusal("BKS602", 4, as: Self.sam, "this booking is cancelled")
            // Nothing was changed by the refused confirms.
            #expect(try await travel.count("bookings") == 7)
            #expect(try await travel.seats("SB204", 6) == 30)
            #expect(try await travel.seats("SB205", 9) == 14)
        }
    }

    @Test("another customer's booking is not_found, never described, and untouched", arguments: Engine.allCases)
    func changeScoping(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            for tool in ["check_change_flight", "confirm_flight_change"] {
                let call = try await travel.call(tool, #"{"confirmation":"BKS602","new_date":"\#(Self.day(4))"}"#)
                #expect(call.output == ["outcome": .string("not_found"), "confirmation": .string("BKS602"), "new_date": .string(Self.day(4))], "\(tool)")
                let missing = try await travel.call(tool, #"{"confirmation":"BKX000","new_date":"\#(Self.day(6))"}"#)
                #expect(missing.outcome == "not_found", "\(tool)")
                let anonymous = try await travel.call(tool, #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#, as: Self.anonymous)
                #expect(anonymous.outcome == "not_found", "\(tool)")
                let stranger = try await travel.call(tool, #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#, as: Self.stranger)
                #expect(stranger.outcome == "not_found", "\(tool)")
            }
            let sams = try #require(try await travel.booking("BKS602"))
            #expect(sams["status"] == .text("confirmed") && sams["flight_date"] == .text(Self.day(3)))
            #expect(try await travel.booking("BKQ431")?["status"] == .text("confirmed"))
            #expect(try await travel.count("bookings") == 5)
        }
    }

    // MARK: Flight changes: confirming

    @Test("confirm_flight_change makes the new booking, cancels the old one pointing at it, and moves the seat", arguments: Engine.allCases)
    func confirmChange(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let arguments = #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#
            let check = try await travel.call("check_change_flight", arguments)
            let call = try await travel.call("confirm_flight_change", arguments)
            #expect(call.outcome == "confirmed")
            let new = try #require(call["new_confirmation"]?.stringValue)
            // BK, a letter other than I and O, 100 to 999.
            #expect(new.wholeMatch(of: /BK[A-HJ-NP-Z][1-9][0-9]{2}/) != nil, "\(new)")
            #expect(new != "BKQ431")
            #expect(call.output == [
                "outcome": .string("confirmed"), "confirmation": .string("BKQ431"), "new_date": .string(Self.day(6)),
                "flight_number": .string("SB204"), "old_confirmation": .string("BKQ431"), "new_confirmation": .string(new),
                "departure_time": .string("08:15"), "total": .string("105.00"), "currency": .string("USD"),
            ])
            #expect(call.keys == ["outcome", "confirmation", "new_date", "flight_number", "old_confirmation", "new_confirmation",
                                  "departure_time", "total", "currency"])
            #expect(call["total"] == check["total"])
            #expect(call.sources == [
                travel.source("bookings", "BKQ431"), travel.source("bookings", new), travel.source("flights", "SB204 \(Self.day(6))"),
            ])

            let old = try #require(try await travel.booking("BKQ431"))
            #expect(old["status"] == .text("cancelled"))
            #expect(old["replaced_by"] == .text(new))
            let booked = try #require(try await travel.booking(new))
            #expect(booked["customer_id"] == .text("C-1001"))
            #expect(booked["status"] == .text("confirmed"))
            #expect(booked["flight_number"] == .text("SB204") && booked["flight_date"] == .text(Self.day(6)))
            #expect(booked["fare_class"] == .text("Y"))
            #expect(booked["seat"] == .text("14C"))
            // What was paid plus the fare difference.
            #expect(booked["fare_paid_cents"] == .integer(32_900 + 3_000))
            #expect(booked["replaced_by"] == .null)
            // The seat is given back on +5 and taken on +6.
            #expect(try await travel.seats("SB204", 5) == 17 + 1)
            #expect(try await travel.seats("SB204", 6) == 30 - 1)
            #expect(try await travel.count("bookings") == 6)

            let listed = try await travel.call("load_user_flight_info")
            #expect(listed.column("bookings", "confirmation") == [new, "BKR518"])
            // The old booking is now refused, pointing at the new one, which itself can be changed.
            let again = try await travel.call("check_change_flight", arguments)
            #expect(again["reason"] == .string("this booking was already changed to booking \(new)"))
            #expect(try await travel.call("check_change_flight", #"{"confirmation":"\#(new)","new_date":"\#(Self.day(8))"}"#).outcome == "available")
        }
    }

    @Test("a second confirm of the same old booking is refused and changes nothing", arguments: Engine.allCases)
    func secondConfirmRefused(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let first = try await travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#)
            #expect(first.outcome == "confirmed")
            let new = try #require(first["new_confirmation"]?.stringValue)
            let seats = try await travel.seats("SB204", 8)
            let second = try await travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(8))"}"#)
            #expect(second.output == [
                "outcome": .string("not_changeable"), "confirmation": .string("BKQ431"), "new_date": .string(Self.day(8)),
                "reason": .string("this booking was already changed to booking \(new)"),
            ])
            #expect(try await travel.seats("SB204", 8) == seats)
            #expect(try await travel.seats("SB204", 6) == 29)
            #expect(try await travel.count("bookings") == 6)
            #expect(try await travel.booking("BKQ431")?["replaced_by"] == .text(new))
        }
    }

    @Test("concurrent confirms of one booking: exactly one is confirmed, one seat is taken", arguments: Engine.allCases)
    func concurrentConfirms(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let offsets = [6, 8, 10, 11, 6, 8]
            let seatsBefore = try await offsets.asyncMap { try await travel.seats("SB204", $0) }
            let answers = try await travel.overlapping(lock: "SELECT 1 FROM bookings WHERE confirmation = 'BKQ431' FOR UPDATE") {
                try await withThrowingTaskGroup(of: Answer.self) { group in
                    for offset in offsets {
                        group.addTask {
                            try await travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(offset))"}"#)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(answers.count == offsets.count)
            let confirmed = answers.filter { $0.outcome == "confirmed" }
            #expect(confirmed.count == 1, "\(answers.map(\.result.output))")
            let new = try #require(confirmed.first?["new_confirmation"]?.stringValue)
            for answer in answers where answer.outcome != "confirmed" {
                #expect(answer.outcome == "not_changeable", "\(answer.result.output)")
                #expect(answer["reason"] == .string("this booking was already changed to booking \(new)"))
            }
            #expect(try await travel.count("bookings", where: "customer_id = 'C-1001' AND status = 'confirmed' AND flight_number = 'SB204'") == 1)
            #expect(try await travel.count("bookings") == 6)
            // One seat taken on the winner's date, none on the others; BKQ431's given back.
            let date = try #require(confirmed.first?["new_date"]?.stringValue)
            for (offset, before) in zip(offsets, seatsBefore) {
                let expected = (before ?? 0) - (Self.day(offset) == date ? 1 : 0)
                #expect(try await travel.seats("SB204", offset) == expected, "+\(offset)")
            }
            #expect(try await travel.seats("SB204", 5) == 18)
        }
    }

    @Test("two bookings racing for the last seat: one moves, the other is refused inside its transaction", arguments: Engine.allCases)
    func lastSeat(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // A second SB204 booking on +5, for Sam, and one seat left on +6.
            try await travel.execute("""
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES ('BKW777', 'C-1002', 'SB204', '\(Self.day(5))', 'Y', 32900, '15A', 'confirmed')
                """)
            try await travel.execute("UPDATE flights SET seats_available = 1 WHERE number = 'SB204' AND date = '\(Self.day(6))'")
            let answers = try await travel.overlapping(lock: "SELECT 1 FROM bookings WHERE confirmation IN ('BKQ431', 'BKW777') FOR UPDATE") {
                async let alex = travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#, as: Self.alex)
                async let sam = travel.call("confirm_flight_change", #"{"confirmation":"BKW777","new_date":"\#(Self.day(6))"}"#, as: Self.sam)
                return try await [alex, sam]
            }
            #expect(answers.map(\.outcome).sorted() == ["confirmed", "unavailable"], "\(answers.map(\.result.output))")
            let refused = try #require(answers.first { $0.outcome == "unavailable" })
            #expect(refused["flight_number"] == .string("SB204"))
            #expect(try await travel.seats("SB204", 6) == 0)
            #expect(try await travel.count("bookings", where: "flight_date = '\(Self.day(6))' AND status = 'confirmed'") == 1)
            #expect(try await travel.count("bookings", where: "flight_date = '\(Self.day(5))' AND status = 'confirmed'") == 1)
        }
    }

    @Test("moves in opposite directions between two departures do not deadlock", arguments: Engine.allCases)
    func crossingMoves(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            try await travel.execute("""
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES ('BKW778', 'C-1002', 'SB204', '\(Self.day(6))', 'Y', 35900, '15B', 'confirmed')
                """)
            let answers = try await travel.overlapping(lock: "SELECT 1 FROM bookings WHERE confirmation IN ('BKQ431', 'BKW778') FOR UPDATE") {
                async let forward = travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#, as: Self.alex)
                async let backward = travel.call("confirm_flight_change", #"{"confirmation":"BKW778","new_date":"\#(Self.day(5))"}"#, as: Self.sam)
                return try await [forward, backward]
            }
            #expect(answers.map(\.outcome) == ["confirmed", "confirmed"], "\(answers.map(\.result.output))")
            // Moving back a cheaper fare costs the fee only.
            #expect(answers[1]["total"] == .string("75.00"))
            #expect(try await travel.seats("SB204", 5) == 17)
            #expect(try await travel.seats("SB204", 6) == 30)
        }
    }

    @Test("confirm decides again inside its transaction: a seat or departure gone since the check is unavailable, nothing changed",
          arguments: Engine.allCases)
    func confirmRechecks(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let arguments = #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#
            for arrange in [
                // Someone else takes the last seats between the check and the confirmation …
                "UPDATE flights SET seats_available = 0 WHERE number = 'SB204' AND date = '\(Self.day(6))'",
                // … the departure is cancelled …
                "UPDATE flights SET seats_available = 30, status = 'cancelled' WHERE number = 'SB204' AND date = '\(Self.day(6))'",
                // … or taken off the schedule.
                "DELETE FROM flights WHERE number = 'SB204' AND date = '\(Self.day(6))'",
            ] {
                #expect(try await travel.call("check_change_flight", arguments).outcome == "available", "\(arrange)")
                #expect(try await travel.execute(arrange) == 1)
                let call = try await travel.call("confirm_flight_change", arguments)
                #expect(call.output == [
                    "outcome": .string("unavailable"), "confirmation": .string("BKQ431"), "new_date": .string(Self.day(6)),
                    "flight_number": .string("SB204"),
                ], "\(arrange)")
                let booking = try #require(try await travel.booking("BKQ431"))
                #expect(booking["status"] == .text("confirmed") && booking["replaced_by"] == .null)
                #expect(try await travel.count("bookings") == 5)
                #expect(try await travel.seats("SB204", 5) == 17)
                // The departure again, for the next round.
                if arrange.hasPrefix("DELETE") { break }
                try await travel.execute("UPDATE flights SET seats_available = 30, status = 'on time' WHERE number = 'SB204' AND date = '\(Self.day(6))'")
            }
        }
    }

    @Test("a failure midway through a change leaves every row as it was", arguments: Engine.allCases)
    func atomicity(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // Taking a seat is the last step: the new booking is inserted, the old one cancelled
            // and its seat given back before this trigger fails the statement.
            switch engine {
            case .sqlite:
                try await travel.execute("""
                    CREATE TRIGGER fail_seat_taking BEFORE UPDATE OF seats_available ON flights
                    WHEN NEW.seats_available < OLD.seats_available
                    BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                    """)
            case .postgres:
                try await travel.execute("""
                    CREATE FUNCTION fail_seat_taking() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$
                    """)
                try await travel.execute("""
                    CREATE TRIGGER fail_seat_taking BEFORE UPDATE OF seats_available ON flights
                    FOR EACH ROW WHEN (NEW.seats_available < OLD.seats_available) EXECUTE FUNCTION fail_seat_taking()
                    """)
            }
            let call = try await travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#)
            #expect(call.outcome == "error")
            #expect(call.errorCode == "data_unavailable", "\(call.result.output)")
            #expect(!call.errorMessage.contains("injected failure"), "the database's words stay in the hub")
            #expect(call.sources == [])
            let old = try #require(try await travel.booking("BKQ431"))
            #expect(old["status"] == .text("confirmed"))
            #expect(old["replaced_by"] == .null)
            #expect(try await travel.count("bookings") == 5)
            #expect(try await travel.seats("SB204", 5) == 17)
            #expect(try await travel.seats("SB204", 6) == 30)
        }
    }

    // MARK: Hotel lookups

    @Test("load_user_reservation_info lists the caller's current and upcoming stays", arguments: Engine.allCases)
    func loadReservations(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let call = try await travel.call("load_user_reservation_info")
            #expect(call.outcome == "found")
            #expect(call.keys == ["outcome", "customer_name", "reservations", "count"])
            #expect(call["customer_name"] == .string("Alex Morgan"))
            #expect(call["count"] == .int(2))
            let first = try #require(call["reservations"]?.arrayValue?.first?.objectValue)
            #expect(first == [
                "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"), "city": .string("New York"),
                "check_in": .string(Self.day(5)), "check_out": .string(Self.day(8)), "nights": .int(3),
                "room_type": .string("King"), "status": .string("confirmed"),
            ])
            let last = try #require(call["reservations"]?.arrayValue?.last)
            #expect(last["confirmation"] == .string("H311702"))
            #expect(last["hotel"] == .string("Kensington Gardens Hotel") && last["city"] == .string("London"))
            #expect(last["check_in"] == .string(Self.day(13)) && last["nights"] == .int(4))
            #expect(call.sources == [travel.source("reservations", "H204518"), travel.source("reservations", "H311702")])
            let sam = try await travel.call("load_user_reservation_info", as: Self.sam)
            #expect(sam.column("reservations", "confirmation") == ["H402277"])
            let stranger = try await travel.call("load_user_reservation_info", as: Self.stranger)
            #expect(stranger.output == ["outcome": .string("not_found"), "customer_name": .string("Pat Unknown")])
            #expect(try await travel.call("load_user_reservation_info", as: Self.anonymous).output == ["outcome": .string("not_found")])
        }
    }

    @Test("check_reservation_status finds the caller's reservation only", arguments: Engine.allCases)
    func reservationStatus(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let call = try await travel.call("check_reservation_status", #"{"confirmation":"H204518"}"#)
            #expect(call.output == [
                "outcome": .string("found"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "city": .string("New York"), "address": .string("88 Water Street, New York, NY 10005"),
                "check_in": .string(Self.day(5)), "check_out": .string(Self.day(8)), "nights": .int(3),
                "room_type": .string("King"), "status": .string("confirmed"),
            ])
            #expect(call.keys == ["outcome", "confirmation", "hotel", "city", "address", "check_in", "check_out", "nights", "room_type", "status"])
            #expect(call.sources == [travel.source("reservations", "H204518")])
            let other = try await travel.call("check_reservation_status", #"{"confirmation":"H402277"}"#)
            #expect(other.output == ["outcome": .string("not_found"), "confirmation": .string("H402277")])
            #expect(try await travel.call("check_reservation_status", #"{"confirmation":"H000000"}"#).outcome == "not_found")
            #expect(try await travel.call("check_reservation_status", #"{"confirmation":"H204518"}"#, as: Self.anonymous).outcome == "not_found")
            // Any status is told.
            try await travel.execute("UPDATE reservations SET status = 'cancelled' WHERE confirmation = 'H311702'")
            #expect(try await travel.call("check_reservation_status", #"{"confirmation":"H311702"}"#)["status"] == .string("cancelled"))
        }
    }

    // MARK: Hotel changes

    @Test("check_change_reservation quotes the new stay, keeping the length when nights is left out", arguments: Engine.allCases)
    func checkChangeReservationAvailable(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let call = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(9))"}"#)
            #expect(call.output == [
                "outcome": .string("available"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "old_check_in": .string(Self.day(5)), "old_check_out": .string(Self.day(8)),
                "check_in": .string(Self.day(9)), "check_out": .string(Self.day(12)), "nights": .int(3),
                "nightly_rate": .string("289.00"), "change_fee": .string("25.00"), "total": .string("892.00"),
                "currency": .string("USD"), "rooms_available": .int(2),
            ])
            #expect(call.keys == ["outcome", "confirmation", "check_in", "hotel", "check_out", "old_check_in", "old_check_out",
                                  "nights", "nightly_rate", "change_fee", "total", "currency", "rooms_available"])
            #expect(call.sources == [travel.source("reservations", "H204518")])
            let shorter = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(6))","nights":2}"#)
            #expect(shorter["check_out"] == .string(Self.day(8)))
            #expect(shorter["nights"] == .int(2))
            #expect(shorter["total"] == .string("603.00"))
            // Overlapping its own nights does not count against itself.
            #expect(shorter["rooms_available"] == .int(2))
            // The London hotel charges no change fee.
            let london = try await travel.call("check_change_reservation", #"{"confirmation":"H311702","check_in":"\#(Self.day(14))","nights":1}"#)
            #expect(london["change_fee"] == .string("0.00") && london["total"] == .string("265.00") && london["rooms_available"] == .int(4))
            // A quote changes nothing.
            let stay = try #require(try await travel.reservation("H204518"))
            #expect(stay["check_in"] == .text(Self.day(5)) && stay["check_out"] == .text(Self.day(8)) && stay["nights"] == .integer(3))
        }
    }

    @Test("check_change_reservation is unavailable on sold-out or past nights, or for a stay that is over", arguments: Engine.allCases)
    func checkChangeReservationUnavailable(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // Both King rooms are taken on +20 (H402277 +20…+22, H402291 +19…+22).
            let soldOut = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(19))","nights":2}"#)
            #expect(soldOut.output == [
                "outcome": .string("unavailable"), "confirmation": .string("H204518"), "check_in": .string(Self.day(19)),
                "nights": .int(2), "hotel": .string("Harbor View Hotel"), "check_out": .string(Self.day(21)),
            ])
            #expect(soldOut.keys == ["outcome", "confirmation", "check_in", "nights", "hotel", "check_out"])
            // The refused reservation.
            #expect(soldOut.sources == [travel.source("reservations", "H204518")])
            // Keeping its three nights from +17 reaches +19.
            let keeping = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(18))"}"#)
            #expect(keeping.output == [
                "outcome": .string("unavailable"), "confirmation": .string("H204518"), "check_in": .string(Self.day(18)),
                "hotel": .string("Harbor View Hotel"), "check_out": .string(Self.day(21)),
            ])
            let past = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(-2))"}"#)
            #expect(past.outcome == "unavailable")
            #expect(past.sources == [travel.source("reservations", "H204518")])
            // A stay that ended yesterday cannot be moved.
            try await travel.execute("""
                INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                VALUES ('H100001', 'C-1001', 'KGLON', 'Double', '\(Self.day(-3))', '\(Self.day(-1))', 2, 'confirmed')
                """)
            #expect(try await travel.call("check_change_reservation", #"{"confirmation":"H100001","check_in":"\#(Self.day(10))"}"#).outcome == "unavailable")
            // Another customer's, a cancelled one, an unknown one: not found.
            let other = try await travel.call("check_change_reservation", #"{"confirmation":"H402277","check_in":"\#(Self.day(9))"}"#)
            #expect(other.output == ["outcome": .string("not_found"), "confirmation": .string("H402277"), "check_in": .string(Self.day(9))])
            try await travel.execute("UPDATE reservations SET status = 'cancelled' WHERE confirmation = 'H311702'")
            #expect(try await travel.call("check_change_reservation", #"{"confirmation":"H311702","check_in":"\#(Self.day(20))"}"#).outcome == "not_found")
            #expect(try await travel.call("check_change_reservation", #"{"confirmation":"H000000","check_in":"\#(Self.day(20))"}"#).outcome == "not_found")
            // Lengths outside 1…30 never reach the data.
            let tooLong = try await travel.call("check_change_reservation", #"{"confirmation":"H204518","check_in":"\#(Self.day(9))","nights":31}"#)
            #expect(tooLong.errorCode == "invalid_arguments")
        }
    }

    @Test("availability counts the busiest night of other reservations and leaves out the one being moved", arguments: Engine.allCases)
    func roomAvailability(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // King rooms: 2. H204518 (Alex) holds nights +5…+7, H402291 (Jordan) +19…+22, H402277 (Sam) +20…+22.
            func rooms(_ confirmation: String, _ offset: Int, _ nights: Int, as context: ToolContext) async throws -> Int? {
                let call = try await travel.call(
                    "check_change_reservation", #"{"confirmation":"\#(confirmation)","check_in":"\#(Self.day(offset))","nights":\#(nights)}"#, as: context)
                return call.outcome == "unavailable" ? 0 : call["rooms_available"]?.intValue
            }
            #expect(try await rooms("H204518", 17, 2, as: Self.alex) == 2)
            #expect(try await rooms("H204518", 18, 2, as: Self.alex) == 1)
            #expect(try await rooms("H204518", 18, 3, as: Self.alex) == 0)
            // Sam's own nights on +20 do not count against his move.
            #expect(try await rooms("H402277", 18, 3, as: Self.sam) == 1)
            #expect(try await rooms("H402277", 6, 1, as: Self.sam) == 1)
            #expect(try await rooms("H204518", 6, 1, as: Self.alex) == 2)
            // The check-out morning is not a night.
            #expect(try await rooms("H402277", 8, 1, as: Self.sam) == 2)
            #expect(try await rooms("H402277", 4, 1, as: Self.sam) == 2)
            // Cancelled stays hold no room.
            try await travel.execute("UPDATE reservations SET status = 'cancelled' WHERE confirmation = 'H402291'")
            #expect(try await rooms("H204518", 18, 3, as: Self.alex) == 1)
        }
    }

    @Test("confirm_reservation_change moves the stay and the rooms it holds", arguments: Engine.allCases)
    func confirmReservationChange(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let arguments = #"{"confirmation":"H204518","check_in":"\#(Self.day(17))","nights":2}"#
            let check = try await travel.call("check_change_reservation", arguments)
            let call = try await travel.call("confirm_reservation_change", arguments)
            #expect(call.output == [
                "outcome": .string("confirmed"), "confirmation": .string("H204518"), "hotel": .string("Harbor View Hotel"),
                "check_in": .string(Self.day(17)), "check_out": .string(Self.day(19)), "nights": .int(2),
                "total": .string("603.00"), "currency": .string("USD"),
            ])
            #expect(call.keys == ["outcome", "confirmation", "check_in", "nights", "hotel", "check_out", "total", "currency"])
            #expect(call["total"] == check["total"])
            #expect(call.sources == [travel.source("reservations", "H204518")])
            let stay = try #require(try await travel.reservation("H204518"))
            #expect(stay["check_in"] == .text(Self.day(17)) && stay["check_out"] == .text(Self.day(19)) && stay["nights"] == .integer(2))
            #expect(stay["status"] == .text("confirmed"))
            // Its old nights are free again, its new ones taken (seen by Sam moving his stay).
            func samsRooms(_ offset: Int, _ nights: Int) async throws -> Int? {
                try await travel.call(
                    "check_change_reservation", #"{"confirmation":"H402277","check_in":"\#(Self.day(offset))","nights":\#(nights)}"#, as: Self.sam
                )["rooms_available"]?.intValue
            }
            #expect(try await samsRooms(5, 3) == 2)
            #expect(try await samsRooms(17, 2) == 1)
            // Keeping the length: nights left out is the stay's current two.
            let again = try await travel.call("confirm_reservation_change", #"{"confirmation":"H204518","check_in":"\#(Self.day(10))"}"#)
            #expect(again["check_out"] == .string(Self.day(12)) && again["nights"] == .int(2))
            #expect(again["total"] == .string("603.00"))
            #expect(try await travel.call("load_user_reservation_info").column("reservations", "check_in") == [Self.day(10), Self.day(13)])
        }
    }

    @Test("confirm_reservation_change decides again inside its transaction and is scoped to the caller", arguments: Engine.allCases)
    func confirmReservationRechecks(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let arguments = #"{"confirmation":"H204518","check_in":"\#(Self.day(24))"}"#
            #expect(try await travel.call("check_change_reservation", arguments).outcome == "available")
            // Both King rooms are booked by others between the check and the confirmation.
            try await travel.execute("""
                INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                VALUES ('H900001', 'C-1002', 'HVNYC', 'King', '\(Self.day(25))', '\(Self.day(26))', 1, 'confirmed'),
                       ('H900002', 'C-1003', 'HVNYC', 'King', '\(Self.day(25))', '\(Self.day(26))', 1, 'confirmed')
                """)
            let call = try await travel.call("confirm_reservation_change", arguments)
            #expect(call.output == [
                "outcome": .string("unavailable"), "confirmation": .string("H204518"), "check_in": .string(Self.day(24)),
                "hotel": .string("Harbor View Hotel"), "check_out": .string(Self.day(27)),
            ])
            #expect(call.sources == [travel.source("reservations", "H204518")])
            let stay = try #require(try await travel.reservation("H204518"))
            #expect(stay["check_in"] == .text(Self.day(5)) && stay["nights"] == .integer(3))

            let other = try await travel.call("confirm_reservation_change", #"{"confirmation":"H402277","check_in":"\#(Self.day(3))"}"#)
            #expect(other.output == ["outcome": .string("not_found"), "confirmation": .string("H402277"), "check_in": .string(Self.day(3))])
            #expect(try await travel.reservation("H402277")?["check_in"] == .text(Self.day(20)))
        }
    }

    @Test("two reservations racing for the last room: exactly one moves, no overbooking", arguments: Engine.allCases)
    func lastRoom(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            // King rooms: 2; Jordan takes one on +25, leaving one.
            try await travel.execute("""
                INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                VALUES ('H999001', 'C-1003', 'HVNYC', 'King', '\(Self.day(25))', '\(Self.day(26))', 1, 'confirmed')
                """)
            let answers = try await travel.overlapping(lock: "SELECT 1 FROM reservations WHERE confirmation IN ('H204518', 'H402277') FOR UPDATE") {
                async let alex = travel.call("confirm_reservation_change", #"{"confirmation":"H204518","check_in":"\#(Self.day(25))","nights":1}"#, as: Self.alex)
                async let sam = travel.call("confirm_reservation_change", #"{"confirmation":"H402277","check_in":"\#(Self.day(25))","nights":1}"#, as: Self.sam)
                return try await [alex, sam]
            }
            #expect(answers.map(\.outcome).sorted() == ["confirmed", "unavailable"], "\(answers.map(\.result.output))")
            #expect(try await travel.count("reservations", where: "check_in = '\(Self.day(25))' AND room_type = 'King' AND status = 'confirmed'") == 2)
            // No King room is left that night.
            let jordan = try await travel.call("check_change_reservation", #"{"confirmation":"H402291","check_in":"\#(Self.day(25))","nights":1}"#, as: Self.jordan)
            #expect(jordan.outcome == "unavailable")
        }
    }

    // MARK: Knowledge

    @Test("the flight knowledge answers a baggage question from flight/baggage.md")
    func knowledgeBaggage() async throws {
        let registry = try Self.knowledgeRegistry()
        let result = await registry.call(ToolCallRequest(callID: "k", name: "search_flight_knowledgebase",
                                                         arguments: #"{"query":"how many checked bags are included"}"#), context: Self.alex)
        let output = try #require(try JSONParser.parse(result.output).objectValue)
        #expect(result.outcome == "found")
        #expect(output.keys == ["outcome", "query", "answer", "results"])
        #expect(output["query"] == .string("how many checked bags are included"))
        let results = try #require(output["results"]?.arrayValue)
        let best = try #require(results.first)
        #expect(best["source"] == .string("flight/baggage.md"))
        #expect(best["title"] == .string("Checked bags"))
        #expect(output["answer"] == best["text"])
        #expect((best["score"]?.doubleValue ?? 0) > 0)
        #expect(results.allSatisfy { $0["source"]?.stringValue?.hasPrefix("flight/") == true })
        #expect(result.sources.first == .object(["source": .string("flight/baggage.md"), "title": .string("Checked bags")]))
        #expect(result.sources.count == results.count)
    }

    @Test("each knowledge tool stays in its folder; nonsense is not_found")
    func knowledgeDomains() async throws {
        let registry = try Self.knowledgeRegistry()
        func search(_ tool: String, _ query: String) async throws -> (ToolCallResult, JSONObject) {
            let result = await registry.call(ToolCallRequest(callID: "k", name: tool, arguments: #"{"query":"\#(query)"}"#), context: Self.alex)
            return (result, try #require(try JSONParser.parse(result.output).objectValue))
        }
        let (hotel, hotelOutput) = try await search("search_hotel_knowledgebase", "can I bring my dog, pets policy")
        #expect(hotel.outcome == "found")
        #expect(hotelOutput["results"]?.arrayValue?.first?["source"] == .string("hotel/pets.md"))
        #expect(hotelOutput["results"]?.arrayValue?.allSatisfy { $0["source"]?.stringValue?.hasPrefix("hotel/") == true } == true)
        #expect(hotel.sources.allSatisfy { $0["source"]?.stringValue?.hasPrefix("hotel/") == true })
        // The same question to the flight documents finds their own pets page.
        let (flight, flightOutput) = try await search("search_flight_knowledgebase", "can I bring my dog, pets policy")
        #expect(flight.outcome == "found")
        #expect(flightOutput["results"]?.arrayValue?.first?["source"] == .string("flight/pets.md"))
        // A hotel subject finds its page.
        let (parking, parkingOutput) = try await search("search_hotel_knowledgebase", "where can I park my car")
        #expect(parking.outcome == "found")
        #expect(parkingOutput["results"]?.arrayValue?.first?["source"] == .string("hotel/parking.md"))
        for tool in ["search_flight_knowledgebase", "search_hotel_knowledgebase"] {
            let (nonsense, output) = try await search(tool, "xylophone quasar zeppelin")
            #expect(output == ["outcome": .string("not_found"), "query": .string("xylophone quasar zeppelin")], "\(tool)")
            #expect(nonsense.sources.isEmpty)
        }
        let (empty, emptyOutput) = try await search("search_hotel_knowledgebase", "")
        #expect(empty.outcome == "error")
        #expect(emptyOutput["error"]?["code"] == .string("invalid_arguments"))
        #expect(emptyOutput["error"]?["message"] == .string("query: must not be empty"))
    }

    /// The pack's knowledge tools, as `PackRuntime` makes them (a database that is never used).
    static func knowledgeRegistry() throws -> ToolRegistry {
        let runtime = try PackRuntime(pack: try pack(), database: UnusedDatabase())
        return runtime.tools
    }

    // MARK: Customers

    @Test("a customer is found by id, and by phone in any formatting", arguments: Engine.allCases)
    func customers(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let runtime = travel.runtime
            #expect(try await runtime.customer(id: "C-1001") == CustomerRecord(id: "C-1001", name: "Alex Morgan"))
            #expect(try await runtime.customer(id: "C-1003")?.name == "Jordan Lee")
            #expect(try await runtime.customer(id: "C-9999") == nil)
            #expect(try await runtime.customer(id: "") == nil)
            for phone in ["+14155550142", "+1 415 555 0142", "+1 (415) 555-0142", "+1.415.555.0142", "+1-415-555-0142"] {
                #expect(try await runtime.customer(phone: phone) == CustomerRecord(id: "C-1001", name: "Alex Morgan"), "\(phone)")
            }
            #expect(try await runtime.customer(phone: "+12125550187")?.id == "C-1002")
            #expect(try await runtime.customer(phone: "+44 20 7946 0321")?.id == "C-1003")
            // Not a customer's number, or not a number in E.164.
            for phone in ["+14155550199", "4155550142", "+1 415 555 0142 x", "", "+0"] {
                #expect(try await runtime.customer(phone: phone) == nil, "\(phone)")
            }
        }
    }

    // MARK: Creating, seeding and keeping the data

    @Test("the first open creates and seeds the pack where the seed puts its rows", arguments: Engine.allCases)
    func seeded(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            #expect(travel.wasSeeded)
            #expect(travel.database.engine == engine.rawValue)
            for (table, count) in [("customers", 3), ("fare_rules", 3), ("flights", 6 * 34), ("bookings", 5), ("hotels", 2),
                                   ("hotel_rooms", 4), ("reservations", 4), ("switchboard_pack", 1)] {
                #expect(try await travel.count(table) == count, "\(table)")
            }
            // Six routes, every day from -3 to +30.
            let schedule = try await travel.rows("SELECT number, MIN(date) AS first, MAX(date) AS last, COUNT(*) AS days FROM flights GROUP BY number ORDER BY number")
            #expect(schedule.map { $0["number"] ?? .null } == ["SB118", "SB119", "SB204", "SB205", "SB311", "SB312"].map(SQLValue.text))
            #expect(schedule.allSatisfy { $0["first"] == .text(Self.day(-3)) && $0["last"] == .text(Self.day(30)) && $0["days"] == .integer(34) })
            let statuses = try await travel.rows("SELECT DISTINCT status FROM flights ORDER BY status").map { $0["status"] }
            #expect(statuses == [.text("cancelled"), .text("delayed"), .text("on time")])
            #expect(try await travel.seats("SB204", 7) == 0)
            #expect(try await travel.seats("SB312", 6) == 0)
            // Bookings paid their class's share of the base fare.
            #expect(try await travel.booking("BKS602")?["fare_paid_cents"] == .integer(17_400 * 80 / 100))
            #expect(try await travel.booking("BKT275")?["fare_paid_cents"] == .integer(37_900 * 3))
            let stay = try #require(try await travel.reservation("H402291"))
            #expect(stay["check_in"] == .text(Self.day(19)) && stay["check_out"] == .text(Self.day(23)) && stay["nights"] == .integer(4))
        }
    }

    @Test("a second open keeps the data, the changes made and the dates, and seeds nothing", arguments: Engine.allCases)
    func reopenKeepsData(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let first = try await place.open()
        #expect(first.wasSeeded)
        #expect(try await first.execute("UPDATE customers SET name = 'Alexandra Morgan' WHERE id = 'C-1001'") == 1)
        let change = try await first.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#)
        let new = try #require(change["new_confirmation"]?.stringValue)
        await first.database.shutdown()

        // Ten days later: nothing is seeded again, nothing moves.
        let second = try await place.open(today: Self.today.adding(days: 10))
        #expect(!second.wasSeeded)
        #expect(try await second.runtime.customer(id: "C-1001")?.name == "Alexandra Morgan")
        #expect(try await second.count("customers") == 3)
        #expect(try await second.count("flights") == 6 * 34)
        #expect(try await second.count("bookings") == 6)
        #expect(try await second.count("switchboard_pack") == 1)
        #expect(try await second.booking("BKQ431")?["replaced_by"] == .text(new))
        #expect(try await second.booking(new)?["flight_date"] == .text(Self.day(6)))
        #expect(try await second.seats("SB204", 6) == 29)
        #expect(try await second.value("SELECT MAX(date) FROM flights") == .text(Self.day(30)))
        await second.database.shutdown()
    }

    @Test("a place holding the pack's tables without its marker is refused as corrupt", arguments: Engine.allCases)
    func foreignTables(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let first = try await place.open()
        try await first.execute("DROP TABLE switchboard_pack")
        await first.database.shutdown()
        let error = await #expect(throws: DataError.self) { _ = try await place.open() }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.contains("not made for a pack") == true, "\(error?.message ?? "")")
    }

    @Test("the schema's keys hold: a booking for nobody is a constraint error and changes nothing", arguments: Engine.allCases)
    func constraints(engine: Engine) async throws {
        try await withTravel(engine) { (travel) async throws in
            let error = await #expect(throws: DataError.self) {
                try await travel.execute("""
                    INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, status)
                    VALUES ('BKZ999', 'C-4040', 'SB204', '\(Self.day(1))', 'Y', 100, 'confirmed')
                    """)
            }
            #expect(error?.kind == .constraint)
            #expect(try await travel.count("bookings", where: "confirmation = 'BKZ999'") == 0)
        }
    }

    @Test("a shut-down database answers every data tool with data_unavailable", arguments: Engine.allCases)
    func shutDown(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        do {
            let travel = try await place.open()
            await travel.database.shutdown()
            for (tool, arguments) in [
                ("load_user_flight_info", "{}"), ("check_flight_status", #"{"flight_number":"SB204"}"#),
                ("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#),
                ("check_reservation_status", #"{"confirmation":"H204518"}"#),
            ] {
                let call = try await travel.call(tool, arguments)
                #expect(call.errorCode == "data_unavailable", "\(tool): \(call.result.output)")
            }
            await #expect(throws: DataError.self) { _ = try await travel.runtime.customer(id: "C-1001") }
        }
    }

    // MARK: SQLite only

    @Test("SQLite: the first open creates the directories; the connection uses WAL and enforces foreign keys")
    func sqliteFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-travel-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/dir/switchboard.travel.sqlite").path
        let data = try #require(try Self.pack().data)
        let database = try await SQLitePackDatabase.open(path: path, schema: data.schema, seed: data.seed, today: Self.today.date())
        #expect(database.wasSeeded)
        #expect(FileManager.default.fileExists(atPath: path))
        let mode = try await database.read { try await $0.rows(try NamedStatement("PRAGMA journal_mode"), [:]) }
        #expect(mode.first?.values.first == .text("wal"))
        let keys = try await database.read { try await $0.rows(try NamedStatement("PRAGMA foreign_keys"), [:]) }
        #expect(keys.first?.values.first == .integer(1))
        await database.shutdown()
    }

    @Test("SQLite: a file that is not a database is corrupt; a path that cannot be made is unavailable")
    func sqliteBadPaths() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-travel-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = try #require(try Self.pack().data)
        let garbage = directory.appendingPathComponent("garbage.sqlite")
        try Data(repeating: 0x42, count: 4096).write(to: garbage)
        let corrupt = await #expect(throws: DataError.self) {
            _ = try await SQLitePackDatabase.open(path: garbage.path, schema: data.schema, seed: data.seed)
        }
        #expect(corrupt?.kind == .corrupt)
        // A regular file where the parent directory should be.
        let blocker = directory.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let unavailable = await #expect(throws: DataError.self) {
            _ = try await SQLitePackDatabase.open(path: blocker.appendingPathComponent("switchboard.travel.sqlite").path,
                                                  schema: data.schema, seed: data.seed)
        }
        #expect(unavailable?.kind == .unavailable)
    }

    // MARK: PostgreSQL only

    @Test("PostgreSQL: replicas starting together on an empty database seed the pack once")
    func replicasSeedOnce() async throws {
        let place = try await Place.new(.postgres)
        let replicas = try await withThrowingTaskGroup(of: Travel.self) { group in
            for _ in 0..<4 { group.addTask { try await place.open() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replicas.filter(\.wasSeeded).count == 1)
        #expect(try await replicas[0].count("customers") == 3)
        #expect(try await replicas[0].count("flights") == 6 * 34)
        #expect(try await replicas[0].count("switchboard_pack") == 1)
        for replica in replicas { await replica.database.shutdown() }
    }

    @Test("PostgreSQL: no server at the address fails unavailable within the connection timeout, naming the address")
    func nobodyListening() async throws {
        let port = try PostgresTestServer.freePort()
        let data = try #require(try Self.pack().data)
        let started = ContinuousClock.now
        let error = await #expect(throws: DataError.self) {
            _ = try await PostgresPackDatabase.connect(
                url: "postgres://switchboard:x@127.0.0.1:\(port)/none?sslmode=disable", pack: "travel",
                schema: data.schema, seed: data.seed, options: Self.options, logger: Self.logger)
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        #expect(ContinuousClock.now - started < .seconds(20), "fails instead of waiting for the pool (60 s)")
    }

    @Test("PostgreSQL: a wrong password is unavailable, and the message does not show it")
    func wrongPassword() async throws {
        let url = try PostgresTestServer.current().url(database: "postgres", password: "wrong-password")
        let data = try #require(try Self.pack().data)
        let error = await #expect(throws: DataError.self) {
            _ = try await PostgresPackDatabase.connect(url: url, pack: "travel", schema: data.schema, seed: data.seed,
                                                       options: Self.options, logger: Self.logger)
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("wrong-password") == false)
    }

    @Test("PostgreSQL: the server going down mid-life: tools answer data_unavailable quickly, then recover; a failed change leaves nothing")
    func serverDown() async throws {
        // A server of its own: the suite's is shared by cases running meanwhile.
        let server = try await PostgresTestServer.start()
        do {
            let travel = try await Place(engine: .postgres, location: try await server.createDatabase()).open()
            #expect(try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#).outcome == "found")

            try await server.stop()
            let started = ContinuousClock.now
            let status = try await travel.call("check_flight_status", #"{"flight_number":"SB204"}"#)
            #expect(status.errorCode == "data_unavailable", "\(status.result.output)")
            let change = try await travel.call("confirm_flight_change", #"{"confirmation":"BKQ431","new_date":"\#(Self.day(6))"}"#)
            #expect(change.errorCode == "data_unavailable", "\(change.result.output)")
            #expect(ContinuousClock.now - started < .seconds(40))

            try await server.startAgain()
            var recovered: CustomerRecord?
            let deadline = ContinuousClock.now + .seconds(30)
            while recovered == nil, ContinuousClock.now < deadline {
                recovered = try? await travel.runtime.customer(id: "C-1001")
                if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered?.name == "Alex Morgan")
            // The failed change left nothing behind.
            let listed = try await travel.call("load_user_flight_info")
            #expect(listed.column("bookings", "confirmation") == ["BKQ431", "BKR518"])
            #expect(try await travel.count("bookings") == 5)
            await travel.database.shutdown()
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }
}

/// A database no case reaches: for the knowledge tools, which read the pack's documents.
private struct UnusedDatabase: PackDatabase {
    var engine: String { "unused" }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        throw DataError.unavailable("unused")
    }
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        throw DataError.unavailable("unused")
    }
    func prepare(_ statement: NamedStatement) async throws {}
    func shutdown() async {}
}

extension Array {
    /// The results of `transform` on each element, in order, one at a time.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

