import Foundation
import RealtimeProtocol
import SwitchboardCalls
import Testing

@Suite("Call record JSON")
struct CallRecordJSONTests {
    static let started = Date(timeIntervalSince1970: 1_796_000_000.123)

    static let record = CallRecord(
        id: "call_0123456789abcdef0123456789abcdef", channel: .twilio, direction: .inbound, from: "+15551230001", to: "+15559870002",
        pack: "travel", sessionKey: "+15551230001", providerCallID: "CA1", startedAt: started,
        answeredAt: started.addingTimeInterval(1), endedAt: started.addingTimeInterval(61.25), endReason: .callerHungUp,
        agents: [AgentStep(agent: "greeter", at: started)],
        transcript: [TranscriptEntry(role: .user, text: "Hi \"there\"", at: started.addingTimeInterval(2))],
        toolCalls: [ToolCallEntry(callID: "t1", name: "find", arguments: "{}", startedAt: started.addingTimeInterval(3))],
        dtmf: [DTMFEntry(digits: "1#", at: started.addingTimeInterval(4))],
        cost: .object(["usd": .number("0.01")])
    )

    @Test func writesTheDocumentedShape() {
        let expected = """
            {"id":"call_0123456789abcdef0123456789abcdef","channel":"twilio","direction":"inbound","from":"+15551230001",\
            "to":"+15559870002","pack":"travel","tenant":null,"session_key":"+15551230001","customer":null,"provider_call_id":"CA1",\
            "started_at":"2026-11-30T00:53:20.123Z","answered_at":"2026-11-30T00:53:21.123Z","answered_by":null,"ended_at":"2026-11-30T00:54:21.373Z",\
            "end_reason":"caller_hung_up","duration_seconds":61.25,"agents":[{"agent":"greeter","at":"2026-11-30T00:53:20.123Z"}],\
            "transcript":[{"role":"user","text":"Hi \\"there\\"","at":"2026-11-30T00:53:22.123Z","agent":null}],\
            "tool_calls":[{"call_id":"t1","name":"find","agent":null,"arguments":"{}","output":null,"outcome":null,\
            "started_at":"2026-11-30T00:53:23.123Z","ended_at":null}],"dtmf":[{"digits":"1#","at":"2026-11-30T00:53:24.123Z"}],\
            "transfers":[],"recording":null,"analysis":null,"cost":{"usd":0.01}}
            """
        #expect(Self.record.jsonText == expected)
    }

    @Test func omitsTheDurationWhileOngoing() throws {
        var record = Self.record
        record.endedAt = nil
        let object = try #require(record.json.objectValue)
        #expect(object["duration_seconds"] == nil)
        #expect(object["ended_at"] == .null)
        record.endedAt = Self.started.addingTimeInterval(5)
        #expect(record.json["duration_seconds"] == .number("5"))
        record.endedAt = Self.started.addingTimeInterval(0.05)
        #expect(record.json["duration_seconds"] == .number("0.05"))
        record.endedAt = Self.started.addingTimeInterval(-1.001)
        #expect(record.json["duration_seconds"] == .number("-1.001"))
    }

    @Test func roundTripsGeneratedRecords() async throws {
        var random = SeededRandom(seed: 2026)
        for index in 0..<400 {
            if index % 20 == 0 { await Task.yield() }
            let record = random.record()
            let text = record.jsonText
            let decoded = try CallRecord(jsonText: text)
            #expect(decoded == record, "record \(index) of seed 2026")
            #expect(decoded.jsonText == text)
        }
    }

    @Test func roundsTimesToTheMillisecond() throws {
        var record = Self.record
        record.startedAt = Date(timeIntervalSince1970: 1_796_000_000.123_6)
        record.recording = .null
        let decoded = try CallRecord(json: record.json)
        #expect(decoded == record.withMillisecondTimes())
        #expect(decoded != record)
        #expect(CallTime.format(decoded.startedAt) == "2026-11-30T00:53:20.124Z")
        #expect(decoded.recording == nil)
    }

