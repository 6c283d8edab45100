/// Why a store refused or failed.
public struct SessionStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        case versionConflict(stored: Int, attempted: Int)
        case unavailable(String)
        case staleFence(current: Int, attempted: Int)
        case leaseLost(holder: String?)
    }
    let reason: Reason

    /// A write carried a version older than (or equal to) the stored one: a newer owner saved first.
    public static func versionConflict(stored: Int, attempted: Int) -> SessionStoreError {
        SessionStoreError(reason: .versionConflict(stored: stored, attempted: attempted))
    }
    /// The store cannot be reached.
    public static func unavailable(_ detail: String) -> SessionStoreError {
        SessionStoreError(reason: .unavailable(detail))
    }
    /// A fenced write carried a lease token that is no longer the newest for its session: another
    /// connection has taken the session over since.
    public static func staleFence(current: Int, attempted: Int) -> SessionStoreError {
        SessionStoreError(reason: .staleFence(current: current, attempted: attempted))
    }
    /// A lease could not be renewed: another owner (`holder`, or nobody once it lapsed) has it now.
    public static func leaseLost(holder: String?) -> SessionStoreError {
        SessionStoreError(reason: .leaseLost(holder: holder))
    }

    public var isVersionConflict: Bool {
        if case .versionConflict = reason { return true }
        return false
    }

    /// The writer or lease holder is no longer the session's owner (a stale fence or a lost
    /// lease): it should stop driving the session.
    public var isLeaseLost: Bool {
        switch reason {
        case .staleFence, .leaseLost: return true
        case .versionConflict, .unavailable: return false
        }
    }

    public var description: String {
        switch reason {
        case .versionConflict(let stored, let attempted): return "version conflict: stored \(stored), attempted \(attempted)"
        case .unavailable(let detail): return "session store unavailable: \(detail)"
        case .staleFence(let current, let attempted):
            return "stale lease: the session was taken over (newest token \(current), this writer holds \(attempted))"
        case .leaseLost(let holder?): return "lease lost: the session is now held by \(holder)"
        case .leaseLost(nil): return "lease lost: the session was taken over and its new lease has lapsed"
        }
    }
}

/// One owner's claim to drive a session, from `SessionStore.acquireLease`.
///
/// `token` is a fencing token: it grows with every acquisition of the same key, so the newest
/// owner always holds the largest one. Writes fenced with an older token are refused.
public struct SessionLease: Sendable, Hashable {
    /// The session key.
    public var key: String
    /// Who holds the lease: an id the hub picks per connection (for example `replica/uuid`).
    public var owner: String
    /// The fencing token, monotonic per key.
    public var token: Int
    /// The owner of the live lease this acquisition took over, if there was one (possibly `owner`
    /// itself when the same owner acquires again).
    public var previousOwner: String?
    /// How long the lease lasts without a renewal.
    public var ttl: Duration
    /// Whether the previous owner (another one) was listening for its takeover notice: when it
    /// was not (a crashed replica), there is no last save to wait for.
    public var previousOwnerNotified: Bool

    public init(key: String, owner: String, token: Int, previousOwner: String? = nil, ttl: Duration,
                previousOwnerNotified: Bool = false) {
        self.key = key
        self.owner = owner
        self.token = token
        self.previousOwner = previousOwner
        self.ttl = ttl
        self.previousOwnerNotified = previousOwnerNotified
    }
}

/// Where session state lives between connections.
///
/// `save` is compare-and-set on `SessionState.version`: it succeeds only when the state's version
/// is greater than the stored one, so a stale owner never overwrites newer state.
///
/// **One live owner.** A connection that starts driving a session calls `acquireLease`, which
/// always succeeds and takes the session over from whoever held it: the previous owner is sent the
/// key on its `takeovers(owner:)` stream and should save nothing more and close. The owner renews
/// its lease well within `ttl` (say every third of it); a renewal that fails with `isLeaseLost`
/// means the session was taken over (and the notice may have been missed, as notices are not
/// queued). Saves may carry the lease (`save(_:fence:)`): a fenced save is refused with
/// `staleFence` once a newer lease was issued for the key, even when its version would win.
/// The fence check comes before the version check.
///
/// Tokens survive the lease itself (for at least the store's state time-to-live), so a released or
/// lapsed lease still fences out older owners. If the store loses its data, the first fenced save
/// or renewal restores the counter from the writer's token.
public protocol SessionStore: Sendable {
    /// The state saved under `key`, if any.
    func load(_ key: String) async throws -> SessionState?
    /// Saves `state` if its version is newer than the stored one and, when `fence` is given (a
    /// lease on `state.key`), if no newer lease was issued for the key since.
    func save(_ state: SessionState, fence: SessionLease?) async throws
    /// Forgets the state saved under `key` (leases and their tokens are kept).
    func delete(_ key: String) async throws
    /// Takes the session `key` over for `owner` for `ttl`, whoever held it: returns a lease with a
    /// new fencing token, larger than every token issued for `key` before. The previous holder of a
    /// live lease (if another owner) is sent `key` on its `takeovers(owner:)` stream.
    func acquireLease(key: String, owner: String, ttl: Duration) async throws -> SessionLease
    /// Extends `lease` by its `ttl`. Throws `SessionStoreError.leaseLost` when a newer lease was
    /// issued for the key since; a lapsed lease that nobody took over is renewed.
    func renewLease(_ lease: SessionLease) async throws
    /// Gives `lease` up if it is still the current lease of its key; returns whether it was.
    @discardableResult
    func releaseLease(_ lease: SessionLease) async throws -> Bool
    /// The keys taken over from `owner`, as they are taken. Returns once the store listens (or at
    /// once if it cannot yet); stop iterating to stop listening.
    func takeovers(owner: String) async -> AsyncStream<String>
}

extension SessionStore {
    /// Saves `state` if its version is newer than the stored one (no fence).
    public func save(_ state: SessionState) async throws {
        try await save(state, fence: nil)
    }
}
