import Foundation
import RealtimeProtocol
import SwitchboardCalls
import SwitchboardCore
import Testing
@testable import SwitchboardServer

@Suite("what a call costs")
struct CallPricesTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let table = """
        {"currency": "EUR",
         "telephony": {"twilio": {"inbound": 0.01, "outbound": 0.02}, "sip": {"inbound": 0.001}},
         "model": {"audio_input": 40, "audio_output": 80, "text_input": 5, "text_output": 20, "cached_input": 0.5},
         "speech": {"stt_per_minute": 0.006, "tts_per_1k_characters": 0.015}}
        """

    func record(_ channel: CallChannel, _ direction: CallDirection, seconds: Double, said: String = "") -> CallRecord {
        var record = CallRecord(channel: channel, direction: direction, sessionKey: "k", startedAt: start,
                                answeredAt: channel == .websocket ? nil : start.addingTimeInterval(2),
                                endedAt: start.addingTimeInterval(2 + seconds), endReason: .callerHungUp)
        if !said.isEmpty { record.transcript = [TranscriptEntry(role: .assistant, text: said, at: start)] }
        return record
    }

    @Test func aPhoneCallIsBilledByStartedMinuteAndTokens() throws {
        let prices = try CallPrices(json: Self.table)
        var usage = ModelUsage()
        usage.add(["input_token_details": .object(["audio_tokens": .int(100_000), "text_tokens": .int(20_000), "cached_tokens": .int(10_000)]),
                   "output_token_details": .object(["audio_tokens": .int(50_000), "text_tokens": .int(1_000)])])
        usage.add(["input_tokens": .int(1000), "output_tokens": .int(500)])
        let cost = try #require(prices.cost(of: record(.twilio, .outbound, seconds: 61, said: String(repeating: "a", count: 2000)), usage: usage).objectValue)
        #expect(cost["currency"] == .string("EUR"))
        #expect(cost["telephony"]?.doubleValue == 0.04, "61 s is two started minutes at 0.02")
        // 0.1M × 40 + 0.021M × 5 + 0.01M × 0.5 + 0.05M × 80 + 0.0015M × 20
        #expect(cost["model"]?.doubleValue == 8.14)
        // 61/60 min × 0.006 + 2 × 0.015
        #expect(cost["speech"]?.doubleValue == 0.0361)
        #expect(cost["total"]?.doubleValue == 8.2161)
        let usageOut = cost["usage"]?.objectValue
        #expect(usageOut?["billed_minutes"] == .int(2) && usageOut?["responses"] == .int(2) && usageOut?["input_text_tokens"] == .int(21_000))
    }

    @Test func whatTheTableLeavesOutIsFree() throws {
        let cost = try #require(try CallPrices(json: Self.table).cost(of: record(.sip, .outbound, seconds: 30), usage: ModelUsage()).objectValue)
        #expect(cost["telephony"]?.doubleValue == 0 && cost["model"]?.doubleValue == 0, "no sip outbound price, no tokens")
        #expect(cost["total"]?.doubleValue == 0.003, "only the half minute of speech recognition")
        let browser = try #require(CallPrices().cost(of: record(.websocket, .inbound, seconds: 600), usage: ModelUsage()).objectValue)
        #expect(browser["usage"]?.objectValue?["billed_minutes"] == .int(0) && browser["total"]?.doubleValue == 0)
    }

    @Test func oddUsageCountsAreIgnored() {
        var usage = ModelUsage()
        usage.add(["input_tokens": .int(-5), "output_tokens": .number("1e99")])
        usage.add(["input_token_details": .string("x"), "output_token_details": .object(["audio_tokens": .string("12")])])
        #expect(usage == ModelUsage(responses: 2))
        for _ in 0..<3 { usage.add(["input_tokens": .int(10_000_000)]) }
        #expect(usage.textInput == 30_000_000)
    }

    @Test(arguments: [
        ("[]", "not a JSON object"), ("{\"currency\": \"dollars\"}", "three-letter"), ("{\"telephony\": {\"fax\": {}}}", "channels"),
        ("{\"telephony\": {\"sip\": {\"sideways\": 1}}}", "inbound and outbound"), ("{\"model\": {\"audio_input\": -1}}", "must be a price"),
        ("{\"model\": {\"audio_input\": \"1\"}}", "must be a price"), ("{\"model\": {\"images\": 1}}", "model has"),
        ("{\"speech\": {\"stt_per_hour\": 1}}", "speech has"), ("{\"discount\": 1}", "unknown field"),
    ])
    func badTablesAreRefused(_ json: String, _ message: String) {
        #expect {
            _ = try CallPrices(json: json)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
