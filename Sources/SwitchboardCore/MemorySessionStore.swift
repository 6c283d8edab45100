import Foundation
import Synchronization

/// The in-process session store: the embedded default, for one replica.
///
/// Entries expire `timeToLive` after their last save and the store holds at most `capacity`
/// sessions (the least recently saved go first), so memory stays bounded. Leases, fencing tokens
/// and takeover notices work as `SessionStore` describes, within this process.
public actor MemorySessionStore: SessionStore {
    private var entries: [String: SessionState] = [:]
    private let timeToLive: TimeInterval
    private let capacity: Int
    /// The current lease of each key.
    private var leases: [String: LeaseRecord] = [:]
    /// The newest token issued for each key.
    private var tokens: [String: Int] = [:]
    private let listeners = TakeoverListeners()

    private struct LeaseRecord {
        var owner: String
        var token: Int
        var expires: ContinuousClock.Instant
    }

    public init(timeToLive: TimeInterval = 24 * 3600, capacity: Int = 100_000) {
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    public func load(_ key: String) async throws -> SessionState? {
        guard let state = entries[key] else { return nil }
        if Date().timeIntervalSince(state.updatedAt) > timeToLive {
            entries[key] = nil
            return nil
        }
        return state
    }

    public func save(_ state: SessionState, fence: SessionLease?) async throws {
        if let fence {
            precondition(fence.key == state.key, "a save must be fenced with a lease on the same key")
            if let newest = newerToken(than: fence) {
                throw SessionStoreError.staleFence(current: newest, attempted: fence.token)
            }
        }
        if let stored = entries[state.key], stored.version >= state.version {
            throw SessionStoreError.versionConflict(stored: stored.version, attempted: state.version)
        }
        entries[state.key] = state
        if entries.count > capacity, let oldest = entries.values.min(by: { $0.updatedAt < $1.updatedAt }) {
            entries[oldest.key] = nil
        }
    }

    public func delete(_ key: String) async throws {
        entries[key] = nil
    }

    public func acquireLease(key: String, owner: String, ttl: Duration) async throws -> SessionLease {
        let now = ContinuousClock.now
        let previous = leases[key].flatMap { $0.expires > now ? $0.owner : nil }
        let token = (tokens[key] ?? 0) + 1
        tokens[key] = token
        leases[key] = LeaseRecord(owner: owner, token: token, expires: now + ttl)
        var notified = false
        if let previous, previous != owner { notified = listeners.notify(owner: previous, key: key) }
        pruneTokens(now: now)
        return SessionLease(key: key, owner: owner, token: token, previousOwner: previous, ttl: ttl, previousOwnerNotified: notified)
    }

    public func renewLease(_ lease: SessionLease) async throws {
        let now = ContinuousClock.now
        if let current = leases[lease.key], current.expires > now {
            guard current.owner == lease.owner, current.token == lease.token else {
                throw SessionStoreError.leaseLost(holder: current.owner)
            }
        } else {
            // Lapsed: ours again only if nobody acquired the key since.
            if newerToken(than: lease) != nil { throw SessionStoreError.leaseLost(holder: nil) }
        }
        leases[lease.key] = LeaseRecord(owner: lease.owner, token: lease.token, expires: now + lease.ttl)
    }

    @discardableResult
    public func releaseLease(_ lease: SessionLease) async throws -> Bool {
        guard let current = leases[lease.key], current.expires > .now, current.owner == lease.owner, current.token == lease.token
        else { return false }
        leases[lease.key] = nil
        return true
    }

    public func takeovers(owner: String) async -> AsyncStream<String> {
        listeners.stream(for: owner)
    }

    /// How many sessions are held.
    public var count: Int { entries.count }

    /// The newest token issued for the lease's key when it is not the lease's own; `nil` when the
    /// lease holds the newest token. A forgotten counter is restored from the lease.
    private func newerToken(than lease: SessionLease) -> Int? {
        guard let newest = tokens[lease.key] else {
            tokens[lease.key] = lease.token
            return nil
        }
        return newest == lease.token ? nil : newest
    }

    /// Keeps the token table bounded: past `capacity` keys, forgets the tokens of keys with
    /// neither state nor a live lease.
    private func pruneTokens(now: ContinuousClock.Instant) {
        guard tokens.count > capacity else { return }
        for key in tokens.keys where entries[key] == nil && (leases[key].map { $0.expires <= now } ?? true) {
            tokens[key] = nil
            leases[key] = nil
        }
    }
}

/// The takeover streams of one store, per owner. A lock rather than actor state, so a stream
/// that ends can remove itself synchronously.
private final class TakeoverListeners: Sendable {
    private let streams = Mutex<(next: Int, byOwner: [String: [Int: AsyncStream<String>.Continuation]])>((0, [:]))

    func stream(for owner: String) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let id = streams.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.streams.withLock { state in
                state.byOwner[owner]?[id] = nil
                if state.byOwner[owner]?.isEmpty == true { state.byOwner[owner] = nil }
            }
        }
        streams.withLock { $0.byOwner[owner, default: [:]][id] = continuation }
        return stream
    }

    /// Tells `owner`'s listeners; returns whether there was any.
    @discardableResult
    func notify(owner: String, key: String) -> Bool {
        let continuations = streams.withLock { Array(($0.byOwner[owner] ?? [:]).values) }
        for continuation in continuations { continuation.yield(key) }
        return !continuations.isEmpty
    }
}
