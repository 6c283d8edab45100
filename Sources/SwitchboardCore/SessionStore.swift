/// Why a store refused or failed.
public struct SessionStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        case versionConflict(stored: Int, attempted: Int)
        case unavailable(String)
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

    public var isVersionConflict: Bool {
        if case .versionConflict = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .versionConflict(let stored, let attempted): return "version conflict: stored \(stored), attempted \(attempted)"
        case .unavailable(let detail): return "session store unavailable: \(detail)"
        }
    }
}

/// Where session state lives between connections.
///
/// `save` is compare-and-set on `SessionState.version`: it succeeds only when the state's version
/// is greater than the stored one, so a stale owner never overwrites newer state.
public protocol SessionStore: Sendable {
    /// The state saved under `key`, if any.
    func load(_ key: String) async throws -> SessionState?
    /// Saves `state` if its version is newer than the stored one.
    func save(_ state: SessionState) async throws
    /// Forgets `key`.
    func delete(_ key: String) async throws
}
