import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Sends the outbox: a `Service` that claims due events (leased to this process's `owner`),
/// POSTs each to its endpoint, signed (`WebhookSignature`) with the endpoint's secret, and marks
/// it delivered on a 2xx. Anything else — another status, a timeout, a refused connection, a TLS
/// failure, no secret for the endpoint — is a failed attempt, retried with exponential backoff
/// and jitter until `maximumAttempts`, after which the event is dead.
///
/// It wakes when poked (`notify()`, after a save) and also every `pollInterval`, so events saved
/// by another replica, left by a process that died, or due for a retry are sent too. Requests
/// run concurrently (up to `maximumConcurrentDeliveries`, and about `maximumConcurrentPerEndpoint`
/// to one endpoint), so a slow or dead endpoint does not hold up the others. On graceful shutdown it stops claiming and waits (at most
/// `shutdownGracePeriod`) for the requests in flight; events not sent stay in the outbox, those
/// whose request was cut off are sent again once their lease runs out.
///
/// Delivery is at least once: a receiver drops duplicates by the `Switchboard-Event-Id` header.
/// Logs name the endpoint's host, never its full URL or the secret.
///
/// Metrics: `switchboard_webhook_deliveries_total{outcome="delivered|failed|dead"}`, the timer
/// `switchboard_webhook_delivery_duration_seconds`, and the gauges
/// `switchboard_webhook_outbox_pending` and `switchboard_webhook_outbox_dead`.
///
/// `run()` may be called once.
public final class WebhookDispatcher: Service, Sendable {
    public let configuration: Configuration
    private let store: any CallStore
    private let secret: @Sendable (String) -> String?
    private let httpClient: HTTPClient?
    private let logger: Logger
    private let now: @Sendable () -> Date

    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let stopping = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    /// Requests in flight by endpoint.
    private let busy = Mutex<[String: Int]>([:])

    private let delivered = Counter(label: "switchboard_webhook_deliveries_total", dimensions: [("outcome", "delivered")])
    private let failed = Counter(label: "switchboard_webhook_deliveries_total", dimensions: [("outcome", "failed")])
    private let dead = Counter(label: "switchboard_webhook_deliveries_total", dimensions: [("outcome", "dead")])
    private let latency = Metrics.Timer(label: "switchboard_webhook_delivery_duration_seconds", preferredDisplayUnit: .seconds)
    private let pendingGauge = Gauge(label: "switchboard_webhook_outbox_pending")
    private let deadGauge = Gauge(label: "switchboard_webhook_outbox_dead")

    /// A dispatcher for `store`'s outbox. `secret` gives the signing secret of an endpoint URL
    /// (`nil`: the endpoint is not configured, and its events fail). Without `httpClient` the
    /// dispatcher makes its own (no redirects followed) for the length of `run()`. `now` is the
    /// clock of leases, retries and signatures.
    public init(
        store: any CallStore, secret: @escaping @Sendable (String) -> String?, configuration: Configuration = Configuration(),
        httpClient: HTTPClient? = nil, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.secret = secret
        self.configuration = configuration
        self.httpClient = httpClient
        var logger = logger
        logger[metadataKey: "webhook.owner"] = "\(configuration.owner)"
        self.logger = logger
        self.now = now
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A dispatcher whose secrets are `secrets`, by endpoint URL.
    public convenience init(
        store: any CallStore, secrets: [String: String], configuration: Configuration = Configuration(),
        httpClient: HTTPClient? = nil, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(store: store, secret: { secrets[$0] }, configuration: configuration, httpClient: httpClient, logger: logger, now: now)
    }

    /// Looks at the outbox now (call after saving events) rather than at the next poll.
    public func notify() {
        wake.yield()
    }

    public func run() async throws {
        let client = httpClient ?? HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: Self.clientConfiguration)
        await withGracefulShutdownHandler {
            await self.dispatch(client: client)
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .sequentiallyConsistent)
            self.wake.yield()
        }
        if httpClient == nil { try? await client.shutdown() }
    }

    private static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5))
        // A refused connection fails the attempt at once; the outbox's backoff retries it.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    // MARK: The loop

    private func dispatch(client: HTTPClient) async {
        logger.info("webhook dispatcher started")
        await withTaskGroup(of: Void.self) { group in
            let pollInterval = configuration.pollInterval
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    self.wake.yield()
                }
            }
            var wakes = self.wakes.makeAsyncIterator()
            var lastCount = ContinuousClock.now - .seconds(3600)
            var lastClaimError = ContinuousClock.now - .seconds(3600)
            while !stopping.load(ordering: .sequentiallyConsistent), !Task.isCancelled {
                let perEndpoint = max(1, configuration.maximumConcurrentPerEndpoint)
                let free = min(configuration.maximumConcurrentDeliveries - inFlight.load(ordering: .sequentiallyConsistent), perEndpoint)
                if free > 0 {
                    var events: [OutboxEvent] = []
                    let skipping = busy.withLock { Set($0.filter { $0.value >= perEndpoint }.keys) }
                    do {
                        events = try await store.claimEvents(
                            owner: configuration.owner, now: now(), lease: Configuration.seconds(configuration.lease), limit: free,
                            skipping: skipping
                        )
                    } catch {
                        if ContinuousClock.now - lastClaimError > .seconds(30) {
                            logger.warning("cannot claim webhook events", metadata: ["error": "\(error)"])
                            lastClaimError = ContinuousClock.now
                        }
                    }
                    for event in events {
                        inFlight.add(1, ordering: .sequentiallyConsistent)
                        busy.withLock { $0[event.endpoint, default: 0] += 1 }
                        group.addTask {
                            await self.deliver(event, client: client)
                            self.busy.withLock { busy in
                                let left = (busy[event.endpoint] ?? 1) - 1
                                busy[event.endpoint] = left > 0 ? left : nil
                            }
                            self.inFlight.subtract(1, ordering: .sequentiallyConsistent)
                            self.wake.yield()
                        }
                    }
                    // A full batch: more may be due at once.
                    if !events.isEmpty, events.count == free { continue }
                }
                if ContinuousClock.now - lastCount >= pollInterval {
                    lastCount = ContinuousClock.now
                    if let counts = try? await store.outboxCounts() {
                        pendingGauge.record(counts.pending)
                        deadGauge.record(counts.dead)
                    }
                }
                guard await wakes.next() != nil else { break }
            }
            // Stopping: no more claims; let the requests in flight finish, for a while.
            let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
            while inFlight.load(ordering: .sequentiallyConsistent) > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
            }
            let left = inFlight.load(ordering: .sequentiallyConsistent)
            if left > 0 { logger.warning("webhook requests cut off at shutdown; they will be sent again", metadata: ["webhook.count": "\(left)"]) }
            group.cancelAll()
        }
        logger.info("webhook dispatcher stopped")
    }

    // MARK: One event

    private enum Outcome {
        case delivered
        case failed(String)
        case cancelled
    }

    private func deliver(_ event: OutboxEvent, client: HTTPClient) async {
        let attempt = event.attempts + 1
        var logger = self.logger
        logger[metadataKey: "webhook.event_id"] = "\(event.id)"
        logger[metadataKey: "webhook.type"] = "\(event.type)"
        logger[metadataKey: "webhook.host"] = "\(Self.host(of: event.endpoint))"
        logger[metadataKey: "webhook.attempt"] = "\(attempt)"
        let started = ContinuousClock.now
        let outcome: Outcome
        if let secret = secret(event.endpoint) {
            outcome = await post(event, secret: secret, client: client)
        } else {
            outcome = .failed("no signing secret is configured for this endpoint")
        }
        let elapsed = ContinuousClock.now - started
        do {
            switch outcome {
            case .cancelled:
                logger.debug("webhook request cut off; the event stays in the outbox")
            case .delivered:
                latency.recordNanoseconds(Self.nanoseconds(elapsed))
                try await store.markDelivered(eventID: event.id, at: now())
                delivered.increment()
                logger.debug("webhook delivered")
            case .failed(let reason):
                latency.recordNanoseconds(Self.nanoseconds(elapsed))
                let text = String(reason.prefix(500))
                if attempt >= configuration.maximumAttempts {
                    try await store.markFailed(eventID: event.id, error: text, retryAt: nil)
                    dead.increment()
                    logger.warning("webhook given up", metadata: ["error": "\(text)"])
                } else {
                    let wait = configuration.backoff(afterAttempt: attempt, jitterFactor: configuration.randomJitterFactor())
                    try await store.markFailed(eventID: event.id, error: text, retryAt: now().addingTimeInterval(wait))
                    failed.increment()
                    logger.info("webhook attempt failed; retrying", metadata: ["error": "\(text)", "webhook.retry_in_s": "\(wait)"])
                }
            }
        } catch {
            logger.warning("cannot record a webhook attempt; it is sent again once its lease runs out", metadata: ["error": "\(error)"])
        }
    }

    private struct Timeout: Error {}

    /// One POST, bounded by `requestTimeout` from the start to the end of the answer's body.
    private func post(_ event: OutboxEvent, secret: String, client: HTTPClient) async -> Outcome {
        let body = Array(event.body.utf8)
        let signature = WebhookSignature.header(body: body, secret: secret, timestamp: WebhookSignature.unixSeconds(now()))
        let timeout = configuration.requestTimeout
        let deadline = TimeAmount.nanoseconds(Self.nanoseconds(timeout))
        do {
            let status = try await withThrowingTaskGroup(of: UInt?.self) { group in
                group.addTask {
                    var request = HTTPClientRequest(url: event.endpoint)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "User-Agent", value: "switchboard-webhooks")
                    request.headers.add(name: "Switchboard-Event-Id", value: event.id)
                    request.headers.add(name: WebhookSignature.headerName, value: signature)
                    request.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(request, timeout: deadline)
                    // Read (and drop) the answer, up to 64 KiB.
                    var received = 0
                    for try await chunk in response.body {
                        received += chunk.readableBytes
                        if received > 65_536 { break }
                    }
                    return response.status.code
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw Timeout()
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let status else { return .failed("no answer") }
            return (200..<300).contains(status) ? .delivered : .failed("HTTP \(status)")
        } catch {
            if Task.isCancelled { return .cancelled }
            if error is Timeout { return .failed("no answer within \(timeout)") }
            return .failed(Self.describe(error))
        }
    }

    // MARK: Helpers

    /// The host of `endpoint`, for logs (never the path or query, which may hold a token).
    static func host(of endpoint: String) -> String {
        URLComponents(string: endpoint)?.host ?? "(not a URL)"
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "HTTP client: \(error)" }
        return "\(error)"
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return Int64.max }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowAgain ? Int64.max : total
    }
}
