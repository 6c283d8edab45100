import Foundation

/// Call records and the outbox in memory: for a hub without durable data (`--data` not given),
/// and for tests. Bounded: past `maximumRecords` it drops the ended records that started
/// earliest (ongoing ones are kept), and past `maximumDeadEvents` the oldest dead events.
/// Delivered events are forgotten at once.
public actor MemoryCallStore: CallStore {
    /// The most records kept (ended ones beyond it are dropped, oldest first).
    public let maximumRecords: Int
    /// The most dead events kept.
    public let maximumDeadEvents: Int

    private var records: [String: CallRecord] = [:]
    private var outbox: [String: Entry] = [:]
    /// Insertion counter: the order of events with the same `createdAt`.
    private var sequence = 0

    private struct Entry {
        var event: OutboxEvent
        var sequence: Int
        var nextAttemptAt: Int
        var dead = false
        var lastError: String?
        var lockedBy: String?
        var lockedUntil: Int?
    }

    public init(maximumRecords: Int = 10_000, maximumDeadEvents: Int = 1000) {
        self.maximumRecords = max(1, maximumRecords)
        self.maximumDeadEvents = max(0, maximumDeadEvents)
    }

    public func save(_ record: CallRecord, events: [OutboxEvent]) async throws {
        // All or nothing, as in a transaction: check every event before changing anything.
        var seen = Set<String>()
        for event in events where outbox[event.id] != nil || !seen.insert(event.id).inserted {
            throw CallStoreError(.unavailable, "the outbox already holds the event \(event.id)")
        }
        records[record.id] = record.withMillisecondTimes()
        for event in events {
            sequence += 1
            var kept = event
            kept.createdAt = CallTime.rounded(event.createdAt)
            outbox[event.id] = Entry(event: kept, sequence: sequence, nextAttemptAt: CallTime.milliseconds(event.createdAt))
        }
        trimRecords()
    }

    public func record(id: String) async throws -> CallRecord? {
        records[id]
    }

    public func records(_ query: CallQuery) async throws -> CallPage {
        let cursor = try query.decodedCursor()
        let limit = query.clampedLimit
        let from = query.startedFromMilliseconds, before = query.startedBeforeMilliseconds
        let matching = records.values.lazy.filter { record in
            let started = CallTime.milliseconds(record.startedAt)
            if let from, started < from { return false }
            if let before, started >= before { return false }
            if let number = query.number.map(CallStoreSQL.filterText), record.from.map(CallStoreSQL.filterText) != number,
               record.to.map(CallStoreSQL.filterText) != number { return false }
            if let reason = query.endReason, record.endReason != reason { return false }
            if let ongoing = query.ongoing, (record.endedAt == nil) != ongoing { return false }
            if let channel = query.channel, record.channel != channel { return false }
            if let direction = query.direction, record.direction != direction { return false }
            if let pack = query.pack, record.pack.map(CallStoreSQL.filterText) != CallStoreSQL.filterText(pack) { return false }
            if let tenant = query.tenant, record.tenant.map(CallStoreSQL.filterText) != CallStoreSQL.filterText(tenant) { return false }
            if let cursor, !Self.isAfter(record, cursor) { return false }
            return true
        }
        let sorted = matching.sorted(by: Self.newerFirst)
        let page = Array(sorted.prefix(limit))
        let next = sorted.count > limit ? page.last.map { CallCursor(after: $0).text } : nil
        return CallPage(data: page, next: next)
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxEvent] {
        try await claimEvents(owner: owner, now: now, lease: lease, limit: limit, skipping: [])
    }

    public func claimEvents(owner: String, now: Date, lease: TimeInterval, limit: Int, skipping: Set<String>) async throws -> [OutboxEvent] {
        guard limit > 0 else { return [] }
        let nowMilliseconds = CallTime.milliseconds(now)
        let until = CallTime.milliseconds(now.addingTimeInterval(lease.isFinite ? lease : 0))
        let due = outbox.values
            .filter { entry in
                !entry.dead && entry.nextAttemptAt <= nowMilliseconds && (entry.lockedUntil.map { $0 <= nowMilliseconds } ?? true)
                    && !skipping.contains(entry.event.endpoint)
            }
            .sorted { ($0.event.createdAt, $0.sequence) < ($1.event.createdAt, $1.sequence) }
            .prefix(limit)
        for entry in due {
            outbox[entry.event.id]?.lockedBy = owner
            outbox[entry.event.id]?.lockedUntil = until
        }
        return due.map(\.event)
    }

    public func markDelivered(eventID: String, at: Date) async throws {
        outbox[eventID] = nil
    }

    public func markFailed(eventID: String, error: String, retryAt: Date?) async throws {
        guard var entry = outbox[eventID] else { return }
        entry.event.attempts += 1
        entry.lastError = error
        entry.lockedBy = nil
        entry.lockedUntil = nil
        if let retryAt {
            entry.nextAttemptAt = CallTime.milliseconds(retryAt)
        } else {
            entry.dead = true
        }
        outbox[eventID] = entry
        if entry.dead { trimDead() }
    }

    public func outboxCounts() async throws -> (pending: Int, dead: Int) {
        let dead = outbox.values.count(where: \.dead)
        return (outbox.count - dead, dead)
    }

    public func shutdown() async {}

    // MARK: Order and bounds

    /// Newest first: `started_at` descending, then id descending (by UTF-8 bytes, as SQL sorts).
    static func newerFirst(_ a: CallRecord, _ b: CallRecord) -> Bool {
        let aStarted = CallTime.milliseconds(a.startedAt), bStarted = CallTime.milliseconds(b.startedAt)
        if aStarted != bStarted { return aStarted > bStarted }
        return b.id.utf8.lexicographicallyPrecedes(a.id.utf8)
    }

    /// Whether `record` comes after the cursor's record in the listing order.
    static func isAfter(_ record: CallRecord, _ cursor: CallCursor) -> Bool {
        let started = CallTime.milliseconds(record.startedAt)
        if started != cursor.startedAt { return started < cursor.startedAt }
        return record.id.utf8.lexicographicallyPrecedes(cursor.id.utf8)
    }

    private func trimRecords() {
        guard records.count > maximumRecords else { return }
        let ended = records.values.filter { $0.endedAt != nil }.sorted { Self.newerFirst($1, $0) }
        for record in ended.prefix(records.count - maximumRecords) { records[record.id] = nil }
    }

    private func trimDead() {
        let dead = outbox.values.filter(\.dead)
        guard dead.count > maximumDeadEvents else { return }
        let oldest = dead.sorted { ($0.event.createdAt, $0.sequence) < ($1.event.createdAt, $1.sequence) }
        for entry in oldest.prefix(dead.count - maximumDeadEvents) { outbox[entry.event.id] = nil }
    }
}
