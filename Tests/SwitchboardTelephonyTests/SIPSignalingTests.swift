import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import SwitchboardCore
import SwitchboardSIP
import Testing
@testable import SwitchboardTelephony

/// The hub's SIP signalling handler on a test channel, fed datagrams as a peer would send them.
/// Each accepted call's RTP socket is real (bound on the singleton event loop group, as in the
/// hub) and the handler hops back to the signalling channel's loop to answer, so the signalling
/// channel is a `NIOAsyncTestingChannel`: its loop takes work from other threads, which an
/// `EmbeddedEventLoop` may not.
@Suite(.serialized) struct SIPSignalingTests {
    static let peer = try! SocketAddress(ipAddress: "127.0.0.1", port: 5061)
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    // MARK: Messages a peer sends

    /// A datagram from readable text: LF becomes CRLF and `{len}` the body's length.
    static func datagram(_ head: String, body: String = "") -> [UInt8] {
        let crlfBody = body.isEmpty ? "" : body.replacing("\n", with: "\r\n") + "\r\n"
        let text = head.replacing("\n", with: "\r\n").replacing("{len}", with: String(crlfBody.utf8.count))
        return Array((text + "\r\n\r\n" + crlfBody).utf8)
    }

    static func sdp(rtpPort: Int) -> String {
        """
        v=0
        o=caller 1 1 IN IP4 127.0.0.1
        s=-
        c=IN IP4 127.0.0.1
        t=0 0
        m=audio \(rtpPort) RTP/AVP 0 101
        a=rtpmap:0 PCMU/8000
        a=rtpmap:101 telephone-event/8000
        a=sendrecv
        """
    }

