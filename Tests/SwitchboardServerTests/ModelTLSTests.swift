import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore
import Testing
@testable import OpenAIRealtime

/// A wss:// model: every write of the model link, the fast path's framed-in-place audio included,
/// goes through TLS (the link once wrote its fast-path frames past the TLS handler, in the clear).
/// The server is a real TLS WebSocket server on loopback with a certificate made by `openssl`
/// for the test, trusted through `additionalTrustRoots` (`--model-ca-file`).
@Suite(.timeLimit(.minutes(1)))
struct ModelTLSTests {
    /// Collects what the model link hands the session.
    final class Sink: ModelSink, @unchecked Sendable {
        let events = NIOLockedValueBox<[String]>([])
        let closed = NIOLockedValueBox<ModelError??>(nil)
        func modelReceived(_ event: ByteBuffer) { events.withLockedValue { $0.append(String(buffer: event)) } }
        func modelReadComplete() {}
        func modelWritabilityChanged(_ isWritable: Bool) {}
        func modelClosed(_ error: ModelError?) { closed.withLockedValue { $0 = .some(error) } }
    }

    /// Sends `{"type":"session.created"}` on connect, then echoes every text message back.
    final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        func handlerAdded(context: ChannelHandlerContext) {
            let hello = context.channel.allocator.buffer(string: #"{"type":"session.created"}"#)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: hello)), promise: nil)
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            guard frame.opcode == .text else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: frame.unmaskedData)), promise: nil)
        }
    }

    /// A self-signed certificate for 127.0.0.1 and its key, made with the openssl command.
    static func makeCertificate(in directory: URL) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ChannelError.inappropriateOperationForState }
        return (certificate, key)
    }

    @Test func everyWriteOfTheModelLinkGoesThroughTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (certificatePath, keyPath) = try Self.makeCertificate(in: directory)
        let serverConfiguration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        let serverContext = try NIOSSLContext(configuration: serverConfiguration)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                }.flatMap {
                    let upgrader = NIOWebSocketServerUpgrader(
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in channel.pipeline.addHandler(EchoHandler()) })
                    return channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)

        let model = WebSocketRealtimeModel(endpoint: try .url("wss://127.0.0.1:\(port)/v1/realtime"), additionalTrustRoots: [certificatePath])
        let sink = Sink()
        let loop = group.next()
        let request = ModelSessionRequest(dialect: .ga, model: nil, sessionKey: "tls-test", logger: Logger(label: "test"))
        let box = try await loop.flatSubmit { model.connect(request, on: loop, sink: sink) }.get()

        // The hub's own events (framed anew) and client audio as the relay hands it on: copied
        // with room for the header, framed in place, some into recycled buffers.
        var sent: [String] = []
        try await loop.submit {
            let link = box.link
            for index in 0..<200 {
                let event = #"{"type":"input_audio_buffer.append","audio":"\#(String(repeating: "A", count: 700 + index))"}"#
                if index % 5 == 0 {
                    link.write(ByteBuffer(string: event))
                } else {
                    let payload = ByteBuffer(string: event)
                    if var buffer = link.eventBuffer() {
                        FrameWire.unmaskedCopy(payload, key: nil, into: &buffer)
                        link.write(consume buffer)
                    } else {
                        link.write(FrameWire.unmaskedCopy(payload, key: nil, allocator: ByteBufferAllocator()))
                    }
                }
                sent.append(event)
                if index % 10 == 9 { link.flush() }
            }
            link.flush()
        }.get()

        let deadline = ContinuousClock.now + .seconds(20)
        while sink.events.withLockedValue({ $0.count }) < sent.count + 1, ContinuousClock.now < deadline {
            if case .some = sink.closed.withLockedValue({ $0 }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let events = sink.events.withLockedValue { $0 }
        #expect(sink.closed.withLockedValue { $0 } == nil, "the TLS connection stayed up")
        #expect(events.first == #"{"type":"session.created"}"#)
        #expect(Array(events.dropFirst()) == sent)

        try await loop.submit { box.link.close() }.get()
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (certificatePath, keyPath) = try Self.makeCertificate(in: directory)
        let serverContext = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                }.flatMap { channel.pipeline.configureHTTPServerPipeline() }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        // Without the CA file the system's roots do not know the test's certificate.
        let model = WebSocketRealtimeModel(endpoint: try .url("wss://127.0.0.1:\(port)/v1/realtime"), connectTimeout: .seconds(5))
        let request = ModelSessionRequest(dialect: .ga, model: nil, sessionKey: "tls-test", logger: Logger(label: "test"))
        let loop = group.next()
        await #expect(throws: ModelError.self) {
            _ = try await loop.flatSubmit { model.connect(request, on: loop, sink: Sink()) }.get()
        }
        try await server.close()
        try await group.shutdownGracefully()
    }
}
