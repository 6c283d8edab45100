import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import Testing
@testable import SwitchboardServer

@Suite("post-call analysis by rules")
struct CallAnalyzerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func record(tools: [(String, String, String)] = [], said: [String] = [], end: CallEndReason? = .callerHungUp) -> CallRecord {
        var record = CallRecord(channel: .twilio, direction: .inbound, from: "+15550100001", sessionKey: "+15550100001", startedAt: start,
                                endedAt: end == nil ? nil : start.addingTimeInterval(83), endReason: end,
                                agents: [AgentStep(agent: "desk", at: start), AgentStep(agent: "billing", at: start)])
        for (index, (name, arguments, output)) in tools.enumerated() {
            record.toolCalls.append(ToolCallEntry(callID: "call_\(index)", name: name, arguments: arguments, output: output, outcome: .ok,
                                                  startedAt: start, endedAt: start))
        }
        record.transcript = said.map { TranscriptEntry(role: .user, text: $0, at: start) }
        return record
    }

    let plan = AnalysisPlan(fields: [
        .init(name: "topic", kind: .enum, values: [
            .init(value: "refund", tools: ["refund_order"]), .init(value: "delivery", said: ["where is my order", "late"]), .init(value: "other"),
        ]),
        .init(name: "order", kind: .text, source: .argument("order_code")),
        .init(name: "amount", kind: .number, source: .output("amount")),
        .init(name: "refunded", kind: .boolean, source: .tool("refund_order", outcome: "refunded")),
        .init(name: "angry", kind: .boolean, source: .said(["this is ridiculous", "manager"])),
    ])

    func fields(_ record: CallRecord) -> JSONObject? { CallAnalyzer.analyze(record, plan: plan).objectValue?["fields"]?.objectValue }

    @Test func fieldsComeFromToolsArgumentsOutputsAndWords() throws {
        let analysed = fields(record(tools: [
            ("find_order", #"{"order_code":"A1"}"#, #"{"outcome":"found","amount":"12.50"}"#),
            ("refund_order", #"{"order_code":"A2"}"#, #"{"outcome":"refunded","amount":12.5}"#),
        ], said: ["Hi, I want my MANAGER now!"]))
        #expect(analysed?["topic"] == .string("refund"))
        #expect(analysed?["order"] == .string("A2"), "the last value given")
        #expect(analysed?["amount"]?.doubleValue == 12.5)
        #expect(analysed?["refunded"] == .bool(true))
        #expect(analysed?["angry"] == .bool(true), "whole words, any case")
    }

    @Test func nothingToGoOnIsNullOrFalseOrTheFallback() {
        let analysed = fields(record(said: ["managerial question", "it is latest"]))
        #expect(analysed?["topic"] == .string("other"), "'late' is not a word of 'latest'")
        #expect(analysed?["order"] == .null && analysed?["amount"] == .null)
        #expect(analysed?["refunded"] == .bool(false) && analysed?["angry"] == .bool(false))
        #expect(fields(record(said: ["Where is my order?"]))?["topic"] == .string("delivery"))
    }

    @Test func anOutcomeOtherThanTheOneAskedIsFalse() {
        let analysed = fields(record(tools: [("refund_order", "{}", #"{"outcome":"refused"}"#)]))
        #expect(analysed?["refunded"] == .bool(false))
        #expect(analysed?["topic"] == .string("refund"), "the tool ran")
    }

    @Test func brokenToolTextAndOddValuesDoNotTrap() {
        let analysed = fields(record(tools: [("find_order", "not json", "{\"amount\": \"lots\"}"), ("find_order", "[1,2]", "null")]))
        #expect(analysed?["amount"] == .null, "not a number")
        #expect(analysed?["order"] == .null)
        let objects = fields(record(tools: [("find_order", #"{"order_code":{"a":1}}"#, #"{"amount":1e999}"#)]))
        #expect(objects?["order"] == .string(#"{"a":1}"#))
        #expect(objects?["amount"] == .null, "an infinite amount is no number")
    }

    @Test func theSummarySaysWhoWhatAndHowItEnded() {
        let summary = CallAnalyzer.summary(record(tools: [("find_order", "{}", #"{"outcome":"found"}"#)], said: ["hello", "bye"]))
        #expect(summary == "An inbound Twilio call from +15550100001 with desk, then billing; the caller spoke 2 times; tools: find_order (found); ended: caller hung up after 1 min 23 s.")
        let ongoing = CallAnalyzer.summary(record(end: nil))
        #expect(ongoing.hasSuffix("the caller spoke 0 times; ongoing."))
    }

    @Test func withoutAPlanOnlyASummary() {
        let analysis = CallAnalyzer.analyze(record(), plan: nil).objectValue
        #expect(analysis?["summary"]?.stringValue?.isEmpty == false)
        #expect(analysis?["fields"] == .object(JSONObject()))
        #expect(analysis?["method"] == .string("rules"))
    }
}
