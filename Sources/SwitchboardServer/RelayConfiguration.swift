import NIOCore

/// Limits of the realtime data path.
public struct RelayConfiguration: Sendable {
    /// The largest event a client may send, in bytes (OpenAI's limit is 15 MiB).
    public var maxEventBytes: Int = 15 * 1024 * 1024
    /// Bytes of client events held while the model session opens or a control event is decided.
    public var backlogBytes: Int = 4 * 1024 * 1024
    /// How long a client may leave its events unread before it is disconnected.
    public var clientStallTimeout: TimeAmount = .seconds(15)
    /// How long opening a model session may take.
    public var modelConnectTimeout: TimeAmount = .seconds(15)

    public init() {}
}
