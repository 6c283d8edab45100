import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardCalls
import SwitchboardCore
import SwitchboardSIP
import SwitchboardTelephony

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
        let settings = Self.settings(hub.configuration, mediaHost: host, advertisedHost: advertisedHost)
        let authentication = Self.authentication(hub, advertisedHost: advertisedHost)
        let route = hub.platform.map { platform in { @Sendable (offer: SIPCallOffer) async -> CallRouting in await Self.route(offer, platform: platform) } }
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // A datagram is read whole (NIO's default reads 2048 bytes and cuts the rest, which
            // turned a large but valid INVITE into a Content-Length error).
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SIPSignaling(settings: settings, authentication: authentication, metrics: hub.metrics, logger: hub.logger,
                                               unanswered: { plan, reason in Self.unanswered(plan, reason: reason, hub: hub) }, route: route) { call, context in
                        var logger = hub.logger
                        logger[metadataKey: "call.channel"] = "sip"
                        logger[metadataKey: "session.key"] = "\(call.caller?.redacted ?? "new")"
                        hub.metrics.calls(channel: call.channel)
                        continuation.yield(try RealtimeChannel.attachSession(channel: context.channel, request: ConnectionRequest(call: call),
                                                                            hub: hub, logger: logger))
                    }
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

    /// The bridge's settings from the hub's: the SIP limits, the media policy.
    /// Where an offered call goes by the number it dialled (the Request-URI's user).
    static func route(_ offer: SIPCallOffer, platform: PlatformContext) async -> CallRouting {
        switch await platform.directory.route(offer.calledNumber ?? offer.calledUser) {
        case .unrouted: .accept(nil)
        case .tenant(let tenant, let agent): .accept(CallDestination(tenant: tenant, agent: agent))
        case .unknown: .reject(status: 404, reason: "Not Found")
        case .unavailable: .reject(status: 503, reason: "Service Unavailable")
        }
    }

    /// A call the hub placed ended unanswered: its record ends with why.
    static func unanswered(_ plan: OutboundCallPlan, reason: SIPCallEndReason, hub: HubContext) {
        guard let record = plan.recordID else { return }
        let ending: CallEndReason
        switch reason {
        case .failed(let status) where [486, 600, 603].contains(status): ending = .busy
        // Given up by the ring timer (the hub's CANCEL), or the far end said nobody answered.
        case .localHangUp, .cancelled: ending = .noAnswer
        case .failed(let status) where [408, 480, 487].contains(status): ending = .noAnswer
        default: ending = .failed
        }
        Task {
            do {
                _ = try await hub.calls.endUnanswered(recordID: record, reason: ending)
            } catch {
                hub.logger.warning("could not close an unanswered call's record", metadata: ["call.record": "\(record)", "error": "\(error)"])
            }
        }
    }

    static func settings(_ configuration: HubConfiguration, mediaHost: String, advertisedHost: String) -> SIPSignaling.Settings {
        let agent = SIPUserAgent.Configuration(localHost: advertisedHost, localPort: 0, maxCalls: configuration.sipMaxCalls,
                                               invitesPerSecond: configuration.sipInvitesPerSecond > 0 ? configuration.sipInvitesPerSecond : nil,
                                               mediaToAnyAddress: configuration.sipMediaAnyAddress)
        return SIPSignaling.Settings(agent: agent, mediaHost: mediaHost, advertisedHost: advertisedHost,
                                     mediaAnyAddress: configuration.sipMediaAnyAddress, rtpTimeout: configuration.rtpTimeout.map { TimeAmount($0) })
    }

    /// Trusted peers and digest users (`--sip-trust`, `--sip-users`); checked by `validate()`
    /// at start-up, so a failure here (a file changed since) refuses every untrusted caller.
    static func authentication(_ hub: HubContext, advertisedHost: String) -> SIPAuthentication {
        do {
            return try hub.configuration.sipAuthentication(advertisedHost: advertisedHost)
        } catch {
            hub.logger.error("SIP authentication settings unusable; untrusted callers are refused", metadata: ["error": "\(error)"])
            return SIPAuthentication(trusted: .loopback, realm: advertisedHost, users: nil, secret: [],
                                     wallClock: { Int64(Date().timeIntervalSince1970) })
        }
    }
}