    static func invite(callID: String, from number: String = "+15551230001", rtpPort: Int = 6000, sdp body: String? = nil) -> [UInt8] {
        datagram("""
        INVITE sip:agent@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-\(callID)-invite
        From: <sip:\(number)@127.0.0.1:5061>;tag=from-\(callID)
        To: <sip:agent@127.0.0.1:5060>
        Call-ID: \(callID)
        CSeq: 1 INVITE
        Contact: <sip:caller@127.0.0.1:5061>
        Max-Forwards: 70
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: body ?? sdp(rtpPort: rtpPort))
    }

    static func inDialog(_ method: String, callID: String, toTag: String, cseq: Int) -> [UInt8] {
        datagram("""
        \(method) sip:agent@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-\(callID)-\(method.lowercased())
        From: <sip:+15551230001@127.0.0.1:5061>;tag=from-\(callID)
        To: <sip:agent@127.0.0.1:5060>;tag=\(toTag)
        Call-ID: \(callID)
        CSeq: \(cseq) \(method)
        Max-Forwards: 70
        Content-Length: 0
        """)
    }

    static let options = datagram("""
        OPTIONS sip:agent@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-options-1
        From: <sip:monitor@127.0.0.1:5061>;tag=monitor
        To: <sip:agent@127.0.0.1:5060>
        Call-ID: options-1
        CSeq: 1 OPTIONS
        Max-Forwards: 70
        Content-Length: 0
        """)

    // MARK: The hub side

    /// The signalling handler on its test channel, with what it started.
    final class Hub {
        let channel: NIOAsyncTestingChannel
        let handler: SIPSignaling
        let metrics: RecordingTelephonyMetrics
        /// Each started call and its media channel (the RTP socket), as `startSession` saw them.
        let sessions: NIOLockedValueBox<[(start: CallStart, media: any Channel)]>
        /// Every SIP message sent so far, with where to.
        private(set) var log: [(to: SocketAddress, message: SIPMessage)] = []

        init(trusted: SIPTrustedNetworks = .loopback, maxCalls: Int? = nil, invitesPerSecond: Double? = nil) async throws {
            let settings = SIPSignaling.Settings(
                agent: SIPUserAgent.Configuration(localHost: "127.0.0.1", localPort: 0, maxCalls: maxCalls, invitesPerSecond: invitesPerSecond,
                                                  inviteBurst: invitesPerSecond.map { _ in 1 }),
                mediaHost: "127.0.0.1", advertisedHost: "127.0.0.1")
            let authentication = SIPAuthentication(trusted: trusted, realm: "test", users: nil, secret: Array("secret".utf8),
                                                   wallClock: { Int64(Date().timeIntervalSince1970) })
            let metrics = RecordingTelephonyMetrics()
            let sessions = NIOLockedValueBox<[(start: CallStart, media: any Channel)]>([])
            self.metrics = metrics
            self.sessions = sessions
            let handler = SIPSignaling(settings: settings, authentication: authentication, metrics: metrics, logger: SIPSignalingTests.quiet) { start, context in
                sessions.withLockedValue { $0.append((start, context.channel)) }
            }
            self.handler = handler
            channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 5060)
            try await channel.connect(to: SIPSignalingTests.peer)
        }

        func receive(_ bytes: [UInt8], from address: SocketAddress = SIPSignalingTests.peer) async throws {
            try await channel.writeInbound(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
        }

        /// Collects what the handler sends until `done` holds for all of it (or 5 s pass).
        @discardableResult
        func sent(until done: ([SIPMessage]) -> Bool) async throws -> [SIPMessage] {
            let deadline = ContinuousClock.now + .seconds(5)
            while true {
                while let envelope = try await channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
                    log.append((envelope.remoteAddress, try SIPMessage(parsing: Array(envelope.data.readableBytesView))))
                }
                let messages = log.map(\.message)
                if done(messages) || ContinuousClock.now > deadline { return messages }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        /// The final response to `callID`'s request `method`, once sent.
        func response(to method: String, callID: String) async throws -> SIPMessage? {
            let match = { (message: SIPMessage) in
                message.callID == callID && message.cseq?.method == method && (message.statusCode ?? 0) >= 200
            }
            return try await sent { $0.contains(where: match) }.first(where: match)
        }

        /// Sends an INVITE and returns the hub's final answer to it.
        func call(_ callID: String, from number: String = "+15551230001", rtpPort: Int = 6000) async throws -> SIPMessage? {
            try await receive(SIPSignalingTests.invite(callID: callID, from: number, rtpPort: rtpPort))
            return try await response(to: "INVITE", callID: callID)
        }

        /// Calls `body` on the signalling channel's loop.
        func onLoop<T: Sendable>(_ body: @escaping @Sendable (SIPSignaling) throws -> T) async throws -> T {
            let handler = self.handler
            return try await channel.testingEventLoop.executeInContext { try body(handler) }
        }

        func close() async {
            for session in sessions.withLockedValue({ $0 }) { try? await session.media.close() }
            _ = try? await channel.finish(acceptAlreadyClosed: true)
        }
    }

    /// A UDP peer that records where the RTP it receives comes from.
    final class RTPPeer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let sources = NIOLockedValueBox<[SocketAddress]>([])
        var channel: (any Channel)?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            sources.withLockedValue { $0.append(envelope.remoteAddress) }
        }

        static func bind() async throws -> RTPPeer {
            let peer = RTPPeer()
            peer.channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(peer) } }
                .bind(host: "127.0.0.1", port: 0).get()
            return peer
        }

        var port: Int { channel!.localAddress!.port! }
        var packets: Int { sources.withLockedValue { $0.count } }
        func close() async { try? await channel?.close() }
    }

    static func until(_ seconds: Double = 5, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// The RTP port an SDP body names.
    static func mediaPort(_ message: SIPMessage) -> Int? {
        let body = String(decoding: message.body, as: UTF8.self)
        guard let line = body.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("m=audio ") }) else { return nil }
        return Int(line.split(separator: " ")[1])
    }

    // MARK: Calls

    @Test func aTrustedInviteIsAnsweredWithTheBoundRTPPortAndStartsAVerifiedSession() async throws {
        let hub = try await Hub()
        let caller = try await RTPPeer.bind()
        let answer = try #require(try await hub.call("call-1", rtpPort: caller.port))
        let statuses = hub.log.filter { $0.message.callID == "call-1" }.compactMap(\.message.statusCode)
        #expect(statuses.first == 100, "100 Trying at once: \(statuses)")
        #expect(statuses.last == 200)
        #expect(hub.log.allSatisfy { $0.to == Self.peer })
        #expect(answer.contentType?.lowercased() == "application/sdp")
        let port = try #require(Self.mediaPort(answer))

        let session = try #require(hub.sessions.withLockedValue { $0.first })
        #expect(hub.sessions.withLockedValue { $0.count } == 1)
        #expect(session.start.caller?.rawValue == "+15551230001")
        #expect(session.start.callerVerified, "a trusted peer's From is believed")
        #expect(session.start.callID == "call-1")
        #expect(session.start.channel == "sip")
        #expect(session.media.localAddress?.port == port, "the SDP names the call's RTP socket")
        // The call's media comes from that port: comfort silence to the caller's SDP address.
        try await Self.until { caller.packets > 0 }
        #expect(caller.sources.withLockedValue { $0.first?.port } == port)
        #expect(hub.metrics.counts.calls == 0, "nothing refused, nothing rejected")
        await caller.close()
        await hub.close()
    }

    @Test func aByeEndsTheCallAndClosesItsRTPSocket() async throws {
        let hub = try await Hub()
        let answer = try #require(try await hub.call("call-1"))
        let toTag = try #require(answer.to?.tag)
        try await hub.receive(Self.inDialog("ACK", callID: "call-1", toTag: toTag, cseq: 1))
        let media = try #require(hub.sessions.withLockedValue { $0.first?.media })
        #expect(media.isActive)
        try await hub.receive(Self.inDialog("BYE", callID: "call-1", toTag: toTag, cseq: 2))
        let ok = try await hub.response(to: "BYE", callID: "call-1")
        #expect(ok?.statusCode == 200)
        try await Self.until { !media.isActive }
        #expect(!media.isActive, "the call's RTP socket is closed")
        // A BYE for a call that is over gets 481.
        try await hub.receive(Self.inDialog("BYE", callID: "call-gone", toTag: "x", cseq: 2))
        #expect(try await hub.response(to: "BYE", callID: "call-gone")?.statusCode == 481)
        await hub.close()
    }

    @Test func optionsAreAnswered() async throws {
        let hub = try await Hub()
        try await hub.receive(Self.options)
        let ok = try await hub.response(to: "OPTIONS", callID: "options-1")
        #expect(ok?.statusCode == 200)
        #expect(hub.log.map(\.to) == [Self.peer])
        #expect(hub.sessions.withLockedValue { $0.isEmpty })
        await hub.close()
    }

    @Test func garbageGetsNoCrashAndAtMostA400() async throws {
        let hub = try await Hub()
        let garbage: [[UInt8]] = [
            [], [0x00], Array("hello".utf8), [UInt8](repeating: 0xFF, count: 1500),
            Array("SIP/2.0 200 OK\r\n\r\n".utf8),
            Array("INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-g1\r\n\r\n".utf8),
            Array("INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-g2\r\nCall-ID: g2\r\nCSeq: x INVITE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 99999\r\n\r\n".utf8),
            Array(Self.invite(callID: "cut").prefix(200)),
            // An offer of nothing the hub speaks: 488.
            Self.invite(callID: "bad-sdp", sdp: Self.sdp(rtpPort: 6000).replacing("RTP/AVP 0 101", with: "RTP/AVP 96")
                .replacing("a=rtpmap:0 PCMU/8000", with: "a=rtpmap:96 opus/48000/2")),
        ]
        for datagram in garbage { try await hub.receive(datagram) }
        // OPTIONS after the garbage shows the handler is still answering.
        try await hub.receive(Self.options)
        let messages = try await hub.sent { $0.contains { $0.callID == "options-1" } }
        let statuses = messages.filter { $0.callID != "options-1" }.compactMap(\.statusCode)
        #expect(statuses.allSatisfy { $0 == 400 || $0 == 100 || $0 == 488 }, "\(statuses)")
        #expect(messages.filter { $0.callID != "options-1" }.allSatisfy { !$0.isRequest })
        #expect(statuses.contains(488), "\(statuses)")
        #expect(hub.metrics.counts.sipRejected[400, default: 0] == statuses.filter { $0 == 400 }.count)
        #expect(hub.metrics.counts.sipRejected[488, default: 0] == statuses.filter { $0 == 488 }.count)
        #expect(hub.sessions.withLockedValue { $0.isEmpty })
        #expect(messages.last?.statusCode == 200)
        await hub.close()
    }

    @Test func anUntrustedPeerWithoutUsersIsForbiddenAndStartsNothing() async throws {
        let hub = try await Hub(trusted: try SIPTrustedNetworks(parsing: ["10.0.0.0/8"]))
        let answer = try await hub.call("call-1")
        #expect(answer?.statusCode == 403)
        #expect(hub.sessions.withLockedValue { $0.isEmpty })
        #expect(hub.metrics.counts.sipAuth == ["forbidden": 1])
        await hub.close()
    }

    @Test func hangUpAllSendsAByeForEveryCall() async throws {
        let hub = try await Hub()
        for callID in ["call-1", "call-2"] {
            let answer = try #require(try await hub.call(callID, from: callID == "call-1" ? "+15551230001" : "+15551230002"))
            try await hub.receive(Self.inDialog("ACK", callID: callID, toTag: try #require(answer.to?.tag), cseq: 1))
        }
        #expect(hub.sessions.withLockedValue { $0.compactMap(\.start.caller?.rawValue) }.sorted() == ["+15551230001", "+15551230002"])
        try await hub.onLoop { $0.hangUpAll() }
        let messages = try await hub.sent { $0.filter { $0.method == "BYE" }.count >= 2 }
        let byes = messages.filter { $0.method == "BYE" }
        #expect(byes.compactMap(\.callID).sorted() == ["call-1", "call-2"])
        #expect(hub.log.filter { $0.message.method == "BYE" }.allSatisfy { $0.to == Self.peer })
        let media = hub.sessions.withLockedValue { $0.map(\.media) }
        try await Self.until { media.allSatisfy { !$0.isActive } }
        #expect(media.allSatisfy { !$0.isActive }, "every call's RTP socket is closed")
        await hub.close()
    }

    @Test func anOutboundCallOffersItsRTPPortAndStartsItsSessionWhenAnswered() async throws {
        let hub = try await Hub()
        let future = try await hub.onLoop {
            $0.placeCall(to: "+15557654321", peer: SIPEndpoint(host: "127.0.0.1", port: 5061), from: "+15551230000",
                         callee: SessionKey("+15557654321"), plan: OutboundCallPlan(agent: "hotel", purpose: "your stay"))
        }
        let callID = try await future.get()
        let messages = try await hub.sent { $0.contains { $0.method == "INVITE" } }
        let invite = try #require(messages.first { $0.method == "INVITE" })
        #expect(invite.callID == callID)
        #expect(invite.requestURIText?.contains("+15557654321") == true)
        let port = try #require(Self.mediaPort(invite))
        #expect(hub.sessions.withLockedValue { $0.isEmpty }, "the session starts once the call is answered")

        // The callee answers.
        let answer = Self.datagram("""
            SIP/2.0 200 OK
            Via: \(invite.headers["Via"] ?? "")
            From: \(invite.headers["From"] ?? "")
            To: \(invite.headers["To"] ?? "");tag=callee
            Call-ID: \(callID)
            CSeq: \(invite.headers["CSeq"] ?? "")
            Contact: <sip:callee@127.0.0.1:5061>
            Content-Type: application/sdp
            Content-Length: {len}
            """, body: Self.sdp(rtpPort: 6002))
        try await hub.receive(answer)
        let acked = try await hub.sent { $0.contains { $0.method == "ACK" } }
        #expect(acked.contains { $0.method == "ACK" && $0.callID == callID })
        try await Self.until { hub.sessions.withLockedValue { !$0.isEmpty } }
        let session = try #require(hub.sessions.withLockedValue { $0.first })
        #expect(session.start.caller?.rawValue == "+15557654321")
        #expect(session.start.callerVerified, "the number the hub dialled")
        #expect(session.start.outbound == OutboundCallPlan(agent: "hotel", purpose: "your stay"))
        #expect(session.start.callID == callID)
        #expect(session.media.localAddress?.port == port, "the INVITE offered the call's RTP socket")

        // Hanging up sends BYE and closes the call's RTP socket.
        try await hub.onLoop { $0.hangUp(callID: callID) }
        #expect(try await hub.sent { $0.contains { $0.method == "BYE" } }.contains { $0.method == "BYE" && $0.callID == callID })
        try await Self.until { !session.media.isActive }
        #expect(!session.media.isActive)
        await hub.close()
    }

    // MARK: Limits

    @Test func callsBeyondTheLimitAreRefusedAndCountedInboundAndOutbound() async throws {
        let hub = try await Hub(maxCalls: 1)
        #expect(try await hub.call("call-1")?.statusCode == 200)
        let refused = try await hub.call("call-2", from: "+15551230002")
        #expect(refused?.statusCode == 503)
        #expect(refused?.headers["Retry-After"] != nil)
        #expect(hub.metrics.counts.sipRefused == ["max_calls": 1])

        let future = try await hub.onLoop {
            $0.placeCall(to: "+15557654321", peer: SIPEndpoint(host: "127.0.0.1", port: 5061), from: "+15551230000",
                         callee: SessionKey("+15557654321"), plan: OutboundCallPlan())
        }
        await #expect(throws: SIPCallLimitReached(maxCalls: 1)) { try await future.get() }
        #expect(hub.metrics.counts.sipRefused == ["max_calls": 2])
        #expect(hub.sessions.withLockedValue { $0.count } == 1)
        let invites = try await hub.sent { _ in true }.filter { $0.method == "INVITE" }
        #expect(invites.isEmpty, "no INVITE goes out past the limit")
        await hub.close()
    }

    @Test func invitesFasterThanTheRateAreRefusedAndCounted() async throws {
        // One INVITE every 20 s: the second and third come far sooner.
        let hub = try await Hub(invitesPerSecond: 0.05)
        #expect(try await hub.call("call-1")?.statusCode == 200)
        #expect(try await hub.call("call-2")?.statusCode == 503)
        #expect(try await hub.call("call-3")?.statusCode == 503)
        #expect(hub.metrics.counts.sipRefused == ["invite_rate": 2])
        #expect(hub.sessions.withLockedValue { $0.count } == 1)
        await hub.close()
    }
}
