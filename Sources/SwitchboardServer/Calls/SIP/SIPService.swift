import Logging
import NIOConcurrencyHelpers
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
    /// Where HTTP requests find the bridge to place calls.
    var bridge: SIPBridge?
    /// Called with the bound port once the socket is open (port 0 picks a free one).
    var onBound: (@Sendable (Int) -> Void)?

    func run() async throws {
        let (sessions, continuation) = AsyncStream.makeStream(of: SessionDriver.self)
        let group = MultiThreadedEventLoopGroup.singleton
        let signalingBox = NIOLockedValueBox<NIOLoopBound<SIPSignaling>?>(nil)
        let hub = self.hub
        let advertisedHost = self.advertisedHost
        let host = self.host
        let bridge = self.bridge
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SIPSignaling(hub: hub, mediaHost: host, advertisedHost: advertisedHost, sessions: continuation)
                    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    signalingBox.withLockedValue { $0 = bound }
                    bridge?.attach(bound)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        hub.logger.notice("SIP bridge listening", metadata: ["sip.address": "\(host):\(bound)", "sip.advertised": "\(advertisedHost)"])
        onBound?(bound)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await driver in sessions {
                    group.addTask { await driver.run() }
                }
            }
        } onGracefulShutdown: {
            channel.eventLoop.execute {
                signalingBox.withLockedValue { $0 }?.value.hangUpAll()
                continuation.finish()
            }
        }
        try? await channel.close()
    }
}