    @Test func readsMissingOptionalsAsNil() throws {
        let decoded = try CallRecord(jsonText: """
            {"id":"call_1","channel":"sip","direction":"outbound","session_key":"k","started_at":"2026-01-01T00:00:00Z",\
            "agents":[],"transcript":[],"tool_calls":[],"dtmf":[]}
            """)
        #expect(decoded == CallRecord(id: "call_1", channel: .sip, direction: .outbound, sessionKey: "k",
                                      startedAt: CallTime.date(milliseconds: 1_767_225_600_000)))
    }

    @Test(arguments: [
        ("id", JSONValue?.none, "\"id\" is missing"),
        ("id", .number("1"), "\"id\" is not a string"),
        ("channel", .string("fax"), "\"channel\" is not a valid value"),
        ("direction", nil, "\"direction\" is missing"),
        ("session_key", .null, "\"session_key\" is not a string"),
        ("started_at", .string("yesterday"), "\"started_at\" is not an RFC 3339 time"),
        ("started_at", nil, "\"started_at\" is missing"),
        ("ended_at", .number("5"), "\"ended_at\" is not a string or null"),
        ("end_reason", .string("bored"), "\"end_reason\" is not a valid value"),
        ("from", .bool(true), "\"from\" is not a string or null"),
        ("agents", nil, "\"agents\" is missing"),
        ("agents", .object([:]), "\"agents\" is not an array"),
        ("agents", .array([.string("x")]), "agents[0]: not a JSON object"),
        ("agents", .array([.object(["agent": .string("a")])]), "agents[0]: \"at\" is missing"),
        ("transcript", .array([.object(["role": .string("robot"), "text": .string(""), "at": .string("2026-01-01T00:00:00Z")])]),
         "transcript[0]: \"role\" is not a valid value"),
        ("tool_calls", .array([.object(["call_id": .string("c"), "name": .string("n"), "started_at": .string("2026-01-01T00:00:00Z")])]),
         "tool_calls[0]: \"arguments\" is missing"),
        ("dtmf", .array([.object(["digits": .number("1"), "at": .string("2026-01-01T00:00:00Z")])]), "dtmf[0]: \"digits\" is not a string"),
    ])
    func refusesBadFields(key: String, value: JSONValue?, message: String) throws {
        var object = try #require(Self.record.json.objectValue)
        object[key] = value
        if value == nil { object.removeValue(forKey: key) }
        let error = try #require(throws: CallStoreError.self) { try CallRecord(json: .object(object)) }
        #expect(error.kind == .corrupt)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func refusesWhatIsNotAnObject() {
        for text in ["", "[]", "null", "\"call\"", "{", "{\"id\":}"] {
            #expect { try CallRecord(jsonText: text) } throws: { ($0 as? CallStoreError)?.kind == .corrupt }
        }
    }

    /// Mutated record JSON and random bytes: the decoder answers or throws `.corrupt`, never traps.
    @Test func survivesFuzzing() async throws {
        var random = SeededRandom(seed: 99)
        let seeds = (0..<20).map { _ in Array(random.record().jsonText.utf8.prefix(4000)) }
        var decoded = 0
        for round in 0..<2000 {
            if round % 100 == 0 { await Task.yield() }
            var bytes = seeds[round % seeds.count]
            switch round % 4 {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            case 2:
                let at = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: random.element([Array("null".utf8), Array("[]".utf8), Array("\"x\"".utf8), Array("1e999".utf8)]), at: at)
            default:
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            switch Result(catching: { () throws(CallStoreError) in try CallRecord(jsonText: String(decoding: bytes, as: UTF8.self)) }) {
            case .success(let record):
                decoded += 1
                // Whatever decodes writes JSON that decodes to the same record.
                #expect(try CallRecord(jsonText: record.jsonText) == record)
            case .failure(let error):
                #expect(error.kind == .corrupt)
            }
        }
        #expect(decoded > 0)
    }
}
