import Logging
import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// Keeps the leases of every session live on this replica: one pass every third of the lease's
/// life renews them all, instead of one sleeping task per session.
///
/// A task per session woke the process `sessions / (ttl / 3)` times a second (100 wake-ups a
/// second at 200 sessions with the 6 s lease), each a thread wake-up beside the event loops that
/// relay audio; one pass is one wake-up, and against Redis its renewals run a few at a time.
final class LeaseRenewer: Sendable {
    private struct Entry {
        var lease: SessionLease
        /// Called (once) when another connection holds the lease now.
        var lost: @Sendable () -> Void
    }

    /// A tracked lease, to give back with `untrack`.
    struct Ticket: Hashable, Sendable { fileprivate let id: UInt64 }

    private let entries = Mutex<(next: UInt64, byID: [UInt64: Entry])>((0, [:]))
    /// Renewals running at once during a pass.
    static let concurrency = 16

    /// Renews `lease` from the next pass on, until `untrack`; `lost` runs when it was taken over.
    func track(_ lease: SessionLease, lost: @escaping @Sendable () -> Void) -> Ticket {
        entries.withLock { state in
            state.next &+= 1
            state.byID[state.next] = Entry(lease: lease, lost: lost)
            return Ticket(id: state.next)
        }
    }

    func untrack(_ ticket: Ticket) {
        _ = entries.withLock { $0.byID.removeValue(forKey: ticket.id) }
    }

    var count: Int { entries.withLock { $0.byID.count } }

    /// Renews every tracked lease once. A lease another connection took is dropped and its
    /// session told; a store that fails is logged and tried again next pass.
    func renewAll(store: any SessionStore, logger: Logger) async {
        let batch = entries.withLock { Array($0.byID) }
        guard !batch.isEmpty else { return }
        await withTaskGroup(of: (UInt64, SessionStoreError?).self) { group in
            var pending = batch.makeIterator()
            func addNext() -> Bool {
                guard let (id, entry) = pending.next() else { return false }
                group.addTask {
                    do {
                        try await store.renewLease(entry.lease)
                        return (id, nil)
                    } catch let error as SessionStoreError where error.isLeaseLost {
                        return (id, error)
                    } catch {
                        logger.warning("could not renew a session's lease", metadata: ["error": "\(error)"])
                        return (id, nil)
                    }
                }
                return true
            }
            for _ in 0..<Self.concurrency where addNext() {}
            for await (id, lost) in group {
                if let lost, let entry = entries.withLock({ $0.byID.removeValue(forKey: id) }) {
                    logger.info("the session's lease was taken over", metadata: ["error": "\(lost)"])
                    entry.lost()
                }
                _ = addNext()
            }
        }
    }
}

/// Runs the lease renewal passes for the life of the hub.
struct LeaseRenewalService: Service {
    let renewer: LeaseRenewer
    let store: any SessionStore
    let ttl: Duration
    let logger: Logger

    /// Passes every third of the lease's life. On graceful shutdown the passes go on while
    /// sessions are still saving (their leases must hold until then), and stop with the last one.
    func run() async throws {
        let interval = ttl / 3
        var next = ContinuousClock.now + interval
        while !Task.isCancelled {
            if Task.isShuttingDownGracefully, renewer.count == 0 { return }
            let now = ContinuousClock.now
            if now >= next {
                await renewer.renewAll(store: store, logger: logger)
                next = ContinuousClock.now + interval
                continue
            }
            if Task.isShuttingDownGracefully {
                try? await Task.sleep(for: min(next - now, .milliseconds(100)))
            } else {
                let wait = next - now
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
        }
    }
}
