import Foundation
import RealtimeProtocol
import SwitchboardCalls
import Testing

@Suite("Webhook events")
struct WebhookEventTests {
    @Test func bodyIsTheEnvelopeAroundTheRecord() throws {
        let record = CallStoreConformanceFixtures.record
        let at = Date(timeIntervalSince1970: 1_796_000_100.456_7)
        let event = OutboxEvent.make(type: .callEnded, record: record, endpoint: "https://example.com/hook?token=x", at: at)
        #expect(event.body == #"{"id":"\#(event.id)","type":"call.ended","created_at":"2026-11-30T00:55:00.457Z","data":\#(record.jsonText)}"#)
        #expect(event.type == "call.ended")
        #expect(event.endpoint == "https://example.com/hook?token=x")
        #expect(event.createdAt == CallTime.rounded(at))
        #expect(event.attempts == 0)
        #expect(event.id.hasPrefix("evt_") && event.id.count == 36)
        let parsed = try JSONParser.parse(event.body)
        #expect(try CallRecord(json: #require(parsed["data"])) == record.withMillisecondTimes())
    }

    @Test func namesEveryType() {
        #expect(WebhookEventType.allCases.map(\.rawValue) == [
            "call.started", "call.answered", "call.ended", "call.analyzed", "transfer.started", "transfer.completed", "tool.called",
        ])
        let event = OutboxEvent.make(type: "custom.thing", record: CallStoreConformanceFixtures.record, endpoint: "http://a/", at: Date(), id: "evt_x")
        #expect(event.id == "evt_x")
        #expect(event.body.hasPrefix(#"{"id":"evt_x","type":"custom.thing","created_at":""#))
    }
}

enum CallStoreConformanceFixtures {
    static let record = CallRecord(channel: .sip, direction: .outbound, to: "+1555", sessionKey: "k", startedAt: Date(timeIntervalSince1970: 1_796_000_000))
}
