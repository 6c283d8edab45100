/// A token bucket: `rate` tokens a second up to `capacity`.
struct TokenBucket: Sendable {
    var tokens: Double
    var updated: ContinuousClock.Instant

    /// Refills for the time since the last update (a clock that went backwards adds nothing).
    mutating func refill(now: ContinuousClock.Instant, rate: Double, capacity: Double) {
        let elapsed = now - updated
        if elapsed > .zero {
            tokens = min(capacity, tokens + rate * elapsed.seconds)
            updated = now
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

extension SIPUserAgent {
    /// Source IPs tracked by the INVITE rate limit at most (a flood from spoofed addresses
    /// cannot grow the table without bound; idle sources are forgotten first).
    static let maximumTrackedSources = 10_000

    /// True when `maxCalls` calls are in progress, so a new call (inbound or placed) is refused.
    public var isAtCallLimit: Bool {
        guard let maxCalls = configuration.maxCalls else { return false }
        return calls.count >= maxCalls
    }

    /// Takes a token for a new INVITE from `host`; returns nil when allowed, else how long until
    /// the next token (for Retry-After).
    mutating func takeInviteToken(from host: String, now: ContinuousClock.Instant) -> Duration? {
        guard let rate = configuration.invitesPerSecond, rate > 0, rate.isFinite else { return nil }
        let capacity = inviteCapacity(rate: rate)
        var bucket = inviteBuckets[host] ?? TokenBucket(tokens: capacity, updated: now)
        bucket.refill(now: now, rate: rate, capacity: capacity)
        if inviteBuckets[host] == nil, inviteBuckets.count >= Self.maximumTrackedSources {
            pruneInviteBuckets(now: now, rate: rate, capacity: capacity)
            // Still full of active sources: a new one is refused until some go quiet.
            if inviteBuckets.count >= Self.maximumTrackedSources { return .seconds(1) }
        }
        guard bucket.tokens >= 1 else {
            inviteBuckets[host] = bucket
            return .seconds(min(3600, max(0, (1 - bucket.tokens) / rate)))
        }
        bucket.tokens -= 1
        inviteBuckets[host] = bucket
        return nil
    }

    /// True when `host` could start a call now (a token is available), without taking it.
    func hasInviteToken(from host: String, now: ContinuousClock.Instant) -> Bool {
        guard let rate = configuration.invitesPerSecond, rate > 0, rate.isFinite, var bucket = inviteBuckets[host] else { return true }
        bucket.refill(now: now, rate: rate, capacity: inviteCapacity(rate: rate))
        return bucket.tokens >= 1
    }

    /// The bucket size for `rate`.
    func inviteCapacity(rate: Double) -> Double {
        Double(max(1, configuration.inviteBurst ?? Int(min(rate * 2, 1_000_000).rounded(.up))))
    }

    /// Forgets sources whose bucket has refilled (they are as if never seen); at most once a second.
    private mutating func pruneInviteBuckets(now: ContinuousClock.Instant, rate: Double, capacity: Double) {
        if let last = lastBucketPrune, now - last < .seconds(1) { return }
        lastBucketPrune = now
        inviteBuckets = inviteBuckets.filter { _, bucket in
            var refilled = bucket
            refilled.refill(now: now, rate: rate, capacity: capacity)
            return refilled.tokens < capacity
        }
    }

    /// The media with its remote address confined to the signalling peer's IP (unless
    /// `mediaToAnyAddress`): the SDP port is kept, `c=` is only trusted when it names the host
    /// the SIP came from. A hold address (`0.0.0.0`) is kept, so nothing is sent.
    mutating func confined(_ media: SIPMedia, signallingHost: String) -> SIPMedia {
        guard !configuration.mediaToAnyAddress, media.remote.host != signallingHost,
              media.remote.host != "0.0.0.0", media.remote.host != "::" else { return media }
        var confined = media
        confined.remote.host = signallingHost
        statistics.mediaAddressesConfined += 1
        return confined
    }

    /// Whole seconds for a Retry-After header (at least 1).
    static func retryAfter(_ wait: Duration) -> String {
        let seconds = wait.seconds
        let bounded = seconds.isFinite ? min(max(seconds, 1), 3600) : 1
        return String(Int(bounded.rounded(.up)))
    }
}
