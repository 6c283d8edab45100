import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import OpenAIRealtime
import RealtimeProtocol

/// A WebSocket client for tests: sends text (or any) frames, and reads what the server sends
/// as an ordered stream of messages.
public final class RealtimeTestClient: Sendable {
    /// What the server sent.
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16?, reason: String)
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var description: String { "no message from the server in time" }
    }

    public let channel: any Channel
    /// The handshake response's headers.
    public let responseHeaders: HTTPHeaders
    /// The `X-Session-Key` the hub answered the handshake with.
    public var sessionKeyHeader: String? { responseHeaders["X-Session-Key"].first }
    private let messages: AsyncStream<Message>
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<Message>.AsyncIterator
        init(_ iterator: AsyncStream<Message>.AsyncIterator) { self.iterator = iterator }
    }

    /// Connects to `ws://host:port` + `uri`.
    public static func connect(host: String = "127.0.0.1", port: Int, uri: String, headers: [(String, String)] = [],
                               maxFrameSize: Int = 32 * 1024 * 1024,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> RealtimeTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: Message.self)
        let headBox = NIOLockedValueBox<HTTPHeaders>(HTTPHeaders())
        let channel = try await WebSocketConnector.connect(
            host: host, port: port, tls: false, uri: uri, headers: headers, maxFrameSize: maxFrameSize,
            timeout: .seconds(10), on: group.next()
        ) { channel, response in
            headBox.withLockedValue { $0 = response.headers }
            try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
        }.get()
        return RealtimeTestClient(channel: channel, headers: headBox.withLockedValue { $0 }, messages: stream)
    }

    private init(channel: any Channel, headers: HTTPHeaders, messages: AsyncStream<Message>) {
        self.channel = channel
        self.responseHeaders = headers
        self.messages = messages
        self.iterator = IteratorBox(messages.makeAsyncIterator())
    }

    /// Sends a text frame.
    public func send(_ text: String) async throws {
        try await write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    /// Sends an event as JSON.
    public func send(_ event: RealtimeEvent) async throws {
        try await send(event.jsonString)
    }

    /// Sends any frame.
    public func write(_ frame: WebSocketFrame) async throws {
        try await channel.writeAndFlush(frame)
    }

    /// The next message, or `nil` when the connection has ended.
    public func next(timeout: Duration = .seconds(10)) async throws -> Message? {
        let box = iterator
        return try await withThrowingTaskGroup(of: Message?.self) { group in
            group.addTask { await box.iterator.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Timeout()
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }

    /// The next text message decoded as an event; fails on anything else.
    public func nextEvent(timeout: Duration = .seconds(10)) async throws -> RealtimeEvent {
        guard let message = try await next(timeout: timeout) else { throw Unexpected(description: "the connection ended") }
        guard case .text(let text) = message else { throw Unexpected(description: "expected an event, got \(message)") }
        return try RealtimeEvent.decode(text)
    }

    /// Reads events until one of `type` arrives, returning all read (that one last).
    ///
    /// A `response.done` of a response the hub made on its own (a spoken filler while a slow tool
    /// runs, a notice: `response.metadata.switchboard`) does not end the wait for `response.done`:
    /// it is not the answer, and a loaded machine makes fillers where an idle one makes none.
    public func events(until type: String, timeout: Duration = .seconds(10)) async throws -> [RealtimeEvent] {
        var out: [RealtimeEvent] = []
        while true {
            let event = try await nextEvent(timeout: timeout)
            out.append(event)
            if event.type == type {
                if type == "response.done", event["response"]?["metadata"]?["switchboard"] != nil { continue }
                return out
            }
        }
    }

    /// Reads until the server's close frame and returns its code and reason.
    public func closeFrame(timeout: Duration = .seconds(10)) async throws -> (code: UInt16?, reason: String) {
        while let message = try await next(timeout: timeout) {
            if case .close(let code, let reason) = message { return (code, reason) }
        }
        throw Unexpected(description: "the connection ended without a close frame")
    }

    /// Sends a close frame and closes.
    public func close() async {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        try? await write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
        try? await channel.close()
    }

    public struct Unexpected: Error, CustomStringConvertible {
        public var description: String
    }
}

private final class Collector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    let continuation: AsyncStream<RealtimeTestClient.Message>.Continuation

    init(continuation: AsyncStream<RealtimeTestClient.Message>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text: continuation.yield(.text(payload.readString(length: payload.readableBytes) ?? ""))
        case .binary: continuation.yield(.binary(payload.readBytes(length: payload.readableBytes) ?? []))
        case .connectionClose:
            let code = payload.readInteger(as: UInt16.self)
            continuation.yield(.close(code: code, reason: payload.readString(length: payload.readableBytes) ?? ""))
        default: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
