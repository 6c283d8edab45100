import Foundation
import RealtimeProtocol

/// The behaviour every `CallStore` shares, as checks the test targets run against each store
/// (memory, SQLite, PostgreSQL). A check throws `CallStoreConformance.Failure` saying what
/// differed. Package-only: not part of the module's public interface.
package enum CallStoreConformance {
    /// A store to check and a way to open a second store over the same data (another replica;
    /// the same object for the memory store).
    package struct Subject: Sendable {
        package var store: any CallStore
        package var replica: @Sendable () async throws -> any CallStore

        package init(store: any CallStore, replica: @escaping @Sendable () async throws -> any CallStore) {
            self.store = store
            self.replica = replica
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package typealias Check = @Sendable (Subject) async throws -> Void

    /// Every check, by name.
    package static let checks: [(name: String, run: Check)] = [
        ("a saved record reads back", savedRecordReadsBack),
        ("saving again replaces the record", savingReplaces),
        ("times are kept to the millisecond", millisecondTimes),
        ("listing is newest first, a page at a time", listingPages),
        ("listing filters", listingFilters),
        ("a bad cursor is refused", badCursors),
        ("any limit is served without trapping", anyLimit),
        ("a save with a clashing event changes nothing", atomicSave),
        ("claims lease events to one owner", claimsLease),
        ("claims skip busy endpoints", claimsSkipEndpoints),
        ("failures retry, then die", failuresRetryThenDie),
        ("two replicas never claim one event", concurrentClaims),
    ]

    /// The check named `name`.
    package static func check(named name: String) throws -> Check {
        guard let check = checks.first(where: { $0.name == name })?.run else { throw Failure(description: "no check \(name)") }
        return check
    }

    // MARK: Records

    static let base = Date(timeIntervalSince1970: 1_796_000_000.123)

    /// A full record with every field set, unicode and quotes included.
    package static func fullRecord(id: String = CallRecord.newID(), startedAt: Date = base) -> CallRecord {
        CallRecord(
            id: id, channel: .twilio, direction: .inbound, from: "+15551230001", to: "+15559870002", pack: "shop", tenant: "acme",
            sessionKey: "+15551230001", customer: "C-42", providerCallID: "CA\"quoted\"", startedAt: startedAt,
            answeredAt: startedAt.addingTimeInterval(1.5), endedAt: startedAt.addingTimeInterval(61.25), endReason: .callerHungUp,
            agents: [AgentStep(agent: "greeter", at: startedAt), AgentStep(agent: "bookings", at: startedAt.addingTimeInterval(10))],
            transcript: [
                TranscriptEntry(role: .assistant, text: "Hello — wie geht's? 你好 👋", at: startedAt.addingTimeInterval(2), agent: "greeter"),
                TranscriptEntry(role: .user, text: "I'd like \"two\" tickets\n\\ please", at: startedAt.addingTimeInterval(5)),
            ],
            toolCalls: [ToolCallEntry(callID: "call_1", name: "find_trip", agent: "bookings", arguments: #"{"to":"Zürich"}"#,
                                      output: #"{"trips":[]}"#, outcome: .ok, startedAt: startedAt.addingTimeInterval(11),
                                      endedAt: startedAt.addingTimeInterval(11.2))],
            dtmf: [DTMFEntry(digits: "12#", at: startedAt.addingTimeInterval(20))],
            recording: .object(["url": .string("s3://bucket/rec.wav"), "consent": .bool(true)]),
            analysis: .object(["summary": .string("booked"), "score": .number("0.75")]),
            cost: .object(["total_usd": .number("0.042")])
        )
    }

    /// A bare record: only what is required.
    package static func bareRecord(id: String = CallRecord.newID(), startedAt: Date = base, channel: CallChannel = .websocket) -> CallRecord {
        CallRecord(id: id, channel: channel, direction: .inbound, sessionKey: UUID().uuidString, startedAt: startedAt)
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Failure(description: message()) }
    }

    static func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        if actual != expected { throw Failure(description: "\(what): got \(actual), expected \(expected)") }
    }

    static func savedRecordReadsBack(_ subject: Subject) async throws {
        let store = subject.store
        let full = fullRecord(), bare = bareRecord()
        try await store.save(full, events: [])
        try await store.save(bare, events: [])
        try expectEqual(try await store.record(id: full.id), full.withMillisecondTimes(), "the full record")
        try expectEqual(try await store.record(id: bare.id), bare.withMillisecondTimes(), "the bare record")
        try expectEqual(try await store.record(id: CallRecord.newID()), nil, "an unknown id")
        var huge = bareRecord()
        huge.transcript = [TranscriptEntry(role: .user, text: String(repeating: "ß\"\\😀", count: 200_000), at: base)]
        try await store.save(huge, events: [])
        try expectEqual(try await store.record(id: huge.id), huge.withMillisecondTimes(), "a record with a huge transcript")
        // NUL characters (a hostile caller id): kept in the record, left out of the filter columns.
        var nul = bareRecord()
        nul.from = "+1555\u{0}0001"
        nul.pack = "p\u{0}"
        nul.transcript = [TranscriptEntry(role: .user, text: "a\u{0}b", at: base)]
        try await store.save(nul, events: [])
        try expectEqual(try await store.record(id: nul.id), nul.withMillisecondTimes(), "a record with NUL characters")
        try expectEqual(try await store.records(CallQuery(number: "+1555\u{0}0001")).data.map(\.id), [nul.id], "a number with a NUL")
        try expectEqual(try await store.records(CallQuery(pack: "p")).data.map(\.id), [nul.id], "a pack with a NUL left out")
    }

    static func savingReplaces(_ subject: Subject) async throws {
        let store = subject.store
        var record = bareRecord()
        try await store.save(record, events: [OutboxEvent.make(type: .callStarted, record: record, endpoint: "http://a/", at: base)])
        record.endedAt = base.addingTimeInterval(30)
        record.endReason = .agentEnded
        record.from = "+1555"
        try await store.save(record, events: [OutboxEvent.make(type: .callEnded, record: record, endpoint: "http://a/", at: base)])
        try expectEqual(try await store.record(id: record.id), record.withMillisecondTimes(), "the replaced record")
        let page = try await store.records(CallQuery(number: "+1555"))
        try expectEqual(page.data.map(\.id), [record.id], "the replaced record's filter columns")
        let counts = try await store.outboxCounts()
        try expectEqual(counts.pending, 2, "pending events after two saves")
    }

    static func millisecondTimes(_ subject: Subject) async throws {
        let store = subject.store
        var record = fullRecord(startedAt: Date(timeIntervalSince1970: 1_796_000_000.123_456_7))
        record.transcript[0].at = Date(timeIntervalSince1970: 1_796_000_001.999_9)
        try await store.save(record, events: [])
        let read = try await store.record(id: record.id)
        try expectEqual(read, record.withMillisecondTimes(), "a record with sub-millisecond times")
        try expectEqual(read.map { CallTime.format($0.startedAt) }, "2026-11-30T00:53:20.123Z", "the started time")
        try expectEqual(read.map { CallTime.format($0.transcript[0].at) }, "2026-11-30T00:53:22.000Z", "a rounded time")
        // A record read back saves and reads back identical.
        if let read {
            try await store.save(read, events: [])
            try expectEqual(try await store.record(id: read.id), read, "a record saved again as read")
        }
    }

    /// 30 records, several starting at the same millisecond, paged 7 at a time.
    static func listingPages(_ subject: Subject) async throws {
        let store = subject.store
        var records: [CallRecord] = []
        for index in 0..<30 {
            let record = bareRecord(startedAt: base.addingTimeInterval(Double(index / 3)))
            records.append(record)
            try await store.save(record, events: [])
        }
        let expected = records.map { $0.withMillisecondTimes() }.sorted(by: MemoryCallStore.newerFirst)
        var seen: [CallRecord] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.records(CallQuery(limit: 7, cursor: cursor))
            try expect(page.data.count <= 7, "a page of \(page.data.count) records for a limit of 7")
            seen += page.data
            cursor = page.next
            pages += 1
            try expect(pages <= 10, "the pages never end")
        } while cursor != nil
        try expectEqual(seen.map(\.id), expected.map(\.id), "the records of every page, in order")
        try expectEqual(pages, 5, "pages of 30 records, 7 a page")
        let exact = try await store.records(CallQuery(limit: 30))
        try expectEqual(exact.data.count, 30, "one page of all")
        try expectEqual(exact.next, nil, "the next of a last page that is exactly full")
        let empty = try await store.records(CallQuery(pack: "nobody"))
        try expect(empty.data.isEmpty && empty.next == nil, "an empty listing")
    }

    static func listingFilters(_ subject: Subject) async throws {
        let store = subject.store
        var a = fullRecord(startedAt: base)
        a.pack = "shop"
        var b = bareRecord(startedAt: base.addingTimeInterval(100), channel: .sip)
        b.direction = .outbound
        b.from = "+1000"
        b.to = "+15551230001"
        b.pack = "desk"
        b.tenant = "other"
        let c = bareRecord(startedAt: base.addingTimeInterval(200))
        for record in [a, b, c] { try await store.save(record, events: []) }
        func ids(_ query: CallQuery) async throws -> Set<String> { Set(try await store.records(query).data.map(\.id)) }
        try expectEqual(try await ids(CallQuery()), [a.id, b.id, c.id], "no filter")
        try expectEqual(try await ids(CallQuery(number: "+15551230001")), [a.id, b.id], "number as from or to")
        try expectEqual(try await ids(CallQuery(number: "+1555123000")), [], "number matches exactly")
        try expectEqual(try await ids(CallQuery(endReason: .callerHungUp)), [a.id], "end reason")
        try expectEqual(try await ids(CallQuery(ongoing: true)), [b.id, c.id], "ongoing")
        try expectEqual(try await ids(CallQuery(ongoing: false)), [a.id], "ended")
        try expectEqual(try await ids(CallQuery(channel: .sip)), [b.id], "channel")
        try expectEqual(try await ids(CallQuery(direction: .outbound)), [b.id], "direction")
        try expectEqual(try await ids(CallQuery(pack: "shop")), [a.id], "pack")
        try expectEqual(try await ids(CallQuery(tenant: "acme")), [a.id], "tenant")
        try expectEqual(try await ids(CallQuery(startedFrom: base.addingTimeInterval(100))), [b.id, c.id], "started from (inclusive)")
        try expectEqual(try await ids(CallQuery(startedBefore: base.addingTimeInterval(100))), [a.id], "started before (exclusive)")
        try expectEqual(
            try await ids(CallQuery(startedFrom: base.addingTimeInterval(50), startedBefore: base.addingTimeInterval(150), channel: .sip)),
            [b.id], "filters together"
        )
        // A filter holds across pages.
        let first = try await store.records(CallQuery(ongoing: true, limit: 1))
        let second = try await store.records(CallQuery(ongoing: true, limit: 1, cursor: first.next))
        try expectEqual(first.data.map(\.id) + second.data.map(\.id), [c.id, b.id], "a filtered listing's pages")
        try expectEqual(second.next, nil, "the last filtered page")
    }

    static func badCursors(_ subject: Subject) async throws {
        let store = subject.store
        for index in 0..<3 { try await store.save(bareRecord(startedAt: base.addingTimeInterval(Double(index))), events: []) }
        guard let good = try await store.records(CallQuery(limit: 1)).next else { throw Failure(description: "no next cursor") }
        var bad = ["", "x", "!!!!", "====", "AAAA", good + "A", String(good.dropLast()), good.uppercased(), good + "=", "page=2"]
        // Every single-character change of a good cursor.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var characters = Array(good)
        for position in characters.indices {
            let original = characters[position]
            characters[position] = alphabet[(alphabet.firstIndex(of: original).map { $0 + 1 } ?? 0) % alphabet.count]
            bad.append(String(characters))
            characters[position] = original
        }
        // A well-formed cursor with another id but the old check.
        let forged = CallCursor(startedAt: CallTime.milliseconds(base), id: CallRecord.newID()).text
        bad.append(String(forged.prefix(forged.count - 11)) + String(good.suffix(11)))
        for cursor in bad {
            do {
                let page = try await store.records(CallQuery(limit: 1, cursor: cursor))
                throw Failure(description: "the cursor \"\(cursor)\" was taken (\(page.data.count) records)")
            } catch let error as CallStoreError {
                try expectEqual(error.kind, .badCursor, "the error for the cursor \"\(cursor)\"")
            }
        }
    }

    static func anyLimit(_ subject: Subject) async throws {
        let store = subject.store
        for index in 0..<3 { try await store.save(bareRecord(startedAt: base.addingTimeInterval(Double(index))), events: []) }
        for limit in [Int.min, -1, 0, 1, 100, 101, Int.max] {
            let page = try await store.records(CallQuery(limit: limit))
            try expect(!page.data.isEmpty && page.data.count <= 3, "limit \(limit) gave \(page.data.count) records")
        }
        try expectEqual(try await store.records(CallQuery(limit: 0)).data.count, 1, "a limit of 0 taken as 1")
    }

    static func atomicSave(_ subject: Subject) async throws {
        let store = subject.store
        let first = bareRecord()
        let event = OutboxEvent.make(type: .callStarted, record: first, endpoint: "http://a/", at: base)
        try await store.save(first, events: [event])
        let second = bareRecord()
        let fresh = OutboxEvent.make(type: .callStarted, record: second, endpoint: "http://a/", at: base)
        var threw = false
        do {
            try await store.save(second, events: [fresh, event])
        } catch is CallStoreError {
            threw = true
        }
        try expect(threw, "a save whose event id is already in the outbox did not fail")
        try expectEqual(try await store.record(id: second.id), nil, "the record of a failed save")
        try expectEqual(try await store.outboxCounts().pending, 1, "the outbox after a failed save")
    }

    static func claimsLease(_ subject: Subject) async throws {
        let store = subject.store
        let record = bareRecord()
        let events = (0..<5).map { index in
            OutboxEvent.make(type: .callStarted, record: record, endpoint: "http://e\(index)/", at: base.addingTimeInterval(Double(index)))
        }
        // Saved newest first: claims still come oldest first.
        try await store.save(record, events: events.reversed())
        let now = base.addingTimeInterval(10)
        try expectEqual(try await store.claimEvents(owner: "a", now: base.addingTimeInterval(-1), lease: 30, limit: 10), [],
                        "a claim before the events are due")
        let claimedByA = try await store.claimEvents(owner: "a", now: now, lease: 30, limit: 3)
        try expectEqual(claimedByA.map(\.id), events.prefix(3).map(\.id), "the first claim, oldest first")
        try expectEqual(claimedByA.first, events.first, "a claimed event as saved")
        let claimedByB = try await store.claimEvents(owner: "b", now: now, lease: 30, limit: 10)
        try expectEqual(claimedByB.map(\.id), events.suffix(2).map(\.id), "a second owner's claim")
        try expectEqual(try await store.claimEvents(owner: "a", now: now.addingTimeInterval(29), lease: 30, limit: 10), [],
                        "a claim while every event is leased")
        try await store.markDelivered(eventID: events[0].id, at: now)
        let afterLease = try await store.claimEvents(owner: "c", now: now.addingTimeInterval(31), lease: 30, limit: 10)
        try expectEqual(afterLease.map(\.id), events.dropFirst().map(\.id), "a claim once the leases ran out (not the delivered one)")
        let counts = try await store.outboxCounts()
        try expectEqual(counts.pending, 4, "pending after one delivery")
        try expectEqual(counts.dead, 0, "dead")
        try expectEqual(try await store.claimEvents(owner: "c", now: now.addingTimeInterval(100), lease: 30, limit: 0), [], "a claim of 0")
    }

    static func claimsSkipEndpoints(_ subject: Subject) async throws {
        let store = subject.store
        let record = bareRecord()
        let events = (0..<6).map { index in
            OutboxEvent.make(type: .callStarted, record: record, endpoint: "http://e\(index % 3)/?q='\(index % 3)", at: base)
        }
        try await store.save(record, events: events)
        let skipping: Set<String> = ["http://e0/?q='0", "http://e2/?q='2", "http://elsewhere/"]
        let claimed = try await store.claimEvents(owner: "a", now: base, lease: 30, limit: 10, skipping: skipping)
        try expectEqual(claimed.map(\.id), [events[1].id, events[4].id], "a claim skipping two endpoints")
        let rest = try await store.claimEvents(owner: "a", now: base, lease: 30, limit: 10, skipping: [])
        try expectEqual(Set(rest.map(\.id)), Set([0, 2, 3, 5].map { events[$0].id }), "a claim skipping none")
    }

    static func failuresRetryThenDie(_ subject: Subject) async throws {
        let store = subject.store
        let record = bareRecord()
        let event = OutboxEvent.make(type: .callEnded, record: record, endpoint: "http://e/", at: base)
        try await store.save(record, events: [event])
        let claimed = try await store.claimEvents(owner: "a", now: base, lease: 30, limit: 1)
        try expectEqual(claimed.map(\.attempts), [0], "attempts of a new event")
        try await store.markFailed(eventID: event.id, error: "HTTP 500", retryAt: base.addingTimeInterval(5))
        try expectEqual(try await store.claimEvents(owner: "a", now: base.addingTimeInterval(4.9), lease: 30, limit: 1), [],
                        "a claim before the retry is due")
        let retried = try await store.claimEvents(owner: "b", now: base.addingTimeInterval(5), lease: 30, limit: 1)
        try expectEqual(retried.map(\.attempts), [1], "attempts after one failure (the lease was released)")
        try await store.markFailed(eventID: event.id, error: "HTTP 500", retryAt: nil)
        try expectEqual(try await store.claimEvents(owner: "b", now: base.addingTimeInterval(1000), lease: 30, limit: 1), [],
                        "a claim of a dead event")
        let counts = try await store.outboxCounts()
        try expectEqual(counts.pending, 0, "pending once dead")
        try expectEqual(counts.dead, 1, "dead")
    }

    /// Two stores over the same data claim 200 events in small batches at once, eight claimers
    /// together: each event once.
    static func concurrentClaims(_ subject: Subject) async throws {
        let store = subject.store
        let other = try await subject.replica()
        let record = bareRecord()
        let events = (0..<200).map { index in
            OutboxEvent.make(type: .toolCalled, record: record, endpoint: "http://e/", at: base.addingTimeInterval(Double(index) / 1000))
        }
        try await store.save(record, events: events)
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, owner) in ["a", "b", "c", "d", "e", "f", "g", "h"].enumerated() {
                let replica = index % 2 == 0 ? store : other
                group.addTask {
                    var ids: [String] = []
                    // Bounded: a store that hands out leased events again would never run dry.
                    for _ in 0..<400 {
                        let batch = try await replica.claimEvents(owner: owner, now: base.addingTimeInterval(1), lease: 600, limit: 2)
                        if batch.isEmpty { return ids }
                        ids += batch.map(\.id)
                    }
                    return ids
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        try expectEqual(claims.count, 200, "events claimed in all")
        try expectEqual(Set(claims), Set(events.map(\.id)), "the events claimed")
        if other as AnyObject !== store as AnyObject { await other.shutdown() }
    }
}
