import Foundation
import Logging
import RealtimeProtocol
import Synchronization
import SwitchboardCore
import SwitchboardRedis
import SwitchboardTesting

/// The stores the conformance suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case redis
    var description: String { rawValue }
}

/// Runs `body` with a fresh store of `kind`; for Redis, with its own redis-server and client.
func withStore(
    _ kind: StoreKind, timeToLive: Duration = .seconds(3600), _ body: (any SessionStore) async throws -> Void
) async throws {
    switch kind {
    case .memory:
        let seconds = Double(timeToLive.components.seconds) + Double(timeToLive.components.attoseconds) / 1e18
        try await body(MemorySessionStore(timeToLive: seconds))
    case .redis:
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(
                    client: client, configuration: .init(keyPrefix: "test:", timeToLive: timeToLive), logger: quietLogger)
                try await body(store)
            }
        }
    }
}

/// Collects what a stream yields, from a task of its own, until cancelled.
final class Collector: Sendable {
    private let received = Mutex<[String]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncStream<String>) {
        let task = Task { [weak self] in
            for await value in stream { self?.received.withLock { $0.append(value) } }
        }
        self.task.withLock { $0 = task }
    }

    var values: [String] { received.withLock { $0 } }

    func cancel() { task.withLock { $0?.cancel() } }

    deinit { task.withLock { $0?.cancel() } }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(
    within timeout: Duration = .seconds(3), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// A state with some of everything, dated now.
func sampleState(key: String, version: Int, agent: String = "flights") -> SessionState {
    SessionState(
        key: key, customer: Customer(name: "Ada Lovelace", id: "C-1815"), activeAgent: agent,
        history: [
            Turn(user: "Is SB12 on time?", assistant: "SB12 is on time.", agent: agent, tools: ["lookup_flight(SB12) → on time"]),
            Turn(user: "Thanks — ünïcödé ✓", assistant: "You're welcome.", agent: agent),
            Turn(user: "And my bags?", assistant: "You can check", agent: agent, tools: ["search_flight_knowledgebase(bags) → found"],
                 sources: [ToolSources(tool: "search_flight_knowledgebase", outcome: "found", sources: [
                     .object(["source": .string("flight/baggage.md"), "title": .string("Checked bags"), "rank": .int(1), "score": .double(0.75)]),
                 ])],
                 interrupted: true, heardMs: 850),
        ],
        version: version)
}

/// Whether two states are the same, dates compared to the millisecond (Redis keeps milliseconds).
func sameState(_ a: SessionState?, _ b: SessionState?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    func close(_ x: Date, _ y: Date) -> Bool { abs(x.timeIntervalSince(y)) < 0.001 }
    guard a.key == b.key, a.customer == b.customer, a.activeAgent == b.activeAgent, a.version == b.version,
          close(a.createdAt, b.createdAt), close(a.updatedAt, b.updatedAt), a.history.count == b.history.count
    else { return false }
    return zip(a.history, b.history).allSatisfy { x, y in
        x.user == y.user && x.assistant == y.assistant && x.agent == y.agent && x.tools == y.tools && x.sources == y.sources
            && x.interrupted == y.interrupted && x.heardMs == y.heardMs && close(x.at, y.at)
    }
}

/// A unique session key, so tests never share state.
func freshKey(_ label: String = "session") -> String { "\(label)-\(UUID().uuidString)" }

/// A logger that prints nothing: the tests assert on errors, not on logs.
let quietLogger = Logger(label: "switchboard.redis.tests", factory: { _ in SwiftLogNoOpLogHandler() })
