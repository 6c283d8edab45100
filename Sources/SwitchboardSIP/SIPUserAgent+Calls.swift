extension SIPUserAgent {
    /// Answers an offered call (after `.incomingCall`): sends 200 OK with the SDP answer for the
    /// local RTP address `rtp`, retransmitted (T1 doubling up to T2) until the ACK arrives. Without
    /// an ACK within 64 × T1 the call is ended with BYE and `.callEnded(.noAck)`.
    public mutating func accept(callID: String, rtp: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        guard var call = calls[callID], call.direction == .inbound, call.state == .offered,
              let invite = call.pendingInvite, let source = call.pendingInviteSource, let offer = call.offer else { return [] }
        let result = SDPAnswer.negotiate(offer: offer, local: rtp, sessionID: call.sdpSessionID, sessionVersion: call.sdpVersion)
        guard case .accepted(let answer) = result else {
            return reject(callID: callID, status: 488, reason: "Not Acceptable Here", now: now)
        }
        call.localRTP = rtp
        call.media = answer.media
        call.state = .accepting
        let actions = sendSuccess(to: invite, call: &call, source: source, sdp: answer.text, now: now)
        call.pendingInvite = nil
        calls[callID] = call
        return actions
    }

    /// Refuses an offered call with a final status (486 Busy Here, 503 Service Unavailable, 403…).
    /// The response is retransmitted until the caller's ACK; `.callEnded(.localHangUp)` is reported.
    public mutating func reject(callID: String, status: Int, reason: String, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let call = calls[callID], call.direction == .inbound, call.state == .offered,
              let invite = call.pendingInvite, let source = call.pendingInviteSource else { return [] }
        let finalStatus = (300...699).contains(status) ? status : 603
        var actions = respond(to: invite, source: source, status: finalStatus, reason: reason, toTag: call.localTag, now: now)
        calls[callID] = nil
        actions.append(.callEnded(callID: callID, reason: .localHangUp))
        return actions
    }

    /// Ends a call and reports `.callEnded(.localHangUp)` at once.
    ///
    /// Established calls get a BYE (a non-INVITE client transaction, Timer E/F). An offered inbound
    /// call is rejected with 603 Decline; an inbound call whose 200 OK is not yet acknowledged gets
    /// its BYE once the ACK arrives (or the wait times out). An outbound call not yet answered is
    /// cancelled (CANCEL after the first provisional response; a 2xx that crosses it is
    /// acknowledged and ended with BYE).
    public mutating func hangUp(callID: String, now: ContinuousClock.Instant) -> [SIPAction] {
        guard var call = calls[callID], !call.endReported else { return [] }
        switch call.state {
        case .offered:
            return reject(callID: callID, status: 603, reason: "Decline", now: now)
        case .accepting:
            call.hangUpAfterAck = true
            call.endReported = true
            calls[callID] = call
            return [.callEnded(callID: callID, reason: .localHangUp)]
        case .established:
            var actions = abandonTransfer(&call)
            actions += sendBye(&call, now: now)
            calls[callID] = nil
            actions.append(.callEnded(callID: callID, reason: .localHangUp))
            return actions
        case .calling:
            call.cancelRequested = true
            call.endReported = true
            var actions: [SIPAction] = []
            if call.receivedProvisional { actions += sendCancel(&call, now: now) }
            calls[callID] = call
            actions.append(.callEnded(callID: callID, reason: .localHangUp))
            return actions
        }
    }

    /// Places an outbound call: an INVITE to `destination` (a `sip:`/`tel:` URI, or a number or
    /// user that is addressed at `peer`) from `number`, with an SDP offer for local RTP at `rtp`.
    /// The INVITE is retransmitted (Timer A) until a response; no response within 64 × T1 ends the
    /// call with `.timeout`. A 2xx is acknowledged and reported as `.callAnswered`; 3xx–6xx end the
    /// call with `.failed(status)`.
    public mutating func call(to destination: String, from number: String, via peer: SIPEndpoint, rtp: SIPEndpoint,
                              now: ContinuousClock.Instant) -> (callID: String, actions: [SIPAction]) {
        var target: SIPURI
        if let uri = try? SIPURI(parsing: destination), destination.contains(":") {
            target = uri
        } else {
            target = SIPURI(user: destination, host: peer.host, port: peer.port)
        }
        return call(to: target, from: number, via: peer, rtp: rtp, now: now)
    }

    /// Places an outbound call to a parsed URI (a `tel:` URI is sent as `sip:number@peer;user=phone`).
    public mutating func call(to destination: SIPURI, from number: String, via peer: SIPEndpoint, rtp: SIPEndpoint,
                              now: ContinuousClock.Instant) -> (callID: String, actions: [SIPAction]) {
        var target = destination
        if target.scheme == "tel" {
            var parameters = SIPParameters()
            parameters.set("user", "phone")
            target = SIPURI(user: destination.user, host: peer.host, port: peer.port, parameters: parameters)
        }
        let callID = RandomToken.make(length: 24) + "@" + configuration.localHost
        let localTag = RandomToken.make()
        let branch = RandomToken.branch()
        let fromURI = SIPURI(user: number, host: configuration.localHost)
        let localParty = "<" + fromURI.description + ">;tag=" + localTag
        let remoteParty = "<" + target.description + ">"
        let sessionID = Self.randomSessionID()
        let sdp = SDPAnswer.offer(local: rtp, sessionID: sessionID, sessionVersion: 1)

        var headers = SIPHeaders()
        headers.add("Via", newVia(branch: branch))
        headers.add("Max-Forwards", "70")
        headers.add("From", localParty)
        headers.add("To", remoteParty)
        headers.add("Call-ID", callID)
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", contactValue)
        headers.add("Allow", allowValue)
        headers.add("User-Agent", configuration.userAgent)
        headers.add("Content-Type", "application/sdp")
        let invite = SIPMessage.request(method: "INVITE", uri: target.description, headers: headers, body: Array(sdp.utf8))
        let bytes = invite.serialized()

        var call = SIPCall(id: callID, direction: .outbound, state: .calling, peer: peer, localTag: localTag, remoteTag: nil,
                           localParty: localParty, remoteParty: remoteParty, remoteTarget: target.description)
        call.localCSeq = 1
        call.localRTP = rtp
        call.sdpSessionID = sessionID
        call.invite = invite
        call.inviteBranch = branch
        calls[callID] = call
        clientTransactions[ClientTransaction.key(branch: branch, method: "INVITE")] = ClientTransaction(
            method: "INVITE", callID: callID, request: bytes, destination: peer, retransmitInterval: configuration.t1,
            retransmitAt: now + configuration.t1, timeoutAt: now + timeout64)
        return (callID, [.send(bytes, to: peer)])
    }

    // MARK: - Responses to our requests

    mutating func handleResponse(_ response: SIPMessage, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let status = response.statusCode, let branch = response.topVia?.branch, let cseq = response.cseq else { return [] }
        let key = ClientTransaction.key(branch: branch, method: cseq.method)
        guard var transaction = clientTransactions[key] else {
            // A retransmitted 2xx after the INVITE transaction ended: repeat the ACK.
            if cseq.method == "INVITE", (200..<300).contains(status), let callID = response.callID, let call = calls[callID],
               let ack = call.successAck, call.successAckCSeq == cseq.number {
                return [.send(ack, to: call.peer)]
            }
            return []
        }
        if transaction.method != "INVITE" {
            if status < 200 {
                transaction.state = .proceeding
                transaction.retransmitInterval = configuration.t2
                clientTransactions[key] = transaction
                return []
            }
            clientTransactions[key] = nil
            if transaction.method == "REFER" {
                return referAnswered(callID: transaction.callID, transactionKey: key, status: status, now: now)
            }
            return []
        }
        return handleInviteResponse(response, status: status, transaction: transaction, key: key, now: now)
    }

    private mutating func handleInviteResponse(_ response: SIPMessage, status: Int, transaction original: ClientTransaction,
                                               key: String, now: ContinuousClock.Instant) -> [SIPAction] {
        var transaction = original
        switch status {
        case 100..<200:
            guard transaction.state != .completed else { return [] }
            transaction.state = .proceeding
            transaction.retransmitAt = nil
            if transaction.timeoutAt != nil, calls[transaction.callID]?.cancelSent != true { transaction.timeoutAt = nil }
            clientTransactions[key] = transaction
            guard var call = calls[transaction.callID] else { return [] }
            call.receivedProvisional = true
            var actions: [SIPAction] = []
            if call.cancelRequested, !call.cancelSent { actions = sendCancel(&call, now: now) }
            calls[call.id] = call
            return actions
        case 200..<300:
            clientTransactions[key] = nil
            guard var call = calls[transaction.callID], call.state == .calling else { return [] }
            return establishOutbound(&call, response: response, now: now)
        default:
            if transaction.state == .completed {
                return transaction.ack.map { [.send($0, to: transaction.destination)] } ?? []
            }
            let ack = nonSuccessAck(for: response, callID: transaction.callID)
            transaction.state = .completed
            transaction.ack = ack
            transaction.retransmitAt = nil
            transaction.timeoutAt = nil
            transaction.expiresAt = now + .seconds(32)  // Timer D
            clientTransactions[key] = transaction
            var actions: [SIPAction] = ack.map { [.send($0, to: transaction.destination)] } ?? []
            if let call = calls.removeValue(forKey: transaction.callID), !call.endReported {
                actions.append(.callEnded(callID: call.id, reason: .failed(status)))
            }
            return actions
        }
    }

    /// ACKs a 2xx, confirms the dialog and reports the answer (or tears down a call already hung up).
    private mutating func establishOutbound(_ call: inout SIPCall, response: SIPMessage, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let to = response.to, let cseq = response.cseq else { return [] }
        call.remoteTag = to.tag
        call.remoteParty = response.headers["To"] ?? to.description
        // A target the agent could not put in a request line is not taken (the old one stays).
        if let contact = Self.remoteTarget(response.contact?.uriText) { call.remoteTarget = contact }
        call.routeSet = response.headers.values("Record-Route").reversed()
        call.state = .established

        var headers = SIPHeaders()
        headers.add("Via", newVia(branch: RandomToken.branch()))
        headers.add("Max-Forwards", "70")
        for route in call.routeSet { headers.add("Route", route) }
        headers.add("From", call.localParty)
        headers.add("To", call.remoteParty)
        headers.add("Call-ID", call.id)
        headers.add("CSeq", "\(cseq.number) ACK")
        headers.add("User-Agent", configuration.userAgent)
        let ack = SIPMessage.request(method: "ACK", uri: call.remoteTarget, headers: headers).serialized()
        call.successAck = ack
        call.successAckCSeq = cseq.number
        call.successAckExpiresAt = now + timeout64
        var actions: [SIPAction] = [.send(ack, to: call.peer)]

        if call.endReported {
            actions += sendBye(&call, now: now)
            calls[call.id] = nil
            return actions
        }
        let media = (try? SessionDescription(parsing: response.bodyText)).flatMap { SDPAnswer.media(fromAnswer: $0) }
        guard let media else {
            actions += sendBye(&call, now: now)
            calls[call.id] = nil
            actions.append(.callEnded(callID: call.id, reason: .failed(488)))
            return actions
        }
        let confinedMedia = confined(media, signallingHost: call.peer.host)
        call.media = confinedMedia
        calls[call.id] = call
        actions.append(.callAnswered(callID: call.id, media: confinedMedia))
        return actions
    }

    /// The ACK for a non-2xx final response: part of the INVITE transaction (same branch, §17.1.1.3).
    private func nonSuccessAck(for response: SIPMessage, callID: String) -> [UInt8]? {
        guard let invite = calls[callID]?.invite, let uri = invite.requestURIText, let cseq = invite.cseq else { return nil }
        var headers = SIPHeaders()
        if let via = invite.headers["Via"] { headers.add("Via", via) }
        headers.add("Max-Forwards", "70")
        if let from = invite.headers["From"] { headers.add("From", from) }
        if let to = response.headers["To"] { headers.add("To", to) }
        headers.add("Call-ID", callID)
        headers.add("CSeq", "\(cseq.number) ACK")
        headers.add("User-Agent", configuration.userAgent)
        return SIPMessage.request(method: "ACK", uri: uri, headers: headers).serialized()
    }

    /// Sends CANCEL for a pending outbound INVITE (a non-INVITE client transaction on the INVITE's branch).
    private mutating func sendCancel(_ call: inout SIPCall, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let invite = call.invite, let uri = invite.requestURIText, let branch = call.inviteBranch,
              let cseq = invite.cseq else { return [] }
        var headers = SIPHeaders()
        if let via = invite.headers["Via"] { headers.add("Via", via) }
        headers.add("Max-Forwards", "70")
        if let from = invite.headers["From"] { headers.add("From", from) }
        if let to = invite.headers["To"] { headers.add("To", to) }
        headers.add("Call-ID", call.id)
        headers.add("CSeq", "\(cseq.number) CANCEL")
        headers.add("User-Agent", configuration.userAgent)
        let bytes = SIPMessage.request(method: "CANCEL", uri: uri, headers: headers).serialized()
        call.cancelSent = true
        clientTransactions[ClientTransaction.key(branch: branch, method: "CANCEL")] = ClientTransaction(
            method: "CANCEL", callID: call.id, request: bytes, destination: call.peer, retransmitInterval: configuration.t1,
            retransmitAt: now + configuration.t1, timeoutAt: now + timeout64)
        // If no final response follows the CANCEL, give up on the INVITE after 64 × T1 as well.
        let inviteKey = ClientTransaction.key(branch: branch, method: "INVITE")
        let giveUp = now + timeout64
        clientTransactions[inviteKey]?.timeoutAt = giveUp
        return [.send(bytes, to: call.peer)]
    }

    /// Sends BYE in the call's dialog (a non-INVITE client transaction, Timer E/F).
    mutating func sendBye(_ call: inout SIPCall, now: ContinuousClock.Instant) -> [SIPAction] {
        call.localCSeq &+= 1
        let branch = RandomToken.branch()
        var headers = SIPHeaders()
        headers.add("Via", newVia(branch: branch))
        headers.add("Max-Forwards", "70")
        for route in call.routeSet { headers.add("Route", route) }
        headers.add("From", call.localParty)
        headers.add("To", call.remoteParty)
        headers.add("Call-ID", call.id)
        headers.add("CSeq", "\(call.localCSeq) BYE")
        headers.add("User-Agent", configuration.userAgent)
        let bytes = SIPMessage.request(method: "BYE", uri: call.remoteTarget, headers: headers).serialized()
        clientTransactions[ClientTransaction.key(branch: branch, method: "BYE")] = ClientTransaction(
            method: "BYE", callID: call.id, request: bytes, destination: call.peer, retransmitInterval: configuration.t1,
            retransmitAt: now + configuration.t1, timeoutAt: now + timeout64)
        return [.send(bytes, to: call.peer)]
    }
}
