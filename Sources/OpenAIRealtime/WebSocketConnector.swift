import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Opens a client WebSocket connection on a given event loop, with the handshake done and the
/// frame codec in place, and hands the channel to `configure` to add its own handler.
///
/// Bytes that arrive in the same read as the handshake response (where a realtime server puts
/// `session.created`) are kept and decoded as frames.
public enum WebSocketConnector {
    /// Why a connection failed.
    public struct ConnectError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Connects to `host:port`, upgrades at `uri` with `headers`, then calls `configure` on the
    /// upgraded channel (on its event loop) to add the handler that takes `WebSocketFrame`s.
    public static func connect(
        host: String, port: Int, tls: Bool, uri: String, headers: [(String, String)],
        maxFrameSize: Int, timeout: TimeAmount, on eventLoop: any EventLoop, aggregateFragments: Bool = true,
        additionalTrustRoots: [String] = [],
        configure: @escaping @Sendable (any Channel, HTTPResponseHead) throws -> Void
    ) -> EventLoopFuture<any Channel> {
        let upgraded = eventLoop.makePromise(of: (any Channel).self)
        let sslContext: NIOSSLContext?
        if tls {
            do {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.additionalTrustRoots = additionalTrustRoots.map { .file($0) }
                sslContext = try NIOSSLContext(configuration: configuration)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        } else {
            sslContext = nil
        }
        let hostHeader = (port == 80 && !tls) || (port == 443 && tls) ? host : "\(host):\(port)"
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: host.isIPAddress ? nil : host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    let upgrader = NIOWebSocketClientUpgrader(
                        maxFrameSize: maxFrameSize, automaticErrorHandling: false,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                // The request writer stands before the frame decoder: take it out
                                // before the bytes that followed the handshake are passed on.
                                let writer = try channel.pipeline.syncOperations.context(name: UpgradeRequestWriter.name)
                                channel.pipeline.syncOperations.removeHandler(context: writer, promise: nil)
                                if aggregateFragments {
                                    try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: maxFrameSize))
                                }
                                try configure(channel, response)
                                upgraded.succeed(channel)
                            }
                        }
                    )
                    let requestWriter = UpgradeRequestWriter(uri: uri, host: hostHeader, headers: headers, failure: upgraded)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                    )
                    try channel.pipeline.syncOperations.addHandler(requestWriter, name: UpgradeRequestWriter.name)
                }
            }
        let timer = eventLoop.scheduleTask(in: timeout) {
            upgraded.fail(ConnectError(description: "the WebSocket handshake timed out"))
        }
        // An address given as an IP literal is connected to directly: a name goes through NIO's
        // resolver (getaddrinfo on a thread pool, Happy Eyeballs), a cost on every session opened.
        let connecting: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connecting = bootstrap.connect(to: address)
        } else {
            connecting = bootstrap.connect(host: host, port: port)
        }
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                upgraded.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case .failure(let error):
                upgraded.fail(error)
            }
        }
        upgraded.futureResult.whenComplete { _ in timer.cancel() }
        return upgraded.futureResult
    }
}

/// Writes the upgrade request once connected, and reports a refused upgrade.
private final class UpgradeRequestWriter: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    static let name = "switchboard.upgrade-request"

    let uri: String
    let host: String
    let headers: [(String, String)]
    let failure: EventLoopPromise<any Channel>

    init(uri: String, host: String, headers: [(String, String)], failure: EventLoopPromise<any Channel>) {
        self.uri = uri
        self.host = host
        self.headers = headers
        self.failure = failure
    }

    func channelActive(context: ChannelHandlerContext) {
        var fields = HTTPHeaders([("Host", host)])
        for (name, value) in headers { fields.add(name: name, value: value) }
        fields.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A response reaching here was not an upgrade.
        if case .head(let head) = unwrapInboundIn(data) {
            failure.fail(WebSocketConnector.ConnectError(description: "the server refused the WebSocket upgrade: HTTP \(head.status.code) \(head.status.reasonPhrase)"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let upgradeError = error as? NIOHTTPClientUpgradeError {
            failure.fail(WebSocketConnector.ConnectError(description: "the server refused the WebSocket upgrade (\(upgradeError))"))
        } else {
            failure.fail(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failure.fail(WebSocketConnector.ConnectError(description: "the connection closed during the WebSocket handshake"))
        context.fireChannelInactive()
    }
}

extension String {
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
