import Foundation
import Logging
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardPostgres
import SwitchboardTools
import Testing

/// The clinic pack (Personas/clinic) on SQLite and on a real PostgreSQL server: its vocabulary
/// query, and its tools with and without the optional dentist (`:dentist IS NULL OR …`, which
/// PostgreSQL must type like SQLite).
@Suite("Clinic pack: vocabulary and optional arguments on SQLite and PostgreSQL", PostgresSuiteServer())
struct ClinicPackEngineTests {
    static let today = CalendarDate(iso: "2025-11-20")!
    static let alex = ToolContext(customer: Customer(name: "Alex Morgan", id: "C-1001"), sessionKey: "clinic-alex", today: today.date())
    static let packDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Personas/clinic").path

    private func open(_ engine: PackEngine) async throws -> (any PackDatabase, Pack) {
        var pack = try Pack.load(directory: Self.packDirectory)
        // Every tool gets the runtime's 30 s: these tests are about what the tools answer, and the
        // whole suite on two cores can hold a booking past the pack's own 5 s.
        pack.tools = pack.tools.map { tool in
            var tool = tool
            tool.timeout = nil
            return tool
        }
        let data = try #require(pack.data)
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-clinic-\(UUID().uuidString.prefix(8))")
            return (try await SQLitePackDatabase.open(path: directory.appendingPathComponent("clinic.sqlite").path, schema: data.schema,
                                                      seed: data.seed, today: Self.today.date()), pack)
        case .postgres:
            let url = try await PostgresTestServer.current().createDatabase()
            let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 4)
            return (try await PostgresPackDatabase.connect(url: url, pack: pack.name, schema: data.schema, seed: data.seed, today: Self.today.date(),
                                                           options: options, logger: Logger(label: "clinic", factory: { _ in SwiftLogNoOpLogHandler() })), pack)
        }
    }

    private func call(_ runtime: PackRuntime, _ name: String, _ arguments: String) async throws -> JSONObject {
        let result = await runtime.tools.call(ToolCallRequest(callID: "call", name: name, arguments: arguments), context: Self.alex)
        return try #require(try JSONParser.parse(result.output).objectValue, "\(result.output)")
    }

    @Test("the dentists' names are read for the recognizer; free times and a booking follow the dentist asked for", arguments: PackEngine.allCases)
    func dentist(_ engine: PackEngine) async throws {
        let (database, pack) = try await open(engine)
        let runtime = try PackRuntime(pack: pack, database: database, timeout: .seconds(30))
        do {
            #expect(try await PackVocabulary.load(pack, database: database) == ["dentist": ["Doctor Patel", "Doctor Nguyen"]])
            let tomorrow = Self.today.adding(days: 1).iso
            let any = try await call(runtime, "find_open_slots", #"{"date":"\#(tomorrow)"}"#)
            let dentists = Set((any["slots"]?.arrayValue ?? []).compactMap { $0["dentist"]?.stringValue })
            #expect(dentists == ["Doctor Patel", "Doctor Nguyen"], "\(any)")
            let nguyen = try await call(runtime, "find_open_slots", #"{"date":"\#(tomorrow)","dentist":"Doctor Nguyen"}"#)
            let slots = nguyen["slots"]?.arrayValue ?? []
            #expect(!slots.isEmpty && slots.allSatisfy { $0["dentist"] == .string("Doctor Nguyen") }, "\(nguyen)")
            let nobody = try await call(runtime, "find_open_slots", #"{"date":"\#(tomorrow)","dentist":"Doctor Who"}"#)
            #expect(nobody["outcome"] == .string("not_found"))
            let booked = try await call(runtime, "book_appointment", #"{"date":"\#(tomorrow)","reason":"checkup","dentist":"Doctor Nguyen"}"#)
            #expect(booked["outcome"] == .string("booked"), "\(booked)")
            #expect(booked["dentist"] == .string("Doctor Nguyen"))
            let first = try await call(runtime, "book_appointment", #"{"date":"\#(tomorrow)","reason":"cleaning"}"#)
            #expect(first["outcome"] == .string("booked"), "\(first)")
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}
