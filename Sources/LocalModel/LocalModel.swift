import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

/// The model built into the hub: deterministic, offline, answering from the personas.
public struct LocalRealtimeModel: RealtimeModel {
    public let name = "local"
    public let brain: LocalBrain

    /// A local model answering as the personas of `catalog`, with relative dates counted from
    /// `today` (this machine's date by default).
    public init(catalog: PersonaCatalog, today: @escaping @Sendable () -> CalendarDay = CalendarDay.today) {
        self.brain = LocalBrain(catalog: catalog, today: today)
    }

    public func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox> {
        eventLoop.assertInEventLoop()
        let link = LocalModelLink(
            session: LocalModelSession(dialect: request.dialect, model: request.model, brain: brain),
            eventLoop: eventLoop, sink: sink
        )
        link.start()
        return eventLoop.makeSucceededFuture(ModelLinkBox(link))
    }
}

/// A local model session bound to an event loop. Answers are delivered on a later tick of the
/// loop, never from inside `write`, so the caller is never re-entered.
final class LocalModelLink: ModelLink, @unchecked Sendable {
    private var session: LocalModelSession
    private let eventLoop: any EventLoop
    private weak var sink: (any ModelSink)?
    private var pending: [ByteBuffer] = []
    private var outbox: [ByteBuffer] = []
    private var reading = true
    private var deliveryScheduled = false
    private var closed = false
    private let allocator = ByteBufferAllocator()

    init(session: LocalModelSession, eventLoop: any EventLoop, sink: any ModelSink) {
        self.session = session
        self.eventLoop = eventLoop
        self.sink = sink
    }

    func start() {
        emit(session.start())
    }

    func write(_ event: ByteBuffer) {
        guard !closed else { return }
        pending.append(event)
    }

    func flush() {
        guard !closed else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        for buffer in batch {
            let event: RealtimeEvent
            do {
                event = try RealtimeEvent.decode(buffer)
            } catch {
                emit([RealtimeError.invalidRequest(error.code, error.description).event])
                continue
            }
            emit(session.handle(event))
        }
    }

    var isWritable: Bool { true }

    func setReading(_ enabled: Bool) {
        reading = enabled
        if enabled { scheduleDelivery() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        pending.removeAll()
        outbox.removeAll()
        let sink = NIOLoopBound(self.sink, eventLoop: eventLoop)
        eventLoop.execute { sink.value?.modelClosed(nil) }
    }

    private func emit(_ events: [RealtimeEvent]) {
        guard !events.isEmpty else { return }
        for event in events { outbox.append(event.encoded(allocator: allocator)) }
        scheduleDelivery()
    }

    private func scheduleDelivery() {
        guard !deliveryScheduled, reading, !outbox.isEmpty else { return }
        deliveryScheduled = true
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute { this.value.deliver() }
    }

    private func deliver() {
        deliveryScheduled = false
        guard !closed, let sink else { return }
        while reading, !outbox.isEmpty, !closed {
            sink.modelReceived(outbox.removeFirst())
        }
        sink.modelReadComplete()
    }
}
