import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The sessions live on this replica, by key. One connection drives a session at a time: a new
/// connection for a key takes the session over from the one before it, which saves its last turn
/// and closes before the new one loads the state.
final class LiveSessions: Sendable {
    /// One live session.
    struct Entry: Sendable {
        let id: UUID
        /// Tells the session it was taken over.
        let takeOver: @Sendable () -> Void
        /// Completes when the session has saved and ended.
        let ended: EventLoopFuture<Void>
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    /// Registers `entry` as the live session for `key`; returns the one it replaces.
    func register(_ key: String, _ entry: Entry) -> Entry? {
        entries.withLockedValue { entries in
            let previous = entries[key]
            entries[key] = entry
            return previous
        }
    }

    /// Removes the session `id` for `key`, unless another has taken its place already.
    func remove(_ key: String, id: UUID) {
        entries.withLockedValue { entries in
            if entries[key]?.id == id { entries[key] = nil }
        }
    }

    /// Tells the session live here for `key`, if any, that it was taken over elsewhere.
    func takeOver(_ key: String) {
        entries.withLockedValue { $0[key] }?.takeOver()
    }

    /// Whether a session for `key` is live here.
    func contains(_ key: String) -> Bool {
        entries.withLockedValue { $0[key] != nil }
    }

    /// How many sessions are live here.
    var count: Int { entries.withLockedValue { $0.count } }
}
