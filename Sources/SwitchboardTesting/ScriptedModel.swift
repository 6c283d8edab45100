import NIOConcurrencyHelpers
import NIOCore
import RealtimeProtocol
import SwitchboardCore

/// A realtime model for tests: records what it is sent and sends what the test scripts.
public final class ScriptedModel: RealtimeModel, @unchecked Sendable {
    public let name = "scripted"
    private let lock = NIOLock()
    private var _connects = 0
    private var sessions: [ScriptedModelSession] = []
    private let refuse: Bool
    private let greeting: [String]

    /// `greeting`: events every new session starts with (e.g. `session.created`).
    public init(refuse: Bool = false, greeting: [String] = [#"{"type":"session.created","event_id":"e0","session":{"type":"realtime"}}"#]) {
        self.refuse = refuse
        self.greeting = greeting
    }

    /// How many sessions were asked for.
    public var connects: Int { lock.withLock { _connects } }

    /// The most recent session.
    public var lastSession: ScriptedModelSession? { lock.withLock { sessions.last } }

    public func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox> {
        lock.withLock { _connects += 1 }
        if refuse { return eventLoop.makeFailedFuture(ModelError("refused by script")) }
        let session = ScriptedModelSession(eventLoop: eventLoop, sink: sink)
        lock.withLock { sessions.append(session) }
        for event in greeting { session.send(event) }
        return eventLoop.makeSucceededFuture(ModelLinkBox(session.link))
    }
}

/// One scripted model session.
public final class ScriptedModelSession: @unchecked Sendable {
    let eventLoop: any EventLoop
    let link: Link
    private let received = NIOLockedValueBox<[String]>([])
    private let readingFlag = NIOLockedValueBox<Bool>(true)
    private let pausedFlag = NIOLockedValueBox<Bool>(false)
    private let closedFlag = NIOLockedValueBox<Bool>(false)

    init(eventLoop: any EventLoop, sink: any ModelSink) {
        self.eventLoop = eventLoop
        self.link = Link(sink: sink)
        link.owner = self
    }

    /// The events the hub sent, in order.
    public var events: [String] { received.withLockedValue { $0 } }
    /// The types of the events the hub sent, in order.
    public var types: [String] { events.map { (try? RealtimeEvent.decode($0).type) ?? "?" } }
    /// Whether the hub reads the model's events (backpressure).
    public var isReading: Bool { readingFlag.withLockedValue { $0 } }
    /// Whether the hub ever stopped reading the model's events, however briefly.
    public var hasPaused: Bool { pausedFlag.withLockedValue { $0 } }
    /// Whether the hub closed the session.
    public var isClosed: Bool { closedFlag.withLockedValue { $0 } }

    /// Sends an event to the hub.
    public func send(_ text: String) {
        let link = self.link
        eventLoop.execute {
            link.sink?.modelReceived(ByteBuffer(string: text))
            link.sink?.modelReadComplete()
        }
    }

    /// Ends the session from the model's side.
    public func drop(_ message: String = "dropped by script") {
        let link = self.link
        eventLoop.execute { link.sink?.modelClosed(ModelError(message)) }
    }

    /// Used on the session's event loop only.
    final class Link: ModelLink, @unchecked Sendable {
        weak var sink: (any ModelSink)?
        weak var owner: ScriptedModelSession?
        init(sink: any ModelSink) { self.sink = sink }
        func write(_ event: consuming ByteBuffer) {
            let text = String(buffer: event)
            owner?.received.withLockedValue { $0.append(text) }
        }
        func flush() {}
        var isWritable: Bool { true }
        func setReading(_ enabled: Bool) {
            owner?.readingFlag.withLockedValue { $0 = enabled }
            if !enabled { owner?.pausedFlag.withLockedValue { $0 = true } }
        }
        func close() { owner?.closedFlag.withLockedValue { $0 = true } }
    }
}
