import Foundation

extension WebhookDispatcher {
    /// How the dispatcher claims, sends and retries.
    public struct Configuration: Sendable {
        /// Who holds the events this process claimed: unique per process (a new one by default).
        public var owner: String
        /// How long a claimed event is this process's: past it, another replica may send it
        /// again (this process died, or hangs). Longer than `requestTimeout`.
        public var lease: Duration
        /// The longest one request may take, answer body included.
        public var requestTimeout: Duration
        /// How often the outbox is looked at when nothing pokes the dispatcher (events saved by
        /// another replica, left by a process that died, or due for a retry).
        public var pollInterval: Duration
        /// The most requests in flight at once.
        public var maximumConcurrentDeliveries: Int
        /// The most requests in flight to one endpoint: past it, that endpoint's events are left
        /// for later, so that a slow or hanging endpoint holds at most this many slots (a claim
        /// may overshoot it by one batch of this size, so it is a soft bound).
        public var maximumConcurrentPerEndpoint: Int
        /// Attempts before an event is given up (dead).
        public var maximumAttempts: Int
        /// The wait after the first failed attempt; it doubles with each further one.
        public var initialBackoff: Duration
        /// The longest wait between attempts.
        public var maximumBackoff: Duration
        /// Each wait is scaled by a random factor in `1 - jitter ... 1 + jitter` (0...1).
        public var jitter: Double
        /// How long a graceful shutdown waits for requests in flight; those still running then
        /// are cancelled and their events stay in the outbox.
        public var shutdownGracePeriod: Duration

        public init(
            owner: String = "switchboard-" + UUID().uuidString.lowercased(),
            lease: Duration = .seconds(30),
            requestTimeout: Duration = .seconds(10),
            pollInterval: Duration = .seconds(1),
            maximumConcurrentDeliveries: Int = 16,
            maximumConcurrentPerEndpoint: Int = 4,
            maximumAttempts: Int = 12,
            initialBackoff: Duration = .seconds(1),
            maximumBackoff: Duration = .seconds(600),
            jitter: Double = 0.2,
            shutdownGracePeriod: Duration = .seconds(10)
        ) {
            self.owner = owner
            self.lease = lease
            self.requestTimeout = requestTimeout
            self.pollInterval = pollInterval
            self.maximumConcurrentDeliveries = maximumConcurrentDeliveries
            self.maximumConcurrentPerEndpoint = maximumConcurrentPerEndpoint
            self.maximumAttempts = maximumAttempts
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.jitter = jitter
            self.shutdownGracePeriod = shutdownGracePeriod
        }

        /// The wait before attempt `attempt + 1` after `attempt` (from 1) failed:
        /// `initialBackoff · 2^(attempt − 1)`, capped at `maximumBackoff`, times `jitterFactor`.
        public func backoff(afterAttempt attempt: Int, jitterFactor: Double = 1) -> TimeInterval {
            let initial = max(0, Self.seconds(initialBackoff)), cap = max(0, Self.seconds(maximumBackoff))
            let exponent = attempt <= 1 ? 0 : Double(min(attempt - 1, 60))
            let base = min(initial * pow(2, exponent), cap)
            let factor = jitterFactor.isFinite ? max(0, jitterFactor) : 1
            return min(base * factor, cap)
        }

        /// A random factor for `backoff`, in `1 - jitter ... 1 + jitter`.
        func randomJitterFactor() -> Double {
            let spread = jitter.isFinite ? min(max(jitter, 0), 1) : 0
            return spread == 0 ? 1 : Double.random(in: (1 - spread)...(1 + spread))
        }

        static func seconds(_ duration: Duration) -> Double {
            let (seconds, attoseconds) = duration.components
            return Double(seconds) + Double(attoseconds) / 1e18
        }
    }
}
