import Logging
import Prometheus
import SwitchboardCore

/// Saves one session's state, fenced by its lease, and keeps the newest unsaved state when the
/// store is unreachable: the session goes on, and the state is written when the store returns.
actor SessionSaver {
    /// What became of a save.
    enum Outcome: Sendable, Equatable {
        /// Written (or already superseded by a newer write of ours).
        case saved
        /// The store is unreachable; the state is kept and retried.
        case deferred
        /// A newer owner holds the session: this connection must end.
        case superseded
    }

    private let store: any SessionStore
    private let metrics: HubMetrics
    private let logger: Logger
    private let retryInterval: Duration
    private var pending: SessionState?
    private var retrying: Task<Void, Never>?

    init(store: any SessionStore, metrics: HubMetrics, logger: Logger, retryInterval: Duration = .milliseconds(250)) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.retryInterval = retryInterval
    }

    /// Saves `state` under `fence` (none: version compare-and-set only).
    func save(_ state: SessionState, fence: SessionLease?) async -> Outcome {
        pending = state
        return await attempt(fence: fence)
    }

    /// Tries the newest unsaved state again until it is written or `limit` has passed.
    func finish(fence: SessionLease?, limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while pending != nil, ContinuousClock.now < deadline {
            if await attempt(fence: fence) != .deferred { break }
            // A cancelled task (the hub stopping at once) does not wait.
            do { try await Task.sleep(for: retryInterval) } catch { break }
        }
        retrying?.cancel()
        if pending != nil {
            logger.error("session state could not be saved before the session ended; it is lost")
        }
    }

    private func attempt(fence: SessionLease?) async -> Outcome {
        guard let state = pending else { return .saved }
        do {
            try await store.save(state, fence: fence)
            metrics.saves.increment()
            if pending?.version == state.version { pending = nil }
            return .saved
        } catch let error as SessionStoreError where error.isLeaseLost || error.isVersionConflict {
            pending = nil
            logger.warning("a newer owner holds the session; this connection's state is not saved", metadata: ["error": "\(error)"])
            return .superseded
        } catch {
            metrics.saveFailures.increment()
            logger.error("could not save session state; keeping it to retry", metadata: ["error": "\(error)"])
            scheduleRetry(fence: fence)
            return .deferred
        }
    }

    private func scheduleRetry(fence: SessionLease?) {
        guard retrying == nil else { return }
        retrying = Task { [retryInterval] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: retryInterval) } catch { return }
                if await self.retryOnce(fence: fence) { return }
            }
        }
    }

    private func retryOnce(fence: SessionLease?) async -> Bool {
        let outcome = await attempt(fence: fence)
        if outcome != .deferred { retrying = nil }
        return outcome != .deferred
    }
}
