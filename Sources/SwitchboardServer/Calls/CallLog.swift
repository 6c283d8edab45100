import Foundation
import Logging
import NIOConcurrencyHelpers
import RealtimeProtocol
import ServiceLifecycle
import SwitchboardCalls

/// The hub's call records: every call and session is a record in the call store, saved as it
/// goes, and its lifecycle events go to the webhook outbox in the same write.
///
/// Sessions never wait for the database: `save` hands the record over and returns. One writer
/// (`run`, a service of the hub) saves in order; while the database is slow, the newest snapshot
/// of a record replaces the older one waiting (its events are all kept). On shutdown it saves
/// everything still waiting, so no ended call is lost.
final class CallLog: Sendable {
    /// Where the events go.
    struct Webhooks: Sendable {
        /// Endpoint URLs; none: no events are made.
        var endpoints: [String] = []
        var events: Set<WebhookEventType> = Self.defaultEvents
        /// The events sent when `--webhook-events` is not given (`tool.called` is opt-in).
        static let defaultEvents = Set(WebhookEventType.allCases).subtracting([.toolCalled])
    }

    private struct Pending {
        var order: [String] = []
        var records: [String: (record: CallRecord, events: [OutboxEvent])] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    let store: any CallStore
    let webhooks: Webhooks
    private let logger: Logger
    private let metrics: HubMetrics
    /// Called after a write that added events (wakes the webhook dispatcher).
    private let onEvents: @Sendable () -> Void
    private let pending = NIOLockedValueBox(Pending())
    /// Records waiting to be written beyond which the oldest waiting snapshot is dropped (the
    /// database has been down for long; counted and logged).
    static let maximumPending = 10_000

    init(store: any CallStore, webhooks: Webhooks, metrics: HubMetrics, logger: Logger, onEvents: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.webhooks = webhooks
        self.metrics = metrics
        self.logger = logger
        self.onEvents = onEvents
    }

    /// The newest snapshot of a record: the one waiting to be written, else the stored one.
    func latest(id: String) async throws -> CallRecord? {
        if let waiting = pending.withLockedValue({ $0.records[id]?.record }) { return waiting }
        return try await store.record(id: id)
    }

    /// A placed call ended before anyone answered (busy, no answer, failed): its record is
    /// closed with `reason` and `call.ended`. False when it was answered or is closed already.
    func endUnanswered(recordID: String, reason: CallEndReason, now: Date = Date()) async throws -> Bool {
        guard var record = try await latest(id: recordID), record.answeredAt == nil, record.endedAt == nil else { return false }
        record.endedAt = CallRecorder.milliseconds(now)
        record.endReason = reason
        save(record, events: [.callEnded], now: now)
        return true
    }

    /// How a transfer the provider carried out after the session left ended (Twilio's dial
    /// result): its last unsettled transfer gets the outcome, and `transfer.completed` is sent.
    /// False when the record has no transfer waiting for one.
    func settleTransfer(recordID: String, error: String?, now: Date = Date()) async throws -> Bool {
        guard var record = try await latest(id: recordID),
              let index = record.transfers.lastIndex(where: { $0.outcome == nil }) else { return false }
        record.transfers[index].outcome = error == nil ? .completed : .failed
        record.transfers[index].error = error
        record.transfers[index].endedAt = CallRecorder.milliseconds(now)
        save(record, events: [.transferCompleted], now: now)
        return true
    }

    /// Queues `record` to be saved with the webhook events it causes; never waits.
    func save(_ record: CallRecord, events: [WebhookEventType], now: Date = Date()) {
        let made = events.filter { webhooks.events.contains($0) }.flatMap { event in
            webhooks.endpoints.map { OutboxEvent.make(type: event, record: record, endpoint: $0, at: now) }
        }
        let (waiter, dropped) = pending.withLockedValue { pending -> (CheckedContinuation<Void, Never>?, String?) in
            var dropped: String?
            if let waiting = pending.records[record.id] {
                pending.records[record.id] = (record, waiting.events + made)
            } else {
                if pending.order.count >= Self.maximumPending, let oldest = pending.order.first {
                    pending.order.removeFirst()
                    pending.records[oldest] = nil
                    dropped = oldest
                }
                pending.order.append(record.id)
                pending.records[record.id] = (record, made)
            }
            defer { pending.waiter = nil }
            return (pending.waiter, dropped)
        }
        if let dropped {
            metrics.error("call_record_dropped")
            logger.error("call records are not being saved; dropped a waiting snapshot", metadata: ["call.record": "\(dropped)"])
        }
        waiter?.resume()
    }

    /// Saves what is waiting until the hub shuts down, then what is left.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.writeWaiting()
                await self.waitForMore()
            }
        }
        await writeWaiting()
    }

    private func waitForMore() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = pending.withLockedValue { pending -> Bool in
                    if !pending.order.isEmpty || pending.finished || Task.isCancelled { return true }
                    pending.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = pending.withLockedValue { pending -> CheckedContinuation<Void, Never>? in
                pending.finished = true
                defer { pending.waiter = nil }
                return pending.waiter
            }
            waiter?.resume()
        }
    }

    /// Writes every waiting record, oldest first; a failed write is retried after a pause
    /// (the snapshot stays waiting), so records survive a database restart.
    func writeWaiting() async {
        var failures = 0
        while let (record, events) = next() {
            do {
                try await store.save(record, events: events)
                if !events.isEmpty { onEvents() }
                failures = 0
            } catch {
                failures += 1
                putBack(record, events: events)
                metrics.error("call_record_save_failed")
                logger.warning("could not save a call record; trying again", metadata: ["call.record": "\(record.id)", "error": "\(error)"])
                if failures >= 3 || Task.isCancelled && failures >= 1 { return }
                try? await Task.sleep(for: .milliseconds(200 << failures))
            }
        }
    }

    private func next() -> (CallRecord, [OutboxEvent])? {
        pending.withLockedValue { pending in
            guard !pending.order.isEmpty else { return nil }
            let id = pending.order.removeFirst()
            return pending.records.removeValue(forKey: id).map { ($0.record, $0.events) }
        }
    }

    /// A snapshot whose write failed goes back to the front (unless a newer one came meanwhile,
    /// which keeps its place and gets these events first).
    private func putBack(_ record: CallRecord, events: [OutboxEvent]) {
        pending.withLockedValue { pending in
            if let newer = pending.records[record.id] {
                pending.records[record.id] = (newer.record, events + newer.events)
            } else {
                pending.order.insert(record.id, at: 0)
                pending.records[record.id] = (record, events)
            }
        }
    }
}

/// Runs the call log's writer as a service of the hub.
struct CallLogService: Service {
    let log: CallLog
    func run() async throws { await log.run() }
}

/// Closes the call store when the hub has stopped everything that writes to it.
struct CallStoreService: Service {
    let store: any CallStore
    func run() async throws {
        try? await gracefulShutdown()
        await store.shutdown()
    }
}
