import Logging
import NIOCore
import RealtimeProtocol

/// What the hub asks of a model when it opens a session.
public struct ModelSessionRequest: Sendable {
    /// The dialect the model session should speak (the client's, so audio passes through as is).
    public var dialect: Dialect
    /// The model the client asked for (`?model=`), if any.
    public var model: String?
    /// The session this model session serves (for logs and tracing only).
    public var sessionKey: String
    public var logger: Logger

    public init(dialect: Dialect, model: String?, sessionKey: String, logger: Logger) {
        self.dialect = dialect
        self.model = model
        self.sessionKey = sessionKey
        self.logger = logger
    }
}

/// Why a model session could not be opened or ended.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The one seam between the hub and a realtime model: open a model session, send it client
/// events, receive its server events.
///
/// A model session lives on one event loop, the one its client connection lives on, so audio
/// frames go from one to the other without leaving it.
public protocol RealtimeModel: Sendable {
    /// A short name for logs and metrics (`local`, `openai`, `azure`, `ws`).
    var name: String { get }

    /// Opens a model session on `eventLoop`; `sink` receives its events on that loop.
    func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox>
}

/// A connected model session. Confined to its event loop: call it only there.
public protocol ModelLink: AnyObject {
    /// Queues one event (a JSON text frame's payload) for the model. The link owns the buffer:
    /// a caller that hands over its only reference lets the link frame it in place.
    func write(_ event: consuming ByteBuffer)
    /// An empty buffer for the next event to `write`: a link that recycles the buffers of the
    /// frames it wrote hands one back when the socket is done with it.
    func eventBuffer() -> ByteBuffer?
    /// Sends what was queued.
    func flush()
    /// Whether the model connection takes more writes without queueing.
    var isWritable: Bool { get }
    /// Stops (`false`) or resumes (`true`) reading the model's events.
    func setReading(_ enabled: Bool)
    /// Ends the model session.
    func close()
}

/// Receives a model session's events. Confined to the session's event loop.
public protocol ModelSink: AnyObject {
    /// One server event (a JSON text frame's payload).
    func modelReceived(_ event: ByteBuffer)
    /// One server event with its whole frame as read (header and payload, unmasked): a sink that
    /// passes the event on unchanged to a WebSocket peer can write `frame` as it is.
    func modelReceived(_ event: ByteBuffer, frame: ByteBuffer)
    /// The end of a batch of events read together: a good moment to flush.
    func modelReadComplete()
    /// The model connection's writability changed.
    func modelWritabilityChanged(_ isWritable: Bool)
    /// The model session ended; `error` says why when it was not asked to.
    func modelClosed(_ error: ModelError?)
}

extension ModelLink {
    public func eventBuffer() -> ByteBuffer? { nil }
}

extension ModelSink {
    public func modelReceived(_ event: ByteBuffer, frame: ByteBuffer) {
        modelReceived(event)
    }
}

/// Carries a `ModelLink` out of a future. Only open it on the link's event loop.
public struct ModelLinkBox: @unchecked Sendable {
    public let link: any ModelLink
    public init(_ link: any ModelLink) { self.link = link }
}
