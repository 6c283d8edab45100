extension SIPUserAgent {
    /// Methods defined by SIP RFCs that this agent recognises (405 rather than 501 when not allowed).
    static let knownMethods: Set<String> = [
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
        "INFO", "REFER", "MESSAGE", "UPDATE",
    ]

    // MARK: - Requests

    mutating func handleRequest(_ request: SIPMessage, from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let method = request.method, let via = request.topVia else { return [] }
        let key = transactionKey(for: request, via: via)
        if let transaction = serverTransactions[key] {
            if method == "ACK" {
                if transaction.isInvite, transaction.state == .completed {
                    var confirmed = transaction
                    confirmed.state = .confirmed
                    confirmed.retransmitAt = nil
                    confirmed.expiresAt = now + configuration.t4  // Timer I
                    serverTransactions[key] = confirmed
                    return []
                }
                if transaction.state != .accepted { return [] }
                // An ACK reusing the INVITE's branch for a 2xx: handled by the dialog below.
            } else {
                // A retransmitted request: repeat the last response.
                return transaction.response.map { [.send($0, to: transaction.destination)] } ?? []
            }
        }
        if method == "ACK" { return handleAck(request, now: now) }

        if serverTransactions.count >= configuration.maxServerTransactions {
            statistics.refusedOverload += 1
            return respondStatelessly(to: request, source: source, status: 503, reason: "Service Unavailable (Overloaded)",
                                      extraHeaders: [("Retry-After", "5")])
        }
        if let problem = missingHeaderProblem(request, method: method) {
            return respond(to: request, source: source, status: 400, reason: problem, now: now)
        }
        guard configuration.allowedMethods.contains(method) else {
            let known = Self.knownMethods.contains(method)
            return respond(to: request, source: source, status: known ? 405 : 501,
                           reason: known ? "Method Not Allowed" : "Not Implemented",
                           extraHeaders: [("Allow", allowValue)], now: now)
        }
        switch method {
        case "INVITE": return handleInvite(request, from: source, now: now)
        case "CANCEL": return handleCancel(request, from: source, via: via, now: now)
        case "BYE": return handleBye(request, from: source, now: now)
        case "NOTIFY": return handleNotify(request, from: source, now: now)
        case "OPTIONS":
            return respond(to: request, source: source, status: 200, reason: "OK",
                           extraHeaders: [("Contact", contactValue), ("Allow", allowValue), ("Accept", "application/sdp"),
                                          ("Accept-Language", "en"), ("Supported", "")], now: now)
        default:
            return respond(to: request, source: source, status: 200, reason: "OK", now: now)
        }
    }

    /// The 400 reason phrase for a request missing or garbling a mandatory header, or nil.
    private func missingHeaderProblem(_ request: SIPMessage, method: String) -> String? {
        for name in ["From", "To", "Call-ID", "CSeq"] where request.headers[name] == nil {
            return "Missing \(name) Header"
        }
        if request.from == nil { return "Malformed From Header" }
        if request.to == nil { return "Malformed To Header" }
        if request.headers.values("CSeq").count > 1 { return "More Than One CSeq Header" }
        let cseq: SIPCSeq
        do {
            cseq = try SIPCSeq(parsing: request.headers["CSeq"] ?? "")
        } catch {
            return error.message == "CSeq number out of range" ? "CSeq Number Out of Range" : "Malformed CSeq Header"
        }
        if cseq.method != method { return "CSeq Method Does Not Match Request" }
        if request.requestURI == nil { return "Malformed Request-URI" }
        if request.headers.contains("Max-Forwards") {
            // 1*DIGIT, and a UAS never needs more than 255: `-1`, `2^64` and `70abc` are refused
            // here rather than trusted (or decremented) later.
            guard request.maxForwards != nil else { return "Malformed Max-Forwards Header" }
        }
        return nil
    }

    private mutating func handleInvite(_ request: SIPMessage, from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let callID = request.callID, let from = request.from, let to = request.to, let cseq = request.cseq else { return [] }
        if let toTag = to.tag {
            guard let call = calls[callID], call.localTag == toTag, call.remoteTag == from.tag else {
                return respond(to: request, source: source, status: 481, reason: "Call/Transaction Does Not Exist", now: now)
            }
            return handleReInvite(request, call: call, cseq: cseq.number, from: source, now: now)
        }
        if calls[callID] != nil {
            return respond(to: request, source: source, status: 482, reason: "Loop Detected", now: now)
        }
        // Authentication first (RFC 3261 §8.2), for every address but a trusted one, and after
        // the rate limit: an untrusted source pays a token for each attempt, so a flood of
        // INVITEs gets stateless 503s rather than a challenge (or a 403) each.
        var tokenTaken = false
        var authenticatedUser: SIPDigestUsers.User?
        if !isTrusted(source.host) {
            if let wait = takeInviteToken(from: source.host, now: now) {
                statistics.refusedInviteRate += 1
                return respondStatelessly(to: request, source: source, status: 503, reason: "Service Unavailable (Too Many Call Attempts)",
                                          extraHeaders: [("Retry-After", Self.retryAfter(wait))])
            }
            tokenTaken = true
            switch authorize(request, method: "INVITE", source: source) {
            case .refused(let status, let reason, let headers):
                return respond(to: request, source: source, status: status, reason: reason, extraHeaders: headers, now: now)
            case .authenticated(let user):
                authenticatedUser = user
            case .trusted:
                break
            }
        }
        // A source over its INVITE rate gets every refusal statelessly: no Timer G retransmits
        // that a spoofed source address would turn into ten responses aimed at someone else.
        let overRate = !tokenTaken && !hasInviteToken(from: source.host, now: now)
        let required = request.headers.values("Require")
        if !required.isEmpty {
            let headers = [("Unsupported", required.joined(separator: ", "))]
            return overRate
                ? respondStatelessly(to: request, source: source, status: 420, reason: "Bad Extension", extraHeaders: headers)
                : respond(to: request, source: source, status: 420, reason: "Bad Extension", extraHeaders: headers, now: now)
        }
        // The dialog's remote target is where BYE and re-INVITEs go: it must be a SIP URI this
        // agent can put in a request line (RFC 3261 §12.1.1: the Contact's URI, From's without one).
        guard let remoteTarget = Self.remoteTarget(request.headers["Contact"] == nil ? from.uriText : request.contact?.uriText) else {
            statistics.badRequests += 1
            return overRate
                ? respondStatelessly(to: request, source: source, status: 400, reason: "Bad Request (Malformed Contact Header)")
                : respond(to: request, source: source, status: 400, reason: "Bad Request (Malformed Contact Header)", now: now, counted: true)
        }
        let offer: SessionDescription
        var media: SIPMedia
        switch readOffer(request) {
        case .failure(let rejection):
            if rejection.status == 488 { statistics.notAcceptable += 1 }
            if rejection.status == 400 { statistics.badRequests += 1 }
            return overRate
                ? respondStatelessly(to: request, source: source, status: rejection.status, reason: rejection.reason,
                                     extraHeaders: rejection.headers)
                : respond(to: request, source: source, status: rejection.status, reason: rejection.reason,
                          extraHeaders: rejection.headers, now: now, counted: true)
        case .success(let result):
            (offer, media) = result
        }
        // Admission control, once the INVITE would start a call (an offer that is refused for
        // what it carries allocates nothing and costs no token). Both limits answer 503 Service
        // Unavailable with Retry-After, as Asterisk (`maxcalls`), FreeSWITCH (`max-sessions`,
        // `sessions-per-second`: "503 Maximum Calls In Progress") and SBC call admission control
        // do: 503 tells a trunk or proxy to retry later or fail over to another server, where 403
        // would read as a permanent refusal of a legitimate peer. The rate refusal is stateless
        // (like Kamailio's `sl_send_reply` after `pike_check_req`), so a flood keeps no
        // transaction state; a retransmitted INVITE simply gets it again.
        if !tokenTaken, let wait = takeInviteToken(from: source.host, now: now) {
            statistics.refusedInviteRate += 1
            return respondStatelessly(to: request, source: source, status: 503, reason: "Service Unavailable (Too Many Call Attempts)",
                                      extraHeaders: [("Retry-After", Self.retryAfter(wait))])
        }
        if isAtCallLimit {
            statistics.refusedMaxCalls += 1
            return respond(to: request, source: source, status: 503, reason: "Service Unavailable (Too Many Calls)",
                           extraHeaders: [("Retry-After", String(max(1, configuration.maxCallsRetryAfter)))], now: now)
        }
        media = confined(media, signallingHost: source.host)

        let localTag = RandomToken.make()
        var localParty = to
        localParty.parameters.set("tag", localTag)
        let call = SIPCall(
            id: callID, direction: .inbound, state: .offered, peer: source, localTag: localTag, remoteTag: from.tag,
            localParty: localParty.description, remoteParty: request.headers["From"] ?? from.description,
            remoteTarget: remoteTarget, routeSet: request.headers.values("Record-Route"),
            localCSeq: 1, remoteCSeq: cseq.number, pendingInvite: request, pendingInviteSource: source, offer: offer,
            sdpSessionID: Self.randomSessionID(), sdpVersion: 1, media: media)
        calls[callID] = call

        var actions = respond(to: request, source: source, status: 100, reason: "Trying", now: now)
        actions += respond(to: request, source: source, status: 180, reason: "Ringing", toTag: localTag,
                           extraHeaders: [("Contact", contactValue)], now: now)
        let calledUser = request.requestURI?.user ?? to.uri?.user
        let offerInfo = SIPCallOffer(
            // RFC 3325: P-Asserted-Identity (and From) only from a trusted peer; an authenticated
            // caller is the users file's number, whatever the headers claim.
            callID: callID, callerNumber: authenticatedUser?.number ?? callerNumber(of: request),
            callerProof: authenticatedUser.map { .digest(user: $0.name) } ?? .trustedPeer,
            callerDisplayName: from.displayName, callerURI: from.uriText,
            calledNumber: calledUser.flatMap { e164Number($0.split(separator: ";").first.map(String.init) ?? $0) },
            calledUser: calledUser, media: media, source: source)
        actions.append(.incomingCall(offerInfo))
        return actions
    }

    /// Why an offer cannot be used: the response to send.
    struct OfferRejection: Error {
        var status: Int
        var reason: String
        var headers: [(String, String)]
    }

    /// Checks the INVITE body and negotiates it against a placeholder local address.
    private func readOffer(_ request: SIPMessage) -> Result<(SessionDescription, SIPMedia), OfferRejection> {
        let warningHost = configuration.localHost
        guard !request.body.isEmpty else {
            return .failure(OfferRejection(status: 488, reason: "Not Acceptable Here",
                                           headers: [("Accept", "application/sdp"),
                                                     ("Warning", "399 \(warningHost) \"SDP offer required\"")]))
        }
        if let type = request.contentType, type != "application/sdp" {
            return .failure(OfferRejection(status: 415, reason: "Unsupported Media Type", headers: [("Accept", "application/sdp")]))
        }
        let offer: SessionDescription
        do {
            offer = try SessionDescription(parsing: request.bodyText)
        } catch {
            return .failure(Self.rejection(for: error, warningHost: warningHost))
        }
        let placeholder = SIPEndpoint(host: configuration.localHost, port: 0)
        switch SDPAnswer.negotiate(offer: offer, local: placeholder, sessionID: 0, sessionVersion: 0) {
        case .accepted(let answer):
            return .success((offer, answer.media))
        case .notAcceptable(let reason):
            return .failure(OfferRejection(status: 488, reason: "Not Acceptable Here",
                                           headers: [("Accept", "application/sdp"),
                                                     ("Warning", "305 \(warningHost) \"\(reason)\"")]))
        }
    }

    /// The answer to an offer that does not parse: 400 for text that is not SDP, 488 with a
    /// Warning (RFC 3261 §20.43: 305 Incompatible media format) for values that cannot be used.
    static func rejection(for error: SDPParseError, warningHost: String) -> OfferRejection {
        switch error.kind {
        case .malformed:
            return OfferRejection(status: 400, reason: "Bad Request (Malformed SDP: \(error.message))", headers: [])
        case .unacceptable:
            return OfferRejection(status: 488, reason: "Not Acceptable Here",
                                  headers: [("Accept", "application/sdp"), ("Warning", "305 \(warningHost) \"\(error.message)\"")])
        }
    }

    private mutating func handleReInvite(_ request: SIPMessage, call existing: SIPCall, cseq: UInt32, from source: SIPEndpoint,
                                         now: ContinuousClock.Instant) -> [SIPAction] {
        var call = existing
        guard call.state == .established, call.pendingSuccess == nil else {
            return respond(to: request, source: source, status: 500, reason: "Server Internal Error",
                           extraHeaders: [("Retry-After", "1")], now: now)
        }
        guard cseq > call.remoteCSeq else {
            return respond(to: request, source: source, status: 500, reason: "Server Internal Error (CSeq Out of Order)", now: now)
        }
        call.remoteCSeq = cseq
        if request.headers["Contact"] != nil {
            guard let target = Self.remoteTarget(request.contact?.uriText) else {
                calls[call.id] = call
                return respond(to: request, source: source, status: 400, reason: "Bad Request (Malformed Contact Header)", now: now)
            }
            call.remoteTarget = target
        }
        guard let localRTP = call.localRTP ?? call.media.map({ _ in SIPEndpoint(host: configuration.localHost, port: 0) }) else {
            calls[call.id] = call
            return respond(to: request, source: source, status: 488, reason: "Not Acceptable Here", now: now)
        }
        var actions: [SIPAction] = []
        let body: String
        if request.body.isEmpty {
            // No offer: we offer in the 200 OK and read the answer from the ACK.
            call.sdpVersion &+= 1
            body = SDPAnswer.offer(local: localRTP, sessionID: call.sdpSessionID, sessionVersion: call.sdpVersion)
            call.awaitingAnswerInAck = true
        } else {
            if let type = request.contentType, type != "application/sdp" {
                calls[call.id] = call
                return respond(to: request, source: source, status: 415, reason: "Unsupported Media Type",
                               extraHeaders: [("Accept", "application/sdp")], now: now)
            }
            let offer: SessionDescription
            do {
                offer = try SessionDescription(parsing: request.bodyText)
            } catch {
                calls[call.id] = call
                let rejection = Self.rejection(for: error, warningHost: configuration.localHost)
                return respond(to: request, source: source, status: rejection.status, reason: rejection.reason,
                               extraHeaders: rejection.headers, now: now)
            }
            let result = SDPAnswer.negotiate(offer: offer, local: localRTP, sessionID: call.sdpSessionID,
                                             sessionVersion: call.sdpVersion &+ 1, preferredCodec: call.media?.codec)
            guard case .accepted(let answer) = result else {
                calls[call.id] = call
                var headers = [("Accept", "application/sdp")]
                if case .notAcceptable(let reason) = result {
                    headers.append(("Warning", "305 \(configuration.localHost) \"\(reason)\""))
                }
                return respond(to: request, source: source, status: 488, reason: "Not Acceptable Here",
                               extraHeaders: headers, now: now)
            }
            call.sdpVersion &+= 1
            call.offer = offer
            body = answer.text
            // In-dialog media stays confined to the IP the dialog was set up with.
            let media = confined(answer.media, signallingHost: call.peer.host)
            if media != call.media {
                actions.append(.mediaChanged(callID: call.id, media: media))
            }
            call.media = media
        }
        actions = sendSuccess(to: request, call: &call, source: source, sdp: body, now: now) + actions
        calls[call.id] = call
        return actions
    }

    /// Sends a 2xx with SDP to an INVITE and arms its retransmission until the ACK arrives.
    mutating func sendSuccess(to request: SIPMessage, call: inout SIPCall, source: SIPEndpoint, sdp: String,
                              now: ContinuousClock.Instant) -> [SIPAction] {
        let actions = respond(to: request, source: source, status: 200, reason: "OK", toTag: call.localTag,
                              extraHeaders: [("Contact", contactValue), ("Allow", allowValue), ("Supported", ""),
                                             ("Content-Type", "application/sdp")],
                              body: Array(sdp.utf8), now: now)
        if case .send(let bytes, let destination)? = actions.first {
            call.pendingSuccess = PendingSuccess(bytes: bytes, destination: destination, cseq: request.cseq?.number ?? 0,
                                                 interval: configuration.t1, nextAt: now + configuration.t1,
                                                 giveUpAt: now + timeout64)
        }
        return actions
    }

    private mutating func handleAck(_ request: SIPMessage, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let callID = request.callID, var call = calls[callID], let cseq = request.cseq,
              request.to?.tag == call.localTag, let pending = call.pendingSuccess, pending.cseq == cseq.number else { return [] }
        call.pendingSuccess = nil
        call.state = .established
        var actions: [SIPAction] = []
        if call.awaitingAnswerInAck {
            call.awaitingAnswerInAck = false
            if let answer = try? SessionDescription(parsing: request.bodyText), let offered = SDPAnswer.media(fromAnswer: answer),
               case let media = confined(offered, signallingHost: call.peer.host), media != call.media {
                call.media = media
                actions.append(.mediaChanged(callID: callID, media: media))
            }
        }
        if call.hangUpAfterAck {
            actions += sendBye(&call, now: now)
            calls[callID] = nil
            return actions
        }
        calls[callID] = call
        return actions
    }

    private mutating func handleCancel(_ request: SIPMessage, from source: SIPEndpoint, via: SIPVia,
                                       now: ContinuousClock.Instant) -> [SIPAction] {
        var inviteKey = transactionKey(for: request, via: via)
        inviteKey.method = "INVITE"
        guard let invite = serverTransactions[inviteKey], invite.isInvite else {
            return respond(to: request, source: source, status: 481, reason: "Call/Transaction Does Not Exist", now: now)
        }
        let call = invite.callID.flatMap { calls[$0] }
        var actions = respond(to: request, source: source, status: 200, reason: "OK", toTag: call?.localTag, now: now)
        guard invite.state == .proceeding, let call, call.state == .offered, let pendingInvite = call.pendingInvite,
              let inviteSource = call.pendingInviteSource else { return actions }
        actions += respond(to: pendingInvite, source: inviteSource, status: 487, reason: "Request Terminated", toTag: call.localTag, now: now)
        calls[call.id] = nil
        actions.append(.callEnded(callID: call.id, reason: .cancelled))
        return actions
    }

    private mutating func handleBye(_ request: SIPMessage, from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let callID = request.callID, var call = calls[callID], request.to?.tag == call.localTag,
              call.remoteTag == nil || request.from?.tag == call.remoteTag else {
            return respond(to: request, source: source, status: 481, reason: "Call/Transaction Does Not Exist", now: now)
        }
        var actions = respond(to: request, source: source, status: 200, reason: "OK", now: now)
        actions += abandonTransfer(&call)
        if call.state == .offered, let invite = call.pendingInvite, let inviteSource = call.pendingInviteSource {
            actions += respond(to: invite, source: inviteSource, status: 487, reason: "Request Terminated", toTag: call.localTag, now: now)
        }
        calls[callID] = nil
        if !call.endReported { actions.append(.callEnded(callID: callID, reason: .remoteHangUp)) }
        return actions
    }

    // MARK: - Responding

    /// The server transaction key for a request; ACK maps to its INVITE. Requests without an
    /// RFC 3261 branch (RFC 2543 peers) are keyed by Call-ID, CSeq number and From tag.
    func transactionKey(for request: SIPMessage, via: SIPVia) -> ServerTransactionKey {
        var method = request.method ?? ""
        if method == "ACK" { method = "INVITE" }
        let branch: String
        if let value = via.branch, value.hasPrefix("z9hG4bK") {
            branch = value
        } else {
            branch = [request.callID ?? "", String(request.cseq?.number ?? 0), request.from?.tag ?? ""].joined(separator: "|")
        }
        return ServerTransactionKey(branch: branch, sentBy: via.sentBy.lowercased(), method: method)
    }

    /// Sends a response through the request's server transaction (creating or updating it), so
    /// retransmitted requests are answered again and non-2xx finals to INVITE are retransmitted.
    mutating func respond(to request: SIPMessage, source: SIPEndpoint, status: Int, reason: String, toTag: String? = nil,
                          extraHeaders: [(String, String)] = [], body: [UInt8] = [], now: ContinuousClock.Instant,
                          counted: Bool = false) -> [SIPAction] {
        guard let via = request.topVia, let destination = request.responseDestination(source: source) else { return [] }
        var response = request.response(status: status, reason: reason, toTag: toTag ?? RandomToken.make(), source: source)
        for (name, value) in extraHeaders { response.headers.add(name, value) }
        response.headers.add("Server", configuration.userAgent)
        response.body = body
        let bytes = response.serialized()

        let key = transactionKey(for: request, via: via)
        let isInvite = request.method == "INVITE"
        if status == 400 && !counted { statistics.badRequests += 1 }
        if status == 488 && isInvite && !counted { statistics.notAcceptable += 1 }
        var transaction = serverTransactions[key] ?? ServerTransaction(
            state: .proceeding, isInvite: isInvite, callID: request.callID, response: nil, destination: destination,
            retransmitInterval: configuration.t1, retransmitAt: nil, expiresAt: nil)
        transaction.response = bytes
        switch status {
        case 100..<200:
            transaction.state = .proceeding
        case 200..<300 where isInvite:
            transaction.state = .accepted
            transaction.expiresAt = now + timeout64
        default:
            transaction.state = .completed
            if isInvite {
                transaction.retransmitInterval = configuration.t1
                transaction.retransmitAt = now + configuration.t1  // Timer G
                transaction.expiresAt = now + timeout64  // Timer H
            } else {
                transaction.expiresAt = now + timeout64  // Timer J
            }
        }
        serverTransactions[key] = transaction
        return [.send(bytes, to: destination)]
    }

    /// A response that opens no transaction: a 400 for a request too broken to open one for, a
    /// 503 under overload or rate limiting.
    func respondStatelessly(to request: SIPMessage, source: SIPEndpoint, status: Int, reason: String,
                            extraHeaders: [(String, String)] = []) -> [SIPAction] {
        guard let destination = request.responseDestination(source: source) else { return [] }
        var response = request.response(status: status, reason: reason, toTag: RandomToken.make(), source: source)
        for (name, value) in extraHeaders { response.headers.add(name, value) }
        response.headers.add("Server", configuration.userAgent)
        return [.send(response.serialized(), to: destination)]
    }

    /// The Allow header value.
    var allowValue: String { configuration.allowedMethods.joined(separator: ", ") }
}

extension SIPUserAgent {
    /// `text` as a dialog's remote target: a `sip:`/`sips:` URI that parses, written back in its
    /// canonical form (so what goes in a request line always parses); `nil` otherwise.
    static func remoteTarget(_ text: String?) -> String? {
        guard let text, let uri = try? SIPURI(parsing: text), uri.scheme == "sip" || uri.scheme == "sips" else { return nil }
        let canonical = uri.description
        return (try? SIPURI(parsing: canonical)) != nil && !canonical.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) ? canonical : nil
    }
}
