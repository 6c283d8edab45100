import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore
import SwitchboardServer
import SwitchboardTesting
import Testing

/// Each limit refuses or ends one connection clearly, and another session goes on unharmed.
@Suite("limits refuse or end one connection clearly; others go on", .timeLimit(.minutes(1)))
struct LimitsTests {
    @Test("connections per IP: the one over the limit is closed at accept") func connectionsPerIP() async throws {
        let metrics = HubMetrics()
        try await withHub(testConfiguration { $0.relay.maxConnectionsPerIP = 2 }, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            let second = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await second.nextEvent().type == "session.created")
            // The third from this address gets no answer at all: closed before a byte is read.
            let refused = try await RawConnection.exchange(port: port, send: "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
            #expect(refused.isEmpty)
            await #expect(throws: (any Error).self) { _ = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime") }
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="connections_per_ip"}"#))
            try await expectTextTurn(bystander)
            // A connection that closes gives its place back.
            await second.close()
            try await eventually { try await RawConnection.exchange(port: port, send: "GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n").contains("200 OK") }
            await bystander.close()
        }
    }

    @Test("connections in total: HTTP and WebSocket count; the one over is closed at accept") func connectionsTotal() async throws {
        let metrics = HubMetrics()
        let configuration = testConfiguration {
            $0.relay.maxConnections = 2
            $0.relay.maxConnectionsPerIP = nil
        }
        try await withHub(configuration, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            // An idle HTTP connection holds the second place.
            let idle = try await RawConnection.open(port: port)
            try await eventually { metrics.exposition().contains("switchboard_connections_open 2") }
            let refused = try await RawConnection.exchange(port: port, send: "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
            #expect(refused.isEmpty)
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="connections"}"#))
            try await expectTextTurn(bystander)
            try await idle.close()
            try await eventually { try await RawConnection.exchange(port: port, send: "GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n").contains("200 OK") }
            await bystander.close()
        }
    }

    @Test("sessions: an upgrade over the limit gets session_limit_reached and close 1013") func sessions() async throws {
        let metrics = HubMetrics()
        try await withHub(testConfiguration { $0.relay.maxSessions = 1 }, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            let refused = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            let error = try #require(RealtimeError(event: try await refused.nextEvent()))
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "session_limit_reached")
            #expect(error.message.contains("1 sessions"))
            let close = try await refused.closeFrame()
            #expect(close.code == 1013)
            #expect(close.reason.contains("try again later"))
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="sessions"}"#))
            try await expectTextTurn(bystander)
            // The session's slot is given back when it closes.
            await bystander.close()
            let next = try await eventually { () -> RealtimeTestClient? in
                let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
                if try await client.nextEvent().type == "session.created" { return client }
                await client.close()
                return nil
            }
            await next.close()
        }
    }

    @Test("header timeout: a connection that does not finish its request head is closed") func headerTimeout() async throws {
        let metrics = HubMetrics()
        try await withHub(testConfiguration { $0.relay.headerTimeout = .milliseconds(1500) }, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            // Slowloris: a request head that never ends. The hub closes without answering.
            let slow = try await RawConnection.exchange(port: port, send: "GET /v1/realtime HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\n")
            #expect(slow.isEmpty)
            // An idle kept-alive HTTP connection is closed too once its next head is overdue.
            let kept = try await RawConnection.exchange(port: port, send: "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
            #expect(kept.hasPrefix("HTTP/1.1 200"))
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="header_timeout"}"#))
            // The session upgraded in time is not touched by the timeout.
            try await Task.sleep(for: .milliseconds(1600))
            try await expectTextTurn(bystander)
            await bystander.close()
        }
    }

    @Test("idle timeout: a silent session is saved and closed with session_idle_timeout and 1000; a pong keeps one alive")
    func idleTimeout() async throws {
        let store = MemorySessionStore()
        let metrics = HubMetrics()
        let configuration = testConfiguration { $0.relay.idleTimeout = .seconds(3) }
        try await withHub(configuration, store: store, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            // The bystander answers nothing but sends a pong now and then: that counts.
            // On the client's event loop, not the cooperative pool: other suites' CPU-heavy work
            // (speech recognition) can hold the pool's threads for seconds on a 2-core machine.
            let channel = bystander.channel
            let keepAlive = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(100)) { _ in
                channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: ByteBuffer()), promise: nil)
            }
            defer { keepAlive.cancel() }

            let key = UUID().uuidString.lowercased()
            let quiet = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            #expect(try await quiet.nextEvent().type == "session.created")
            try await sayWithoutAnswer(quiet, "Please remember my seat preference.")
            // Then silence: the hub pings (this client does not answer), then ends the session.
            let error = try #require(RealtimeError(event: try await quiet.events(until: "error").last!))
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "session_idle_timeout")
            let close = try await quiet.closeFrame()
            #expect(close.code == 1000)
            #expect(close.reason == "idle timeout")
            // Saved before it closed: the unanswered utterance is in the history.
            let saved = try await store.load(key)
            #expect(saved?.history.last?.user == "Please remember my seat preference.")
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="idle_timeout"}"#))

            try await expectTextTurn(bystander)
            keepAlive.cancel()
            await bystander.close()
        }
    }

    @Test("maximum session duration: saved and closed with session_expired and 1008") func maxSessionDuration() async throws {
        let store = MemorySessionStore()
        let metrics = HubMetrics()
        let configuration = testConfiguration { $0.relay.maxSessionDuration = .seconds(6) }
        try await withHub(configuration, store: store, metrics: metrics) { port in
            let key = UUID().uuidString.lowercased()
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            #expect(try await client.nextEvent().type == "session.created")
            try await sayWithoutAnswer(client, "I would like to change my flight.")
            // A session that started later has a later end: it is open when the first one ends.
            try await Task.sleep(for: .seconds(3))
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")
            let error = try #require(RealtimeError(event: try await client.events(until: "error").last!))
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "session_expired")
            #expect(error.message.contains("maximum duration of 6 seconds"))
            let close = try await client.closeFrame()
            #expect(close.code == 1008)
            #expect(close.reason == "maximum session duration reached")
            let saved = try await store.load(key)
            #expect(saved?.history.last?.user == "I would like to change my flight.")
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="session_duration"}"#))
            try await expectTextTurn(bystander)
            await bystander.close()

            // The expired session resumes on a new connection, with a clock of its own.
            let other = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)")
            let ready = try await other.nextEvent()
            #expect(ready.type == "hub.session.ready")
            #expect(ready["resumed"]?.boolValue == true)
            try await expectTextTurn(other)
            await other.close()
        }
    }

    @Test("a client flooding control events is told too_many_events and closed with 1008") func inboxFlood() async throws {
        let store = SlowSaveStore()
        let metrics = HubMetrics()
        let configuration = testConfiguration { $0.relay.maxQueuedEvents = 8 }
        try await withHub(configuration, store: store, metrics: metrics) { port in
            let bystander = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await bystander.nextEvent().type == "session.created")

            let key = UUID().uuidString.lowercased()
            store.slowKey = key
            let flooder = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            #expect(try await flooder.nextEvent().type == "session.created")
            // A turn whose save takes a while keeps the session's conversation busy...
            for event in textTurn { try await flooder.send(event) }
            try await eventually { store.slowSaveStarted }
            // ...while the client sends control events faster than they can be handled.
            let clear = ByteBuffer(string: #"{"type":"input_audio_buffer.clear"}"#)
            for _ in 0..<40 {
                flooder.channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: clear), promise: nil)
            }
            flooder.channel.flush()
            let error = try #require(RealtimeError(event: try await flooder.events(until: "error").last!))
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "too_many_events")
            let close = try await flooder.closeFrame()
            #expect(close.code == 1008)
            #expect(close.reason == "too many events queued")
            #expect(metrics.exposition().contains(#"switchboard_limit_hits_total{limit="queued_events"}"#))

            try await expectTextTurn(bystander)
            await bystander.close()
        }
    }

    @Test("model events held behind a decision are bounded: the model is not read until they drain")
    func modelBacklog() async throws {
        let store = SlowSaveStore()
        let model = ScriptedModel()
        let configuration = testConfiguration { $0.relay.backlogBytes = 64 * 1024 }
        try await withHub(configuration, model: model, store: store) { port in
            let key = UUID().uuidString.lowercased()
            store.slowKey = key
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?session_state_key=\(key)")
            #expect(try await client.nextEvent().type == "session.created")
            let session = try #require(model.lastSession)
            // A user item, then the turn ends: the conversation holds the model's events while it saves (slowly).
            session.send(#"{"type":"conversation.item.added","event_id":"i1","item":{"id":"item_u1","type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}}"#)
            session.send(#"{"type":"response.done","event_id":"d1","response":{"id":"r1","status":"completed","output":[]}}"#)
            try await eventually { store.slowSaveStarted }
            let audio = String(repeating: "A", count: 16 * 1024)
            for index in 0..<16 {
                session.send(#"{"type":"response.output_audio.delta","event_id":"a\#(index)","delta":"\#(audio)"}"#)
            }
            try await eventually { !session.isReading }
            // Once the save is done the held events go out and the model is read again.
            store.release()
            var deltas = 0
            while deltas < 16 {
                if try await client.nextEvent().type == "response.output_audio.delta" { deltas += 1 }
            }
            try await eventually { session.isReading }
            await client.close()
        }
    }
}

// MARK: - Helpers

/// Runs a text turn on `client` and expects a completed response.
private func expectTextTurn(_ client: RealtimeTestClient) async throws {
    for event in textTurn { try await client.send(event) }
    let turn = try await client.events(until: "response.done")
    #expect(turn.last?["response"]?["status"]?.stringValue == "completed")
}

/// Sends a user utterance without asking for an answer, and waits until the hub has it.
private func sayWithoutAnswer(_ client: RealtimeTestClient, _ text: String) async throws {
    try await client.send(textTurn[0])
    try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
    let added = try await client.events(until: "conversation.item.added")
    #expect(added.last?["item"]?["role"]?.stringValue == "user")
}

/// Retries `check` until it holds (or the test's time limit ends it).
private func eventually(_ check: () async throws -> Bool) async throws {
    for _ in 0..<400 {
        if try await check() { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("the condition never held")
}

/// Retries `attempt` until it gives a value.
private func eventually<T>(_ attempt: () async throws -> T?) async throws -> T {
    for _ in 0..<400 {
        if let value = try await attempt() { return value }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw NeverSucceeded()
}

private struct NeverSucceeded: Error {}

/// A plain TCP connection: what the hub answers to some bytes, up to the hub closing it.
private final class RawConnection: Sendable {
    let channel: any Channel
    let received: NIOLockedValueBox<[UInt8]>
    let closed: EventLoopFuture<Void>

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
        self.closed = channel.closeFuture
    }

    static func open(port: Int) async throws -> RawConnection {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received: received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    /// Connects, sends `text`, and returns all the hub sent until it closed the connection.
    static func exchange(port: Int, send text: String) async throws -> String {
        let connection = try await open(port: port)
        try? await connection.channel.writeAndFlush(ByteBuffer(string: text))
        try await connection.closed.get()
        return String(decoding: connection.received.withLockedValue { $0 }, as: UTF8.self)
    }

    func close() async throws {
        try await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += bytes }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// A memory store whose saves for one key are held until `release()` (or two seconds pass):
/// the session's conversation is busy meanwhile.
private final class SlowSaveStore: SessionStore, Sendable {
    private let inner = MemorySessionStore()
    private let state = NIOLockedValueBox<(key: String?, started: Bool, released: Bool)>((nil, false, false))

    var slowKey: String? {
        get { state.withLockedValue { $0.key } }
        set { state.withLockedValue { $0.key = newValue } }
    }

    var slowSaveStarted: Bool { state.withLockedValue { $0.started } }

    func release() { state.withLockedValue { $0.released = true } }

    func load(_ key: String) async throws -> SessionState? { try await inner.load(key) }

    func save(_ state: SessionState, fence: SessionLease?) async throws {
        let slow = self.state.withLockedValue { current -> Bool in
            guard current.key == state.key, !current.started else { return false }
            current.started = true
            return true
        }
        if slow {
            for _ in 0..<80 where !self.state.withLockedValue({ $0.released }) {
                try? await Task.sleep(for: .milliseconds(25))
            }
        }
        try await inner.save(state, fence: fence)
    }

    func delete(_ key: String) async throws { try await inner.delete(key) }

    func acquireLease(key: String, owner: String, ttl: Duration) async throws -> SessionLease {
        try await inner.acquireLease(key: key, owner: owner, ttl: ttl)
    }

    func renewLease(_ lease: SessionLease) async throws { try await inner.renewLease(lease) }

    func releaseLease(_ lease: SessionLease) async throws -> Bool { try await inner.releaseLease(lease) }

    func takeovers(owner: String) async -> AsyncStream<String> { await inner.takeovers(owner: owner) }
}
