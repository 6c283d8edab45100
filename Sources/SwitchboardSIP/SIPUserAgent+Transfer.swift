extension SIPUserAgent {
    /// Transfers an established call by REFER (RFC 3515; RFC 5589 basic transfer, this agent
    /// being the transferor): asks the remote party to call `target` — a `sip:`/`sips:` URI as
    /// given, or a number (or `tel:` URI), sent as `sip:NUMBER@<the dialog's remote host>`.
    ///
    /// The REFER is a non-INVITE client transaction (Timer E/F). Its 2xx starts the wait for
    /// NOTIFYs (`Event: refer`, `message/sipfrag` bodies), each answered 200 OK and reported as
    /// `.transferProgress`. A final 2xx sipfrag completes the transfer: `.transferEnded(.completed)`,
    /// then a BYE ends this agent's dialog and `.callEnded(.transferred)` is reported. A final
    /// 3xx–6xx sipfrag, a 3xx–6xx to the REFER, a subscription terminated without a final status,
    /// no final status within `referTimeout`, or no answer at all is reported as
    /// `.transferEnded` with that outcome, and the call stays up.
    public mutating func refer(callID: String, to target: String, now: ContinuousClock.Instant) -> [SIPAction] {
        guard var call = calls[callID], !call.endReported, call.state == .established else {
            return [.transferEnded(callID: callID, outcome: .notSent("the call is not established"))]
        }
        guard call.transfer == nil else {
            return [.transferEnded(callID: callID, outcome: .notSent("a transfer is already under way"))]
        }
        guard let referTo = referTarget(target, call: call) else {
            return [.transferEnded(callID: callID, outcome: .notSent("the target is neither a SIP URI nor a number"))]
        }
        call.localCSeq &+= 1
        let branch = RandomToken.branch()
        let referredBy = (try? SIPNameAddress(parsing: call.localParty)).flatMap { Self.remoteTarget($0.uriText) }.map { "<" + $0 + ">" }
            ?? contactValue
        var headers = SIPHeaders()
        headers.add("Via", newVia(branch: branch))
        headers.add("Max-Forwards", "70")
        for route in call.routeSet { headers.add("Route", route) }
        headers.add("From", call.localParty)
        headers.add("To", call.remoteParty)
        headers.add("Call-ID", call.id)
        headers.add("CSeq", "\(call.localCSeq) REFER")
        headers.add("Contact", contactValue)
        headers.add("Refer-To", "<" + referTo + ">")
        headers.add("Referred-By", referredBy)
        headers.add("Allow", allowValue)
        headers.add("User-Agent", configuration.userAgent)
        let bytes = SIPMessage.request(method: "REFER", uri: call.remoteTarget, headers: headers).serialized()
        let key = ClientTransaction.key(branch: branch, method: "REFER")
        clientTransactions[key] = ClientTransaction(
            method: "REFER", callID: call.id, request: bytes, destination: call.peer, retransmitInterval: configuration.t1,
            retransmitAt: now + configuration.t1, timeoutAt: now + timeout64)
        call.transfer = PendingTransfer(cseq: call.localCSeq, transactionKey: key, giveUpAt: now + configuration.referTimeout)
        calls[callID] = call
        return [.send(bytes, to: call.peer)]
    }

    /// The Refer-To URI for `target`, or nil when it is not one this agent can put in a header.
    func referTarget(_ target: String, call: SIPCall) -> String? {
        let text = target.trimmedSIP
        guard !text.isEmpty, text.utf8.count <= 256, !text.contains(where: { $0 == "<" || $0 == ">" || $0 == "\"" }) else { return nil }
        var number = Substring(text)
        if text.contains(":") {
            guard let uri = try? SIPURI(parsing: text) else { return nil }
            switch uri.scheme {
            case "sip", "sips":
                return Self.remoteTarget(String(text))
            case "tel":
                guard let user = uri.user else { return nil }
                number = Substring(user)
            default:
                return nil
            }
        }
        let digits = number.first == "+" ? number.dropFirst() : number
        guard (1...32).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let remote = try? SIPURI(parsing: call.remoteTarget) else { return nil }
        return Self.remoteTarget(SIPURI(user: String(number), host: remote.host, port: remote.port).description)
    }

    /// The final response to a REFER: a 2xx starts the wait for NOTIFYs, anything else ends the transfer.
    mutating func referAnswered(callID: String, transactionKey: String, status: Int, now: ContinuousClock.Instant) -> [SIPAction] {
        guard var call = calls[callID], var transfer = call.transfer, transfer.transactionKey == transactionKey else { return [] }
        if (200..<300).contains(status) {
            transfer.accepted = true
            transfer.giveUpAt = now + configuration.referTimeout
            call.transfer = transfer
        } else {
            call.transfer = nil
        }
        calls[callID] = call
        return call.transfer == nil ? [.transferEnded(callID: callID, outcome: .refused(status: status))] : []
    }

    /// The REFER got no final response (Timer F).
    mutating func referTimedOut(callID: String, transactionKey: String) -> [SIPAction] {
        guard var call = calls[callID], let transfer = call.transfer, transfer.transactionKey == transactionKey, !transfer.accepted else { return [] }
        call.transfer = nil
        calls[callID] = call
        return [.transferEnded(callID: callID, outcome: .timedOut)]
    }

    /// Ends the transfer of a call that is ending.
    mutating func abandonTransfer(_ call: inout SIPCall) -> [SIPAction] {
        guard call.transfer != nil else { return [] }
        call.transfer = nil
        return [.transferEnded(callID: call.id, outcome: .callEnded)]
    }

    /// A NOTIFY: in a dialog with a transfer under way and for `Event: refer`, answered 200 and
    /// its sipfrag read; otherwise 481 (no such dialog or subscription) or 489 (another event).
    mutating func handleNotify(_ request: SIPMessage, from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        guard let callID = request.callID, var call = calls[callID], !call.endReported, request.to?.tag == call.localTag,
              call.remoteTag == nil || request.from?.tag == call.remoteTag, let cseq = request.cseq else {
            return respond(to: request, source: source, status: 481, reason: "Call/Transaction Does Not Exist", now: now)
        }
        let event = request.headers["Event"].map { Self.eventPackage($0) }
        guard let event, event.package == "refer" else {
            return respond(to: request, source: source, status: 489, reason: "Bad Event", extraHeaders: [("Allow-Events", "refer")], now: now)
        }
        guard cseq.number > call.remoteCSeq else {
            return respond(to: request, source: source, status: 500, reason: "Server Internal Error (CSeq Out of Order)", now: now)
        }
        call.remoteCSeq = cseq.number
        guard var transfer = call.transfer, event.id == nil || event.id == String(transfer.cseq) else {
            calls[callID] = call
            return respond(to: request, source: source, status: 481, reason: "Subscription Does Not Exist", now: now)
        }
        if let type = request.contentType, type != "message/sipfrag" {
            calls[callID] = call
            return respond(to: request, source: source, status: 415, reason: "Unsupported Media Type",
                           extraHeaders: [("Accept", "message/sipfrag")], now: now)
        }
        let terminated = request.headers["Subscription-State"].map {
            ($0.split(separator: ";", maxSplits: 1).first?.trimmedSIP ?? "").lowercased() == "terminated"
        } ?? false
        let status = Self.sipfragStatus(request.body)
        var actions: [SIPAction]
        if status == nil && !request.body.isEmpty {
            actions = respond(to: request, source: source, status: 400, reason: "Bad Request (Malformed sipfrag)", now: now)
        } else {
            actions = respond(to: request, source: source, status: 200, reason: "OK", now: now)
        }
        if let status {
            transfer.lastStatus = status
            actions.append(.transferProgress(callID: callID, status: status))
        }
        switch status {
        case .some(200..<300):
            call.transfer = nil
            actions.append(.transferEnded(callID: callID, outcome: .completed(status: status ?? 200)))
            // The transferee has the target on the line: this agent's part of the call is over.
            actions += sendBye(&call, now: now)
            calls[callID] = nil
            actions.append(.callEnded(callID: callID, reason: .transferred))
            return actions
        case .some(let final) where final >= 300:
            call.transfer = nil
            actions.append(.transferEnded(callID: callID, outcome: .failed(status: final)))
        default:
            if terminated {
                call.transfer = nil
                actions.append(.transferEnded(callID: callID, outcome: .terminatedWithoutResult))
            } else {
                call.transfer = transfer
            }
        }
        calls[callID] = call
        return actions
    }

    /// The event package of an Event header, lowercased, and its `id` parameter.
    static func eventPackage(_ value: String) -> (package: String, id: String?) {
        let parts = value.split(separator: ";")
        let package = (parts.first?.trimmedSIP ?? "").lowercased()
        var id: String?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmedSIP.lowercased() == "id" { id = String(pair[1].trimmedSIP) }
        }
        return (package, id)
    }

    /// The status code of a `message/sipfrag` body's status line (`SIP/2.0 200 OK`): exactly
    /// three digits, 100–699; nil for anything else (a request line, garbage, `SIP/2.0 99999`).
    static func sipfragStatus(_ body: [UInt8]) -> Int? {
        let prefix = Array("SIP/2.0 ".utf8)
        var start = 0
        // Leading blank lines are tolerated.
        while start < body.count, body[start] == 13 || body[start] == 10 { start += 1 }
        guard body.count - start >= prefix.count + 3 else { return nil }
        for (offset, byte) in prefix.enumerated() {
            let given = body[start + offset]
            // "sip/2.0" in any case.
            guard given == byte || (byte >= 65 && byte <= 90 && given == byte + 32) else { return nil }
        }
        let digitsStart = start + prefix.count
        var value = 0
        for index in digitsStart..<(digitsStart + 3) {
            let byte = body[index]
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        let after = digitsStart + 3
        guard after == body.count || body[after] == 32 || body[after] == 13 || body[after] == 10 else { return nil }
        return (100...699).contains(value) ? value : nil
    }
}
