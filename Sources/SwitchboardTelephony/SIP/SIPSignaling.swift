import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SwitchboardCore
import SwitchboardSIP

/// The hub's SIP user agent on its UDP socket: it feeds datagrams and timers to the
/// deterministic `SIPUserAgent` and carries out what it asks (send, answer, hang up). Each
/// accepted call gets its own RTP socket whose pipeline is the call's media, the call bridge
/// and, once started, the caller's session, exactly as a Twilio stream's is.
package final class SIPSignaling: ChannelInboundHandler, @unchecked Sendable {
    package typealias InboundIn = AddressedEnvelope<ByteBuffer>
    package typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// Where the bridge listens and what its calls may do.
    package struct Settings: Sendable {
        /// The user agent's settings; its port is filled in once the socket is bound.
        package var agent: SIPUserAgent.Configuration
        /// The address each call's RTP socket binds to.
        package var mediaHost: String
        /// The address peers reach the hub at (Via, Contact, SDP).
        package var advertisedHost: String
        /// Accept (and latch) RTP from any address (`--sip-media-any-address`).
        package var mediaAnyAddress = false
        /// Hang up a call whose RTP stops for this long; `nil`: never.
        package var rtpTimeout: TimeAmount?

        package init(agent: SIPUserAgent.Configuration, mediaHost: String, advertisedHost: String, mediaAnyAddress: Bool = false,
                     rtpTimeout: TimeAmount? = nil) {
            self.agent = agent
            self.mediaHost = mediaHost
            self.advertisedHost = advertisedHost
            self.mediaAnyAddress = mediaAnyAddress
            self.rtpTimeout = rtpTimeout
        }
    }

    /// Starts the caller's session on a call's media channel, after its call bridge (called on
    /// the call's event loop with the bridge's context).
    package typealias StartSession = @Sendable (CallStart, ChannelHandlerContext) throws -> Void

    package struct Call {
        package var channel: (any Channel)?
        package var handler: RTPCallHandler?
        /// An outbound call not answered in time is given up.
        package var ringTimer: Scheduled<Void>?
        /// The call's patch to another call, once it has one (a bridged transfer).
        package var patch: MediaPatch?
        /// What a call the hub placed (`placeCall`) is for, until it is answered.
        package var unanswered: OutboundCallPlan?
    }

    /// Where an offered call goes: answered for a tenant's agent, or refused (404 for a number
    /// no tenant has, 503 when the number table cannot be read). Asked before the call is answered.
    package typealias Route = @Sendable (SIPCallOffer) async -> CallRouting

    /// Told when a call the hub placed ends without being answered (busy, no answer, refused,
    /// unreachable), with the plan it was placed with; on the bridge's loop.
    package typealias Unanswered = @Sendable (OutboundCallPlan, SIPCallEndReason) -> Void

    /// How long an outbound call may ring.
    package static let ringTimeout: TimeAmount = .seconds(45)

    /// Made when the socket is bound, so headers carry the port it got.
    private var agent: SIPUserAgent
    private let settings: Settings
    private let metrics: any TelephonyMetrics
    private let startSession: StartSession
    private let unanswered: Unanswered?
    private let route: Route?
    private var calls: [String: Call] = [:]
    /// Transfers by REFER under way, by Call-ID.
    private var transfers: [String: EventLoopPromise<Void>] = [:]
    /// Calls the hub placed to put a caller through itself (bridged transfers), by their Call-ID.
    private var consults: [String: Consult] = [:]
    /// Calls patched together, both ways: each one's Call-ID to the other's.
    private var partners: [String: String] = [:]

    /// A call placed to a person for a bridged transfer, until it is patched to the caller.
    private struct Consult {
        /// The caller's Call-ID.
        var callerID: String
        var promise: EventLoopPromise<Void>
        var patch: MediaPatch
    }

    /// How long a person called for a transfer may take to answer.
    package static let transferRingTimeout: TimeAmount = .seconds(30)
    private var timer: Scheduled<Void>?
    /// When `timer` fires.
    private var timerDeadline: ContinuousClock.Instant?
    /// The agent's counters already reported to the metrics.
    private var reported = SIPUserAgent.Statistics()
    private var lastRefusalLog: ContinuousClock.Instant?
    private var context: ChannelHandlerContext?
    private var logger: Logger

    /// Trusted peers and digest users.
    private let authentication: SIPAuthentication

    package init(settings: Settings, authentication: SIPAuthentication, metrics: any TelephonyMetrics, logger: Logger,
         unanswered: Unanswered? = nil, route: Route? = nil, startSession: @escaping StartSession) {
        self.unanswered = unanswered
        self.route = route
        self.settings = settings
        self.authentication = authentication
        self.agent = SIPUserAgent(configuration: settings.agent, authentication: authentication)
        self.metrics = metrics
        self.startSession = startSession
        self.logger = logger
        self.logger[metadataKey: "call.channel"] = "sip"
    }

    private var advertisedHost: String { settings.advertisedHost }

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    package func channelActive(context: ChannelHandlerContext) {
        var configuration = settings.agent
        configuration.localPort = context.channel.localAddress?.port ?? 0
        agent = SIPUserAgent(configuration: configuration, authentication: authentication)
        context.fireChannelActive()
    }

    /// Where a call's RTP may come from and how long it may pause.
    private func mediaPolicy(signallingHost: String) -> RTPCallHandler.Policy {
        RTPCallHandler.Policy(signallingHost: signallingHost, anyAddress: settings.mediaAnyAddress, rtpTimeout: settings.rtpTimeout)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
        let pending = transfers
        transfers = [:]
        for promise in pending.values { promise.fail(SIPTransferFailed(outcome: .notSent("the SIP bridge stopped"))) }
        let placing = consults
        consults = [:]
        for consult in placing.values { consult.promise.fail(SIPTransferFailed(outcome: .notSent("the SIP bridge stopped"))) }
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
        let datagram = Array(envelope.data.readableBytesView)
        perform(agent.receive(datagram, from: SIPEndpoint(host: host, port: port), now: .now))
    }

    /// Ends every call (BYE), for shutdown.
    package func hangUpAll() {
        for callID in calls.keys { perform(agent.hangUp(callID: callID, now: .now)) }
    }

    /// The session asked to end the call (its connection closed): BYE, then its media closes.
    package func hangUp(callID: String) {
        guard calls[callID] != nil else { return }
        perform(agent.hangUp(callID: callID, now: .now))
    }

    /// Transfers a call by REFER to `target` (a `sip:` URI or a number): succeeds once the peer
    /// reports the target answered (a final 2xx NOTIFY; the hub then ends its leg with BYE),
    /// fails with `SIPTransferFailed` otherwise (the call stays up). On the bridge's event loop.
    package func transfer(callID: String, to target: String) -> EventLoopFuture<Void> {
        guard let context else {
            return MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(SIPTransferFailed(outcome: .notSent("the SIP bridge is not running")))
        }
        context.eventLoop.preconditionInEventLoop()
        guard calls[callID] != nil, partners[callID] == nil else {
            return context.eventLoop.makeFailedFuture(SIPTransferFailed(outcome: .notSent("the call is not on this bridge")))
        }
        guard transfers[callID] == nil, !consults.values.contains(where: { $0.callerID == callID }) else {
            return context.eventLoop.makeFailedFuture(SIPTransferFailed(outcome: .notSent("a transfer is already under way")))
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        transfers[callID] = promise
        logger.info("transferring a call", metadata: ["call.id": "\(callID)"])
        perform(agent.refer(callID: callID, to: target, now: .now))
        return promise.futureResult
    }

    /// Puts a call through to `target` by calling them from the hub and patching the two calls'
    /// media together: a warm transfer (`announcement`, PCM16 at 8 kHz, is played to the person
    /// first: who calls and why) or the fallback when the caller's side refuses REFER. Succeeds
    /// once the person has answered, heard the announcement and the calls are patched; fails
    /// with `SIPTransferFailed` when they do not answer within `ringTimeout` or refuse (the
    /// caller's call stays with its session). On the bridge's event loop.
    package func bridgeTransfer(callID: String, to target: String, via peer: SIPEndpoint, from number: String, announcement: [Int16]?,
                                ringTimeout: TimeAmount = transferRingTimeout) -> EventLoopFuture<Void> {
        guard let context else {
            return MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(SIPTransferFailed(outcome: .notSent("the SIP bridge is not running")))
        }
        let loop = context.eventLoop
        loop.preconditionInEventLoop()
        guard calls[callID]?.channel != nil, partners[callID] == nil else {
            return loop.makeFailedFuture(SIPTransferFailed(outcome: .notSent("the call is not on this bridge")))
        }
        guard transfers[callID] == nil, !consults.values.contains(where: { $0.callerID == callID }) else {
            return loop.makeFailedFuture(SIPTransferFailed(outcome: .notSent("a transfer is already under way")))
        }
        guard !agent.isAtCallLimit else {
            metrics.sipRefused("max_calls", count: 1)
            return loop.makeFailedFuture(SIPTransferFailed(outcome: .notSent("the bridge already carries its most calls")))
        }
        let promise = loop.makePromise(of: Void.self)
        let signaling = NIOLoopBound(self, eventLoop: loop)
        let consultID = NIOLockedValueBox("")
        let patch = MediaPatch(announcement: announcement) {
            let id = consultID.withLockedValue { $0 }
            loop.execute { signaling.value.link(consult: id) }
        }
        let placeholder = SIPMedia(remote: peer, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil)
        openMedia(callID: { consultID.withLockedValue { $0 } }, party: nil, partyVerified: false, media: placeholder, outbound: OutboundCallPlan(),
                  policy: mediaPolicy(signallingHost: peer.host), signalingLoop: loop) { pipeline in
            try pipeline.addHandler(patch)
        }.whenComplete { result in
            let this = signaling.value
            switch result {
            case .failure(let error):
                promise.fail(SIPTransferFailed(outcome: .notSent("no RTP socket for the call: \(error)")))
            case .success(let (channel, handler)):
                guard this.calls[callID] != nil, let port = channel.localAddress?.port else {
                    channel.close(promise: nil)
                    promise.fail(SIPTransferFailed(outcome: .callEnded))
                    return
                }
                let (id, actions) = this.agent.call(to: target, from: number, via: peer, rtp: SIPEndpoint(host: this.advertisedHost, port: port), now: .now)
                consultID.withLockedValue { $0 = id }
                let timer = loop.scheduleTask(in: ringTimeout) {
                    let this = signaling.value
                    guard this.consults[id] != nil else { return }
                    this.logger.info("the person called for a transfer did not answer", metadata: ["call.id": "\(id)"])
                    this.hangUp(callID: id)
                }
                this.calls[id] = Call(channel: channel, handler: handler, ringTimer: timer)
                this.consults[id] = Consult(callerID: callID, promise: promise, patch: patch)
                this.logger.info("calling a person to put a call through", metadata: ["call.id": "\(callID)", "transfer.call_id": "\(id)",
                                                                                       "transfer.announced": "\(announcement != nil)"])
                this.perform(actions)
            }
        }
        return promise.futureResult
    }

    /// The person of a bridged transfer heard the announcement: the caller's call gets its
    /// patch (shielding it from its session) and the two are linked both ways.
    private func link(consult id: String) {
        guard let consult = consults.removeValue(forKey: id), let consultChannel = calls[id]?.channel else { return }
        guard let caller = calls[consult.callerID], let callerChannel = caller.channel, let callerHandler = caller.handler else {
            consult.promise.fail(SIPTransferFailed(outcome: .callEnded))
            hangUp(callID: id)
            return
        }
        guard let context else { return }
        let signaling = NIOLoopBound(self, eventLoop: context.eventLoop)
        let consultPatch = consult.patch
        let consultLoop = consultChannel.eventLoop
        callerChannel.eventLoop.submit {
            let patch = MediaPatch(law: callerHandler.law)
            try callerChannel.pipeline.syncOperations.addHandler(patch, position: .after(callerHandler))
            patch.link(to: consultPatch, on: consultLoop)
            return patch
        }.hop(to: context.eventLoop).whenComplete { result in
            let this = signaling.value
            switch result {
            case .success(let callerPatch) where this.calls[consult.callerID] != nil && this.calls[id] != nil:
                this.calls[consult.callerID]?.patch = callerPatch
                this.calls[id]?.patch = consultPatch
                this.partners[consult.callerID] = id
                this.partners[id] = consult.callerID
                consultLoop.execute { consultPatch.link(to: callerPatch, on: callerChannel.eventLoop) }
                this.logger.info("call put through", metadata: ["call.id": "\(consult.callerID)", "transfer.call_id": "\(id)"])
                consult.promise.succeed(())
            case .success:
                consult.promise.fail(SIPTransferFailed(outcome: .callEnded))
                this.hangUp(callID: id)
                this.hangUp(callID: consult.callerID)
            case .failure(let error):
                consult.promise.fail(SIPTransferFailed(outcome: .notSent("the calls could not be patched: \(error)")))
                this.hangUp(callID: id)
            }
        }
    }

    /// A call ended: a transfer it was placed for fails, one placed for it is dropped, and the
    /// call patched to it ends too.
    private func consultEnded(_ callID: String, reason: SIPCallEndReason) {
        if let consult = consults.removeValue(forKey: callID) {
            let outcome: SIPTransferOutcome
            switch reason {
            case .failed(let status): outcome = .failed(status: status)
            case .timeout: outcome = .timedOut
            // Given up by the ring timer: nobody answered.
            case .localHangUp: outcome = .failed(status: 408)
            default: outcome = .callEnded
            }
            consult.promise.fail(SIPTransferFailed(outcome: outcome))
        }
        for (id, consult) in consults where consult.callerID == callID {
            consults[id] = nil
            consult.promise.fail(SIPTransferFailed(outcome: .callEnded))
            hangUp(callID: id)
        }
        if let partner = partners.removeValue(forKey: callID) {
            partners[partner] = nil
            hangUp(callID: partner)
        }
    }

    private func perform(_ actions: [SIPAction]) {
        guard let context else { return }
        var wrote = false
        for action in actions {
            switch action {
            case .send(let bytes, let to):
                // `SocketAddress(ipAddress:port:)` traps on a port outside 0–65535: check first.
                guard (1...65535).contains(to.port), let address = try? SocketAddress(ipAddress: to.host, port: to.port) else {
                    logger.warning("cannot send SIP to an address that is not an IP", metadata: ["sip.to": "\(to)"])
                    continue
                }
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
                wrote = true
            case .incomingCall(let offer):
                if let route {
                    routeThenAnswer(offer, route: route, context: context)
                } else {
                    answer(offer, destination: nil, context: context)
                }
            case .callAnswered(let callID, let media):
                logger.info("outbound call answered", metadata: ["call.id": "\(callID)"])
                calls[callID]?.ringTimer?.cancel()
                calls[callID]?.unanswered = nil
                if let handler = calls[callID]?.handler, let channel = calls[callID]?.channel {
                    channel.eventLoop.execute { handler.answer(media) }
                }
            case .mediaChanged(let callID, let media):
                if let handler = calls[callID]?.handler, let channel = calls[callID]?.channel {
                    channel.eventLoop.execute { handler.update(media) }
                }
            case .transferProgress(let callID, let status):
                logger.info("transfer progress", metadata: ["call.id": "\(callID)", "transfer.status": "\(status)"])
            case .transferEnded(let callID, let outcome):
                logger.info("transfer ended", metadata: ["call.id": "\(callID)", "transfer.outcome": "\(outcome)"])
                // Completed before `.callEnded` closes the call's media: the session learns the
                // transfer went through before it sees the call end.
                let promise = transfers.removeValue(forKey: callID)
                if outcome.succeeded { promise?.succeed(()) } else { promise?.fail(SIPTransferFailed(outcome: outcome)) }
            case .callEnded(let callID, let reason):
                logger.info("call ended", metadata: ["call.id": "\(callID)", "call.reason": "\(reason)"])
                transfers.removeValue(forKey: callID)?.fail(SIPTransferFailed(outcome: .callEnded))
                let call = calls.removeValue(forKey: callID)
                call?.ringTimer?.cancel()
                if let plan = call?.unanswered { unanswered?(plan, reason) }
                if let patch = call?.patch, let channel = call?.channel {
                    // A patched call closes past its shield.
                    channel.eventLoop.execute { patch.end() }
                } else {
                    call?.channel?.close(promise: nil)
                }
                consultEnded(callID, reason: reason)
            }
        }
        if wrote { context.flush() }
        reportStatistics()
        rescheduleTimer(context: context)
    }

    /// Adds what the agent refused since the last report to the metrics.
    private func reportStatistics() {
        let now = agent.statistics
        guard now != reported else { return }
        if now.refusedMaxCalls > reported.refusedMaxCalls { metrics.sipRefused("max_calls", count: now.refusedMaxCalls - reported.refusedMaxCalls) }
        if now.refusedInviteRate > reported.refusedInviteRate { metrics.sipRefused("invite_rate", count: now.refusedInviteRate - reported.refusedInviteRate) }
        if now.refusedOverload > reported.refusedOverload { metrics.sipRefused("overload", count: now.refusedOverload - reported.refusedOverload) }
        if now.badRequests > reported.badRequests { metrics.sipRejected(status: 400, count: now.badRequests - reported.badRequests) }
        if now.notAcceptable > reported.notAcceptable { metrics.sipRejected(status: 488, count: now.notAcceptable - reported.notAcceptable) }
        for (outcome, count) in [("challenged", now.authChallenged - reported.authChallenged), ("failed", now.authFailed - reported.authFailed),
                                 ("stale", now.authStale - reported.authStale), ("replayed", now.authReplayed - reported.authReplayed),
                                 ("forbidden", now.authForbidden - reported.authForbidden), ("accepted", now.authAccepted - reported.authAccepted)]
            where count > 0 {
            metrics.sipAuth(outcome, count: count)
        }
        if now.mediaAddressesConfined > reported.mediaAddressesConfined {
            metrics.sipMediaAddressConfined(count: now.mediaAddressesConfined - reported.mediaAddressesConfined)
        }
        let refusedNow = now.refusedMaxCalls > reported.refusedMaxCalls || now.refusedInviteRate > reported.refusedInviteRate
            || now.refusedOverload > reported.refusedOverload
        // At most one line every 10 s: a flood must not become a flood of log lines.
        if refusedNow, lastRefusalLog.map({ ContinuousClock.now - $0 > .seconds(10) }) ?? true {
            lastRefusalLog = .now
            logger.notice("SIP call refused by a limit", metadata: ["sip.max_calls": "\(now.refusedMaxCalls)", "sip.invite_rate": "\(now.refusedInviteRate)",
                                                               "sip.overload": "\(now.refusedOverload)"])
        }
        reported = now
    }

    /// Schedules the agent's next tick. Every deadline the agent creates lies at least
    /// min(T1, T4) ahead, so while a tick is already due within that horizon nothing is
    /// recomputed: a flood of datagrams costs no scan of every transaction per datagram.
    private func rescheduleTimer(context: ChannelHandlerContext) {
        let now = ContinuousClock.now
        let horizon = now + min(agent.configuration.t1, agent.configuration.t4)
        if timer != nil, let scheduled = timerDeadline, scheduled <= horizon { return }
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        guard let deadline = agent.nextDeadline else { return }
        let at = min(deadline, horizon)
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        timerDeadline = at
        timer = context.eventLoop.scheduleTask(in: TimeAmount(max(.zero, at - now))) {
            let signaling = this.value
            signaling.timer = nil
            signaling.timerDeadline = nil
            signaling.perform(signaling.agent.tick(now: .now))
        }
    }

    /// Opens the call's RTP socket; once it is bound the call is answered with its port.
    /// Asks where the call goes, then answers or refuses it; a call cancelled meanwhile is dropped.
    private func routeThenAnswer(_ offer: SIPCallOffer, route: @escaping Route, context: ChannelHandlerContext) {
        let callID = offer.callID
        calls[callID] = Call()
        let signaling = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let decision = await route(offer)
            loop.execute {
                let this = signaling.value
                guard this.calls[callID] != nil, let context = this.context else { return }
                switch decision {
                case .accept(let destination):
                    this.answer(offer, destination: destination, context: context)
                case .reject(let status, let reason):
                    this.calls[callID] = nil
                    this.logger.notice("call refused", metadata: ["call.id": "\(callID)", "sip.status": "\(status)"])
                    this.perform(this.agent.reject(callID: callID, status: status, reason: reason, now: .now))
                }
            }
        }
    }

    private func answer(_ offer: SIPCallOffer, destination: CallDestination?, context: ChannelHandlerContext) {
        let callID = offer.callID
        let caller = offer.callerNumber.flatMap(SessionKey.init).flatMap { $0.kind == .phoneNumber ? $0 : nil }
        let proof: String
        switch offer.callerProof {
        case .trustedPeer: proof = "trusted_peer"
        case .digest: proof = "digest"
        case nil: proof = "none"
        }
        logger.info("call offered", metadata: ["call.id": "\(callID)", "session.key": "\(caller?.redacted ?? "new")",
                                               "call.codec": "\(offer.codec.rawValue)", "call.caller_proof": "\(proof)"])
        calls[callID] = Call()
        let signaling = NIOLoopBound(self, eventLoop: context.eventLoop)
        openMedia(callID: { callID }, party: caller, partyVerified: offer.callerVerified, media: offer.media, outbound: nil, destination: destination,
                  policy: mediaPolicy(signallingHost: offer.source.host),
                  signalingLoop: context.eventLoop).whenComplete { result in
            let this = signaling.value
            switch result {
            case .success(let (channel, handler)):
                guard this.calls[callID] != nil, let port = channel.localAddress?.port else {
                    // Cancelled while the socket was opening.
                    channel.close(promise: nil)
                    return
                }
                this.calls[callID] = Call(channel: channel, handler: handler)
                this.perform(this.agent.accept(callID: callID, rtp: SIPEndpoint(host: this.advertisedHost, port: port), now: .now))
            case .failure(let error):
                this.logger.error("could not open the call's RTP socket", metadata: ["error": "\(error)"])
                this.calls[callID] = nil
                this.perform(this.agent.reject(callID: callID, status: 503, reason: "Service Unavailable", now: .now))
            }
        }
    }

    /// Places a call to `destination` (a number or `sip:` URI) through `peer`: its RTP socket is
    /// opened first, so the INVITE's offer names its port. The called number is the session's key.
    package func placeCall(to destination: String, peer: SIPEndpoint, from number: String, callee: SessionKey?,
                   plan: OutboundCallPlan) -> EventLoopFuture<String> {
        guard let context else { return MultiThreadedEventLoopGroup.singleton.next().makeFailedFuture(ChannelError.ioOnClosedChannel) }
        guard !agent.isAtCallLimit else {
            metrics.sipRefused("max_calls", count: 1)
            return context.eventLoop.makeFailedFuture(SIPCallLimitReached(maxCalls: agent.configuration.maxCalls ?? 0))
        }
        let signaling = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let placeholder = SIPMedia(remote: peer, codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil)
        let callIDBox = NIOLockedValueBox("")
        // The callee is the number the hub dialled: proven.
        return openMedia(callID: { callIDBox.withLockedValue { $0 } }, party: callee, partyVerified: true, media: placeholder, outbound: plan,
                         policy: mediaPolicy(signallingHost: peer.host), signalingLoop: context.eventLoop).flatMapThrowing { channel, handler in
            let this = signaling.value
            guard let port = channel.localAddress?.port else {
                channel.close(promise: nil)
                throw ChannelError.ioOnClosedChannel
            }
            let (callID, actions) = this.agent.call(to: destination, from: number, via: peer,
                                                    rtp: SIPEndpoint(host: this.advertisedHost, port: port), now: .now)
            callIDBox.withLockedValue { $0 = callID }
            let ring = plan.ringSeconds.map { TimeAmount.seconds(Int64($0)) } ?? Self.ringTimeout
            let timer = loop.scheduleTask(in: ring) {
                this.logger.info("outbound call not answered; giving up", metadata: ["call.id": "\(callID)"])
                this.hangUp(callID: callID)
            }
            this.calls[callID] = Call(channel: channel, handler: handler, ringTimer: timer, unanswered: plan)
            this.logger.info("placing a call", metadata: ["call.id": "\(callID)", "session.key": "\(callee?.redacted ?? "new")"])
            this.perform(actions)
            return callID
        }
    }

    /// Binds a call's RTP socket with its pipeline: media, call bridge, and the session once started.
    private func openMedia(callID: @escaping @Sendable () -> String, party: SessionKey?, partyVerified: Bool, media: SIPMedia, outbound: OutboundCallPlan?,
                           destination: CallDestination? = nil, policy: RTPCallHandler.Policy,
                           signalingLoop: any EventLoop) -> EventLoopFuture<(any Channel, RTPCallHandler)> {
        let metrics = self.metrics
        let startSession = self.startSession
        let logger = self.logger
        return openMedia(callID: callID, party: party, partyVerified: partyVerified, media: media, outbound: outbound, destination: destination,
                         policy: policy, signalingLoop: signalingLoop) { pipeline in
            try pipeline.addHandler(CallBridge(logger: logger, metrics: metrics) { call, bridgeContext in
                guard let call else { return }
                try startSession(call, bridgeContext)
            })
        }
    }

    /// Binds a call's RTP socket with its media handler followed by `handlers`.
    private func openMedia(callID: @escaping @Sendable () -> String, party: SessionKey?, partyVerified: Bool, media: SIPMedia, outbound: OutboundCallPlan?,
                           destination: CallDestination? = nil, policy: RTPCallHandler.Policy, signalingLoop: any EventLoop,
                           handlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void) -> EventLoopFuture<(any Channel, RTPCallHandler)> {
        let metrics = self.metrics
        let logger = self.logger
        let signaling = NIOLoopBound(self, eventLoop: signalingLoop)
        let handlerBox = NIOLockedValueBox<RTPCallHandler?>(nil)
        let bootstrap = DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton.next())
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RTPCallHandler(callID: callID, caller: party, callerVerified: partyVerified, media: media, outbound: outbound,
                                                 policy: policy, metrics: metrics, logger: logger) { _ in
                        let id = callID()
                        signalingLoop.execute { signaling.value.hangUp(callID: id) }
                    }
                    handler.destination = destination
                    handlerBox.withLockedValue { $0 = handler }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try handlers(channel.pipeline.syncOperations)
                }
            }
        return bootstrap.bind(host: settings.mediaHost, port: 0).hop(to: signalingLoop).flatMapThrowing { channel in
            guard let handler = handlerBox.withLockedValue({ $0 }) else { throw ChannelError.ioOnClosedChannel }
            return (channel, handler)
        }
    }
}

/// A transfer by REFER that did not go through.
package struct SIPTransferFailed: Error, Sendable, Equatable, CustomStringConvertible {
    package var outcome: SIPTransferOutcome
    package init(outcome: SIPTransferOutcome) { self.outcome = outcome }
    package var description: String { outcome.description }
}

/// An outbound call refused because the bridge already carries its most calls.
package struct SIPCallLimitReached: Error, Sendable, Equatable {
    package var maxCalls: Int
}

/// Where a routed call goes: the tenant the dialled number belongs to and the agent it reaches.
package struct CallDestination: Sendable, Equatable {
    package var tenant: String?
    package var agent: String?
    package init(tenant: String?, agent: String?) {
        self.tenant = tenant
        self.agent = agent
    }
}

/// What the hub does with an offered call.
package enum CallRouting: Sendable, Equatable {
    case accept(CallDestination?)
    case reject(status: Int, reason: String)
}
