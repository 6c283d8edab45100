import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RealtimeProtocol
import Synchronization

/// A request as the local server received it.
struct ReceivedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first header of this name (any case).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The path, percent-decoded.
    var path: String {
        URLComponents(string: uri)?.path ?? uri
    }

    /// The raw (still encoded) path.
    var rawPath: String {
        URLComponents(string: uri)?.percentEncodedPath ?? uri
    }

    /// The query items, decoded: `(name, value)` in order.
    var query: [(name: String, value: String?)] {
        (URLComponents(string: uri)?.queryItems ?? []).map { ($0.name, $0.value) }
    }

    var bodyJSON: JSONValue? {
        try? JSONParser.parse(body)
    }
}

/// What the server does with a request.
enum Reply: Sendable {
    /// Answers after `delay`; `chunked` sends the body in pieces without a Content-Length.
    case respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], delay: Duration = .zero, chunked: Bool = false)
    /// Never answers.
    case hang

    /// A JSON answer.
    static func json(_ status: Int, _ text: String, delay: Duration = .zero) -> Reply {
        .respond(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8), delay: delay)
    }
}

/// An HTTP/1.1 server on a free loopback port that records every request and every closed
/// connection, answering as the test's closure says (given the request and its index).
struct LocalHTTPServer: Sendable {
    final class Recorder: Sendable {
        private struct State {
            var requests: [ReceivedRequest] = []
            var closedConnections = 0
        }

        private let state = Mutex(State())
        let respond: @Sendable (ReceivedRequest, Int) -> Reply

        init(respond: @escaping @Sendable (ReceivedRequest, Int) -> Reply) {
            self.respond = respond
        }

        func record(_ request: ReceivedRequest) -> Reply {
            let index = state.withLock { state in
                state.requests.append(request)
                return state.requests.count - 1
            }
            return respond(request, index)
        }

        func connectionClosed() {
            state.withLock { $0.closedConnections += 1 }
        }

        var requests: [ReceivedRequest] { state.withLock { $0.requests } }
        var closedConnections: Int { state.withLock { $0.closedConnections } }
    }

    let recorder: Recorder
    let channel: any Channel
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }
    var requests: [ReceivedRequest] { recorder.requests }
    var closedConnections: Int { recorder.closedConnections }

    static func start(_ respond: @escaping @Sendable (ReceivedRequest, Int) -> Reply) async throws -> LocalHTTPServer {
        let recorder = Recorder(respond: respond)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Handler(recorder: recorder))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ChannelError.inappropriateOperationForState }
        return LocalHTTPServer(recorder: recorder, channel: channel, port: port)
    }

    func stop() async {
        try? await channel.close()
    }

    /// Waits until `condition` holds (at most `limit`); whether it did.
    func wait(upTo limit: Duration = .seconds(5), until condition: (LocalHTTPServer) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition(self) {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let recorder: Recorder
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(recorder: Recorder) {
            self.recorder = recorder
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
                let request = ReceivedRequest(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
                switch recorder.record(request) {
                case .hang:
                    break
                case .respond(let status, let headers, let body, let delay, let chunked):
                    if delay == .zero {
                        write(context: context, status: status, headers: headers, body: body, chunked: chunked)
                    } else {
                        let milliseconds = Int64(delay / .milliseconds(1))
                        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                            self.write(context: context, status: status, headers: headers, body: body, chunked: chunked)
                        }
                    }
                }
            }
        }

        private func write(context: ChannelHandlerContext, status: Int, headers: [(String, String)], body: [UInt8], chunked: Bool) {
            guard context.channel.isActive else { return }
            var fields = HTTPHeaders(headers)
            if !chunked { fields.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields))), promise: nil)
            let piece = chunked ? 64 * 1024 : max(body.count, 1)
            var offset = 0
            while offset < body.count {
                let end = min(offset + piece, body.count)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[offset..<end])))), promise: nil)
                offset = end
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            recorder.connectionClosed()
            context.fireChannelInactive()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback port that refuses every connection for as long as this lives: a socket bound to it
/// that never listens. Unlike the port of a stopped server, no other test can take it meanwhile.
final class RefusingPort: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw ChannelError.ioOnClosedChannel }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw ChannelError.ioOnClosedChannel
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    var base: String { "http://127.0.0.1:\(port)" }

    deinit { close(descriptor) }
}
