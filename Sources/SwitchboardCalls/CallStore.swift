import Foundation
import RealtimeProtocol

/// Where call records and the webhook outbox live: the business database (`--data`), so every
/// replica sees every call and any replica can deliver any event.
///
/// A record and the events it causes are saved in one transaction: an event is never sent for a
/// record that was not saved, and a saved change never misses its event.
public protocol CallStore: Sendable {
    /// Inserts the record, or replaces the one with its id, and adds `events` to the outbox.
    func save(_ record: CallRecord, events: [OutboxEvent]) async throws
    /// The record with this id, or `nil`.
    func record(id: String) async throws -> CallRecord?
    /// Records matching `query`, newest first (by `started_at`, then id), a page at a time.
    func records(_ query: CallQuery) async throws -> CallPage

    /// Takes up to `limit` events due at `now` (not delivered, not given up, `next_attempt_at <= now`,
    /// not leased, or their lease ran out) and leases them to `owner` until `now + lease`, oldest
    /// first. Two owners never hold the same event at once, and an owner is not given an event it
    /// already holds. `markDelivered` and `markFailed` end the lease; `markFailed` counts an
    /// attempt, as does `markDelivered`.
    func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxEvent]
    /// Like `claimEvents(owner:now:lease:limit:)`, leaving out events for the endpoints in
    /// `skipping` (ones that already have as many requests in flight as the dispatcher allows, so
    /// that a slow endpoint cannot take every slot). A store that cannot filter may ignore
    /// `skipping` (the default implementation does).
    func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int, skipping: Set<String>) async throws -> [OutboxEvent]
    /// The event reached its endpoint: it is never sent again.
    func markDelivered(eventID: String, at: Date) async throws
    /// The attempt failed: try again at `retryAt`, or give up (`nil`) and keep the event as dead.
    func markFailed(eventID: String, error: String, retryAt: Date?) async throws
    /// Events waiting (due now or later) and events given up.
    func outboxCounts() async throws -> (pending: Int, dead: Int)

    func shutdown() async
}

extension CallStore {
    /// Ignores `skipping`: claims as `claimEvents(owner:now:lease:limit:)` does.
    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int, skipping: Set<String>) async throws -> [OutboxEvent] {
        try await claimEvents(owner: owner, now: now, lease: lease, limit: limit)
    }
}

/// One webhook event waiting in the outbox. `body` is the exact JSON sent, fixed when the event is
/// made: `{"id", "type", "created_at", "data": <the record>}`.
public struct OutboxEvent: Sendable, Equatable {
    /// `evt_` and 32 lowercase hex digits; stable across retries, so receivers can drop duplicates.
    public var id: String
    /// `call.started`, `call.ended`, …
    public var type: String
    /// Where it goes.
    public var endpoint: String
    public var createdAt: Date
    public var body: String
    /// Attempts made so far (0 when new).
    public var attempts: Int

    public init(id: String = OutboxEvent.newID(), type: String, endpoint: String, createdAt: Date, body: String, attempts: Int = 0) {
        self.id = id
        self.type = type
        self.endpoint = endpoint
        self.createdAt = createdAt
        self.body = body
        self.attempts = attempts
    }

    public static func newID() -> String {
        "evt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}

/// A filter and a page of `GET /v1/calls`.
public struct CallQuery: Sendable, Equatable {
    /// Calls started at or after / before these times.
    public var startedFrom: Date?
    public var startedBefore: Date?
    /// A number or address that is the call's `from` or `to`.
    public var number: String?
    /// An end reason (`caller_hung_up`, …); `ongoing` is not a reason: see `ongoing`.
    public var endReason: CallEndReason?
    /// Only calls not yet ended (`true`) or only ended ones (`false`).
    public var ongoing: Bool?
    public var channel: CallChannel?
    public var direction: CallDirection?
    public var pack: String?
    public var tenant: String?
    /// 1...100.
    public var limit: Int
    /// The `next` of the previous page.
    public var cursor: String?

    public static let maximumLimit = 100

    public init(startedFrom: Date? = nil, startedBefore: Date? = nil, number: String? = nil, endReason: CallEndReason? = nil,
                ongoing: Bool? = nil, channel: CallChannel? = nil, direction: CallDirection? = nil, pack: String? = nil,
                tenant: String? = nil, limit: Int = 20, cursor: String? = nil) {
        self.startedFrom = startedFrom
        self.startedBefore = startedBefore
        self.number = number
        self.endReason = endReason
        self.ongoing = ongoing
        self.channel = channel
        self.direction = direction
        self.pack = pack
        self.tenant = tenant
        self.limit = limit
        self.cursor = cursor
    }
}

public struct CallPage: Sendable, Equatable {
    public var data: [CallRecord]
    /// The cursor of the next page; `nil` on the last.
    public var next: String?
    public init(data: [CallRecord], next: String?) {
        self.data = data
        self.next = next
    }
}

/// A store could not do what was asked.
public struct CallStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The cursor is not one this store wrote.
        case badCursor
        /// A stored record could not be read back.
        case corrupt
        /// The database failed.
        case unavailable
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}
