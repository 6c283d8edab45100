import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardSIP

/// The SIP bridge as a service of the hub: binds the SIP UDP port, runs each call's session,
/// and on shutdown hangs every call up (BYE) and waits for the sessions to save.
struct SIPService: Service {
    let hub: HubContext
    let host: String
    let port: Int
    let advertisedHost: String
    /// The running bridge: where HTTP requests place calls and shutdown hangs them up.
    let bridge: SIPBridge

    func run() async throws {
        let (sessions, continuation) = AsyncStream.makeStream(of: SessionDriver.self)
        let group = MultiThreadedEventLoopGroup.singleton
        let hub = self.hub
        let advertisedHost = self.advertisedHost
        let host = self.host
        let bridge = self.bridge
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A datagram is read whole (NIO's default reads 2048 bytes and cuts the rest, which
            // turned a large but valid INVITE into a Content-Length error).
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SIPSignaling(hub: hub, mediaHost: host, advertisedHost: advertisedHost, sessions: continuation)
                    bridge.attach(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        hub.logger.notice("SIP bridge listening", metadata: ["sip.address": "\(host):\(bound)", "sip.advertised": "\(advertisedHost)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await driver in sessions {
                    group.addTask { await driver.run() }
                }
            }
        } onGracefulShutdown: {
            bridge.hangUpAll { continuation.finish() }
        }
        try? await channel.close()
    }
}
