import Foundation

/// The in-process session store: the embedded default, for one replica.
///
/// Entries expire `timeToLive` after their last save and the store holds at most `capacity`
/// sessions (the least recently saved go first), so memory stays bounded.
public actor MemorySessionStore: SessionStore {
    private var entries: [String: SessionState] = [:]
    private let timeToLive: TimeInterval
    private let capacity: Int

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

    public func save(_ state: SessionState) async throws {
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

    /// How many sessions are held.
    public var count: Int { entries.count }
}
