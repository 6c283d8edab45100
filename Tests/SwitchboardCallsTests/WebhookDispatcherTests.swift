import Foundation
import Logging
import RealtimeProtocol
import ServiceLifecycle
import SwitchboardCalls
import Synchronization
import Testing

/// Real HTTP: a receiver on the loopback, the dispatcher sending the outbox of a real store.
@Suite("Webhook delivery")
struct WebhookDispatcherTests {
    static let secret = "whsec_d1spatch"
    static let logger: Logger = {
        guard ProcessInfo.processInfo.environment["CALLS_TEST_LOG"] != nil else {
            return Logger(label: "switchboard.webhooks.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "switchboard.webhooks.tests", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .debug
        return logger
    }()

    /// Quick settings for tests: fast polls, millisecond backoff.
    static func configuration(
        owner: String = "test-" + UUID().uuidString.prefix(8), requestTimeout: Duration = .seconds(5), maximumAttempts: Int = 12,
        pollInterval: Duration = .milliseconds(50), concurrency: Int = 8, perEndpoint: Int = 4, backoff: Duration = .milliseconds(20)
    ) -> WebhookDispatcher.Configuration {
        WebhookDispatcher.Configuration(
            owner: owner, lease: .seconds(30), requestTimeout: requestTimeout, pollInterval: pollInterval,
            maximumConcurrentDeliveries: concurrency, maximumConcurrentPerEndpoint: perEndpoint, maximumAttempts: maximumAttempts, initialBackoff: backoff,
            maximumBackoff: max(backoff, .milliseconds(100)), jitter: 0.2, shutdownGracePeriod: .seconds(5)
        )
    }

    /// A running dispatcher, stopped gracefully by `stop()`.
    struct Running {
        let dispatcher: WebhookDispatcher
        let group: ServiceGroup
        let task: Task<Void, any Error>

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
    }

    static func start(
        _ store: any CallStore, secrets: [String: String], configuration: WebhookDispatcher.Configuration, logger: Logger = logger
    ) -> Running {
        let dispatcher = WebhookDispatcher(store: store, secrets: secrets, configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [dispatcher], logger: logger)
        return Running(dispatcher: dispatcher, group: group, task: Task { try await group.run() })
    }

    static func events(_ count: Int, to endpoint: String, record: CallRecord = CallStoreConformanceFixtures.record) -> [OutboxEvent] {
        (0..<count).map { index in
            OutboxEvent.make(type: WebhookEventType.allCases[index % WebhookEventType.allCases.count], record: record, endpoint: endpoint,
                             at: Date().addingTimeInterval(Double(index) / 1000 - 1))
        }
    }

    /// Each event arrived exactly once, signed, with its id in the header.
    static func expectEachOnce(_ events: [OutboxEvent], at receiver: WebhookReceiver, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let requests = receiver.requests
        var seen: [String: Int] = [:]
        for request in requests {
            let id = try #require(request.header("Switchboard-Event-Id"), sourceLocation: sourceLocation)
            seen[id, default: 0] += 1
            #expect(request.method == "POST", sourceLocation: sourceLocation)
            #expect(request.uri == "/hooks/calls?token=t0ps3cret", sourceLocation: sourceLocation)
            #expect(request.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
            #expect(request.header("User-Agent") == "switchboard-webhooks", sourceLocation: sourceLocation)
            let signature = try #require(request.header("Switchboard-Signature"), sourceLocation: sourceLocation)
            #expect(throws: Never.self, sourceLocation: sourceLocation) {
                try WebhookSignature.verify(header: signature, body: request.body, secret: secret, now: Date(), tolerance: 60)
            }
            let event = events.first { $0.id == id }
            #expect(event?.body == request.text, "the body of \(id)", sourceLocation: sourceLocation)
            #expect(try JSONParser.parse(request.body)["id"] == .string(id), sourceLocation: sourceLocation)
        }
        #expect(seen.count == events.count, "distinct events received", sourceLocation: sourceLocation)
        #expect(seen.values.allSatisfy { $0 == 1 }, "events received more than once: \(seen.filter { $0.value > 1 })", sourceLocation: sourceLocation)
    }

    @Test func deliversEachEventOnceSignedAndWakesWhenNotified() async throws {
        let receiver = try await WebhookReceiver.start()
        let store = MemoryCallStore()
        // A long poll: only notify() can bring the later events out quickly.
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration(pollInterval: .seconds(60)))
        let first = Self.events(10, to: receiver.url)
        try await store.save(CallStoreConformanceFixtures.record, events: first)
        running.dispatcher.notify()
        #expect(await eventually { receiver.requests.count >= 10 })
        let later = Self.events(5, to: receiver.url)
        try await store.save(CallStoreConformanceFixtures.record, events: later)
        let notified = ContinuousClock.now
        running.dispatcher.notify()
        // Well within the 60 s poll: the notification woke it.
        #expect(await eventually(upTo: .seconds(30)) { receiver.requests.count >= 15 })
        #expect(ContinuousClock.now - notified < .seconds(30))
        #expect(try await eventually { try await store.outboxCounts() == (0, 0) })
        try await Task.sleep(for: .milliseconds(200))
        try Self.expectEachOnce(first + later, at: receiver)
        try await running.stop()
        await receiver.stop()
    }

