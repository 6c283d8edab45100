import Foundation
import NIOConcurrencyHelpers

/// Per-key limits: sessions open at once and new sessions a second (`--key-max-sessions`,
/// `--key-sessions-per-second`, for the key a session was opened with or, for a client
/// secret, the key that minted it), and outbound calls a minute per admin key
/// (`--key-calls-per-minute`). Token buckets hold one second's (one minute's) worth.
final class KeyRateLimiter: Sendable {
    /// The limit a request hit, as `switchboard_limit_hits_total{limit}` names it.
    enum Hit: String, Sendable {
        case sessions = "key_sessions"
        case sessionRate = "key_session_rate"
        case callRate = "key_call_rate"
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
        mutating func take(rate: Double, capacity: Double, now: ContinuousClock.Instant) -> Bool {
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(capacity, tokens + seconds * rate)
            updated = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    private struct KeyState {
        var open = 0
        var sessions: Bucket?
        var calls: Bucket?
    }

    let maxSessions: Int
    let sessionsPerSecond: Double
    let callsPerMinute: Double
    private let state = NIOLockedValueBox<[String: KeyState]>([:])

    init(maxSessions: Int, sessionsPerSecond: Double, callsPerMinute: Double) {
        self.maxSessions = maxSessions
        self.sessionsPerSecond = sessionsPerSecond
        self.callsPerMinute = callsPerMinute
    }

    /// Admits a new session for `key`; the caller releases it when the session's connection closes.
    func admitSession(key: String) -> Hit? {
        let now = ContinuousClock.now
        return state.withLockedValue { all in
            var entry = all[key] ?? KeyState()
            defer { all[key] = entry }
            if maxSessions > 0, entry.open >= maxSessions { return .sessions }
            if sessionsPerSecond > 0 {
                var bucket = entry.sessions ?? Bucket(tokens: max(1, sessionsPerSecond), updated: now)
                let ok = bucket.take(rate: sessionsPerSecond, capacity: max(1, sessionsPerSecond), now: now)
                entry.sessions = bucket
                if !ok { return .sessionRate }
            }
            entry.open += 1
            return nil
        }
    }

    func releaseSession(key: String) {
        state.withLockedValue { all in
            guard var entry = all[key] else { return }
            entry.open = max(0, entry.open - 1)
            all[key] = entry
        }
    }

    /// Admits an outbound call placed with `key`.
    func admitCall(key: String) -> Hit? {
        guard callsPerMinute > 0 else { return nil }
        let now = ContinuousClock.now
        return state.withLockedValue { all in
            var entry = all[key] ?? KeyState()
            var bucket = entry.calls ?? Bucket(tokens: max(1, callsPerMinute), updated: now)
            let ok = bucket.take(rate: callsPerMinute / 60, capacity: max(1, callsPerMinute), now: now)
            entry.calls = bucket
            all[key] = entry
            return ok ? nil : .callRate
        }
    }
}
