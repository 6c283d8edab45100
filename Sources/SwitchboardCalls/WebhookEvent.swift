import Foundation
import RealtimeProtocol

/// The kinds of webhook event (`OutboxEvent.type`).
public enum WebhookEventType: String, Sendable, Equatable, CaseIterable {
    case callStarted = "call.started"
    case callAnswered = "call.answered"
    case callEnded = "call.ended"
    case callAnalyzed = "call.analyzed"
    case transferStarted = "transfer.started"
    case transferCompleted = "transfer.completed"
    case toolCalled = "tool.called"
}

extension OutboxEvent {
    /// An event about `record` for `endpoint`, made at `at`, whose body is exactly
    /// `{"id": <event id>, "type": <type>, "created_at": <RFC 3339>, "data": <record.json>}`.
    /// `createdAt` is `at` rounded to the millisecond, as in the body.
    public static func make(type: WebhookEventType, record: CallRecord, endpoint: String, at: Date, id: String = OutboxEvent.newID()) -> OutboxEvent {
        make(type: type.rawValue, record: record, endpoint: endpoint, at: at, id: id)
    }

    /// Like the typed `make`, for a type given as text.
    public static func make(type: String, record: CallRecord, endpoint: String, at: Date, id: String = OutboxEvent.newID()) -> OutboxEvent {
        let createdAt = CallTime.rounded(at)
        let body = JSONValue.object(JSONObject([
            ("id", .string(id)),
            ("type", .string(type)),
            ("created_at", .string(CallTime.format(createdAt))),
            ("data", record.json),
        ]))
        return OutboxEvent(id: id, type: type, endpoint: endpoint, createdAt: createdAt, body: body.jsonString)
    }
}