    @Test func pollsForEventsNobodyAnnounced() async throws {
        let receiver = try await WebhookReceiver.start()
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration(pollInterval: .milliseconds(100)))
        let events = Self.events(3, to: receiver.url)
        try await store.save(CallStoreConformanceFixtures.record, events: events)
        #expect(await eventually { receiver.requests.count >= 3 })
        try Self.expectEachOnce(events, at: receiver)
        try await running.stop()
        await receiver.stop()
    }

    @Test func retriesAfterServerErrorsAndClosedConnections() async throws {
        let receiver = try await WebhookReceiver.start { _, index in
            switch index {
            case 0, 1: .status(500)
            case 2: .close
            case 3: .status(302)
            default: .status(200)
            }
        }
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration())
        let events = Self.events(1, to: receiver.url)
        try await store.save(CallStoreConformanceFixtures.record, events: events)
        #expect(try await eventually { try await store.outboxCounts() == (0, 0) })
        let requests = receiver.requests
        #expect(requests.count == 5)
        #expect(Set(requests.compactMap { $0.header("Switchboard-Event-Id") }) == [events[0].id])
        #expect(Set(requests.map(\.text)) == [events[0].body], "every retry sends the same body")
        try await running.stop()
        await receiver.stop()
    }

    @Test func aHangingEndpointTimesOutAndIsRetried() async throws {
        let receiver = try await WebhookReceiver.start { _, index in index == 0 ? .hang : .status(204) }
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration(requestTimeout: .milliseconds(400)))
        let events = Self.events(1, to: receiver.url)
        let started = ContinuousClock.now
        try await store.save(CallStoreConformanceFixtures.record, events: events)
        running.dispatcher.notify()
        #expect(try await eventually { try await store.outboxCounts() == (0, 0) })
        #expect(ContinuousClock.now - started >= .milliseconds(400))
        // The hung request, then the retry that was answered; a loaded machine may time out the
        // retry too and send it again (delivery is at least once), always the same event.
        #expect(receiver.requests.count >= 2)
        #expect(Set(receiver.requests.compactMap { $0.header("Switchboard-Event-Id") }) == [events[0].id])
        try await running.stop()
        await receiver.stop()
    }

    @Test func anEndpointThatAlwaysFailsKillsTheEventAfterMaximumAttempts() async throws {
        let receiver = try await WebhookReceiver.start { _, _ in .status(503) }
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration(maximumAttempts: 4))
        try await store.save(CallStoreConformanceFixtures.record, events: Self.events(1, to: receiver.url))
        #expect(try await eventually { try await store.outboxCounts() == (0, 1) })
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 4)
        try await running.stop()
        await receiver.stop()
    }

    @Test func anEndpointWithoutASecretIsNeverSentTo() async throws {
        let receiver = try await WebhookReceiver.start()
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [:], configuration: Self.configuration(maximumAttempts: 2))
        try await store.save(CallStoreConformanceFixtures.record, events: Self.events(1, to: receiver.url))
        #expect(try await eventually { try await store.outboxCounts() == (0, 1) })
        #expect(receiver.requests.isEmpty)
        try await running.stop()
        await receiver.stop()
    }

    @Test func unreachableEndpointsDoNotHoldUpOthers() async throws {
        let good = try await WebhookReceiver.start()
        let hanging = try await WebhookReceiver.start { _, _ in .hang }
        let refused = try await WebhookReceiver.start()
        await refused.stop()
        let store = MemoryCallStore()
        let secrets = [good.url: Self.secret, hanging.url: Self.secret, refused.url: Self.secret, "http://[::1:bad/x": Self.secret]
        let running = Self.start(store, secrets: secrets, configuration: Self.configuration(
            owner: "unreachable", requestTimeout: .seconds(120), concurrency: 4, perEndpoint: 2, backoff: .seconds(60)
        ))
        // The stuck ones first: they are claimed first. The hanging endpoint holds two of the four
        // slots; the refused and malformed ones fail at once and wait for their retry.
        let stuck = Self.events(6, to: hanging.url) + Self.events(3, to: refused.url) + Self.events(1, to: "http://[::1:bad/x")
        try await store.save(CallStoreConformanceFixtures.record, events: stuck)
        try await Task.sleep(for: .milliseconds(200))
        let fine = Self.events(10, to: good.url)
        try await store.save(CallStoreConformanceFixtures.record, events: fine)
        running.dispatcher.notify()
        // Well within the hanging requests' 120 s timeout: nothing waited for them.
        #expect(await eventually(upTo: .seconds(60)) { good.requests.count >= 10 })
        try Self.expectEachOnce(fine, at: good)
        // (Once the last answers are marked.) The stuck events are pending or dead, never delivered.
        #expect(try await eventually { let counts = try await store.outboxCounts(); return counts.pending + counts.dead == 10 })
        #expect(hanging.requests.count == 2, "requests to the hanging endpoint at once")
        try await running.stop()
        await good.stop()
        await hanging.stop()
    }

    @Test func twoReplicasOnOneSQLiteStoreDeliverEachEventOnce() async throws {
        let receiver = try await WebhookReceiver.start { _, index in .slow(200, milliseconds: Int64(index % 3) * 5) }
        let directory = try TemporaryDirectory()
        let path = directory.path + "/switchboard.calls.sqlite"
        let one = try await SQLiteCallStore.open(path: path)
        let two = try await SQLiteCallStore.open(path: path)
        let a = Self.start(one, secrets: [receiver.url: Self.secret], configuration: Self.configuration(owner: "replica-a", concurrency: 3))
        let b = Self.start(two, secrets: [receiver.url: Self.secret], configuration: Self.configuration(owner: "replica-b", concurrency: 3))
        var events: [OutboxEvent] = []
        for round in 0..<8 {
            let batch = Self.events(5, to: receiver.url)
            events += batch
            try await (round % 2 == 0 ? one : two).save(CallStoreConformanceFixtures.record, events: batch)
            (round % 2 == 0 ? a : b).dispatcher.notify()
        }
        #expect(try await eventually(upTo: .seconds(60)) { try await one.outboxCounts() == (0, 0) })
        try await Task.sleep(for: .milliseconds(300))
        try Self.expectEachOnce(events, at: receiver)
        try await a.stop()
        try await b.stop()
        await one.shutdown()
        await two.shutdown()
        await receiver.stop()
    }

    @Test func aStoppedDispatcherLeavesTheRestForTheNextOne() async throws {
        let receiver = try await WebhookReceiver.start { _, _ in .slow(204, milliseconds: 100) }
        let directory = try TemporaryDirectory()
        let path = directory.path + "/switchboard.calls.sqlite"
        let events = Self.events(12, to: receiver.url)
        let first = try await SQLiteCallStore.open(path: path)
        try await first.save(CallStoreConformanceFixtures.record, events: events)
        let running = Self.start(first, secrets: [receiver.url: Self.secret], configuration: Self.configuration(concurrency: 1))
        #expect(await eventually { receiver.requests.count >= 3 })
        try await running.stop()
        let sentBeforeStop = receiver.requests.count
        let left = try await first.outboxCounts().pending
        #expect(left > 0 && left < 12, "\(left) events left after the stop")
        // Delivery is at least once: a request the stop cut off may have reached the endpoint and
        // still count as pending, so it is sent again (at most the one in flight, concurrency 1).
        #expect(left == 12 - sentBeforeStop || left == 13 - sentBeforeStop, "\(left) left after \(sentBeforeStop) sent")
        await first.shutdown()

        // A new process: a new store over the same file and a new dispatcher.
        let second = try await SQLiteCallStore.open(path: path)
        let next = Self.start(second, secrets: [receiver.url: Self.secret], configuration: Self.configuration(concurrency: 4))
        #expect(try await eventually { try await second.outboxCounts() == (0, 0) })
        let sent = Dictionary(grouping: receiver.requests.compactMap { $0.header("Switchboard-Event-Id") }, by: { $0 }).mapValues(\.count)
        #expect(Set(sent.keys) == Set(events.map(\.id)), "every event arrived")
        #expect(sent.values.filter { $0 > 1 }.count <= 1 && sent.values.allSatisfy { $0 <= 2 }, "only the one cut off may come twice")
        try await next.stop()
        await second.shutdown()
        await receiver.stop()
    }

    @Test func logsNameTheHostNeverTheSecretOrTheURL() async throws {
        let receiver = try await WebhookReceiver.start { _, _ in .status(500) }
        let lines = CapturingLogHandler.Lines()
        var logger = Logger(label: "switchboard.webhooks.tests", factory: { _ in CapturingLogHandler(lines: lines) })
        logger.logLevel = .trace
        let store = MemoryCallStore()
        let running = Self.start(store, secrets: [receiver.url: Self.secret], configuration: Self.configuration(maximumAttempts: 2), logger: logger)
        try await store.save(CallStoreConformanceFixtures.record, events: Self.events(1, to: receiver.url))
        #expect(try await eventually { try await store.outboxCounts() == (0, 1) })
        try await running.stop()
        await receiver.stop()
        let all = lines.all
        #expect(all.contains { $0.contains("webhook given up") && $0.contains("webhook.host=127.0.0.1") })
        #expect(all.contains { $0.contains("retrying") && $0.contains("error=HTTP 500") })
        for line in all {
            #expect(!line.contains(Self.secret), "\(line)")
            #expect(!line.contains("t0ps3cret") && !line.contains("/hooks/calls"), "\(line)")
        }
    }

    @Test func backoffDoublesUpToTheCap() {
        let configuration = WebhookDispatcher.Configuration(initialBackoff: .seconds(1), maximumBackoff: .seconds(600))
        #expect((1...12).map { configuration.backoff(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600])
        #expect(configuration.backoff(afterAttempt: 2, jitterFactor: 1.2) == 2.4)
        #expect(configuration.backoff(afterAttempt: 10, jitterFactor: 1.2) == 600)
        #expect(configuration.backoff(afterAttempt: Int.max) == 600)
        #expect(configuration.backoff(afterAttempt: Int.min) == 1)
        #expect(configuration.backoff(afterAttempt: 3, jitterFactor: .nan) == 4)
    }
}
