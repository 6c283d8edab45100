import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook receiver on a free loopback port (NIO HTTP/1.1) that records every request and
/// answers as the test's closure says, given the request and its index: a status, no answer at
/// all, or a closed connection.
final class WebhookReceiver: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Reply: Sendable {
        case status(Int)
        /// The status after a delay.
        case slow(Int, milliseconds: Int64)
        case hang
        case close
    }

    private let recorded = Mutex<[Request]>([])
    private let respond: @Sendable (Request, Int) -> Reply
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    private(set) nonisolated(unsafe) var port = 0

    private init(respond: @escaping @Sendable (Request, Int) -> Reply) {
        self.respond = respond
    }

    static func start(_ respond: @escaping @Sendable (Request, Int) -> Reply = { _, _ in .status(204) }) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver(respond: respond)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Handler(receiver: receiver))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ChannelError.inappropriateOperationForState }
        receiver.port = port
        receiver.channel.withLock { $0 = channel }
        return receiver
    }

    var url: String { "http://127.0.0.1:\(port)/hooks/calls?token=t0ps3cret" }
    var requests: [Request] { recorded.withLock { $0 } }

    func stop() async {
        let channel = self.channel.withLock { $0 }
        try? await channel?.close()
    }

    fileprivate func record(_ request: Request) -> Reply {
        let index = recorded.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        return respond(request, index)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let receiver: WebhookReceiver
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(receiver: WebhookReceiver) {
            self.receiver = receiver
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
                switch receiver.record(request) {
                case .hang:
                    break
                case .close:
                    context.close(promise: nil)
                case .slow(let status, let milliseconds):
                    context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                        self.answer(context: context, status: status)
                    }
                case .status(let status):
                    answer(context: context, status: status)
                }
            }
        }

        private func answer(context: ChannelHandlerContext, status: Int) {
            guard context.channel.isActive else { return }
            // 204 and 304 have no body.
            let body = status == 204 || status == 304 ? "" : "ok"
            var headers = HTTPHeaders()
            if !body.isEmpty { headers.add(name: "Content-Length", value: String(body.utf8.count)) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
            if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// Waits until `condition` holds (at most `limit`: generous, for a loaded machine running every
/// suite at once); whether it did.
func eventually(upTo limit: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        if ContinuousClock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}
