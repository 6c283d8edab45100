import Foundation
import RealtimeProtocol
import SwitchboardCalls

/// SplitMix64: the same numbers for the same seed on every machine, so a failing case can be
/// run again.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    /// Text with ASCII, quotes, backslashes, control characters, accents, CJK and emoji; now and
    /// then empty or huge (200 000 characters).
    mutating func text() -> String {
        if chance(0.1) { return "" }
        let pieces = ["a", "Z", " ", "\"", "\\", "\n", "\t", "\u{00}", "\u{01}", "\u{7F}", "é", "ß", "你好", "👋🏽", "\u{2028}", "'", "{", "}", "0"]
        if chance(0.003) { return String(repeating: pieces[Int.random(in: 0..<pieces.count, using: &self)] + "x", count: 100_000) }
        let count = Int.random(in: 1...24, using: &self)
        var text = ""
        for _ in 0..<count { text += pieces[Int.random(in: 0..<pieces.count, using: &self)] }
        return text
    }

    mutating func optionalText() -> String? { chance(0.3) ? nil : text() }

    /// A time between 1970 and 2100, to the millisecond.
    mutating func date() -> Date {
        CallTime.date(milliseconds: Int.random(in: 0...4_102_444_800_000, using: &self))
    }

    mutating func optionalDate() -> Date? { chance(0.3) ? nil : date() }

    mutating func element<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &self)] }

    mutating func json(depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &self) {
        case 0: return .bool(chance(0.5))
        case 1: return .number(element(["0", "-1", "3.25", "1e3", "12345678901234567890", "-0.5E-7"]))
        case 2: return .string(text())
        case 3: return .null
        case 4: return .array((0..<Int.random(in: 0...3, using: &self)).map { _ in json(depth: depth + 1) })
        default:
            return .object(JSONObject((0..<Int.random(in: 0...3, using: &self)).map { index in ("k\(index)\(text().prefix(3))", json(depth: depth + 1)) }))
        }
    }

    /// A JSON value that is not `null` (a record's `null` reads back as `nil`).
    mutating func optionalJSON() -> JSONValue? {
        guard !chance(0.3) else { return nil }
        let value = json()
        return value == .null ? .string("null") : value
    }

    mutating func record() -> CallRecord {
        let started = date()
        return CallRecord(
            channel: element(CallChannel.allCases), direction: element(CallDirection.allCases), from: optionalText(), to: optionalText(),
            pack: optionalText(), tenant: optionalText(), sessionKey: text(), customer: optionalText(), providerCallID: optionalText(),
            startedAt: started, answeredAt: optionalDate(), endedAt: optionalDate(),
            endReason: chance(0.5) ? element(CallEndReason.allCases) : nil,
            agents: (0..<Int.random(in: 0...3, using: &self)).map { _ in AgentStep(agent: text(), at: date()) },
            transcript: (0..<Int.random(in: 0...5, using: &self)).map { _ in
                TranscriptEntry(role: chance(0.5) ? .user : .assistant, text: text(), at: date(), agent: optionalText())
            },
            toolCalls: (0..<Int.random(in: 0...2, using: &self)).map { _ in
                ToolCallEntry(callID: text(), name: text(), agent: optionalText(), arguments: text(), output: optionalText(),
                              outcome: chance(0.5) ? element([.ok, .error, .cancelled]) : nil, startedAt: date(), endedAt: optionalDate())
            },
            dtmf: (0..<Int.random(in: 0...2, using: &self)).map { _ in DTMFEntry(digits: text(), at: date()) },
            recording: optionalJSON(), analysis: optionalJSON(), cost: optionalJSON()
        )
    }
}
