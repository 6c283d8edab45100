import Testing
@testable import SwitchboardSIP

@Suite struct SIPUserAgentClientTests {
    let now = ContinuousClock.now
    let peer = SIPEndpoint(host: "192.0.2.10", port: 5060)

    func ms(_ value: Int) -> ContinuousClock.Instant { now + .milliseconds(value) }

    func placeCall() throws -> (SIPUserAgent, String, SIPMessage) {
        var agent = SIPUserAgent(configuration: .init(localHost: "198.51.100.1", localPort: 5060))
        let (callID, actions) = agent.call(to: "+15557654321", from: "+15551234567", via: peer, rtp: rtpEndpoint, now: now)
        #expect(actions.destinations == [peer])
        let invite = try #require(actions.sentMessages.first)
        return (agent, callID, invite)
    }

    /// The callee's response to our INVITE.
    func response(to invite: SIPMessage, status: Int, reason: String, tag: String? = "callee", sdp: String? = nil) -> [UInt8] {
        var message = invite.response(status: status, reason: reason, toTag: tag)
        message.headers.add("Contact", "<sip:callee@192.0.2.10:5060>")
        message.headers.add("Record-Route", "<sip:proxy.example;lr>")
        if let sdp {
            message.headers.add("Content-Type", "application/sdp")
            message.body = Array(sdp.utf8)
        }
        return message.serialized()
    }

    let answerSDP = "v=0\r\no=- 5 5 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"

    @Test func inviteCarriesOfferAndHeaders() throws {
        let (_, callID, invite) = try placeCall()
        #expect(invite.method == "INVITE")
        #expect(invite.requestURIText == "sip:+15557654321@192.0.2.10:5060")
        #expect(invite.callID == callID)
        #expect(invite.from?.uri?.user == "+15551234567")
        #expect(invite.from?.tag != nil)
        #expect(invite.to?.tag == nil)
        #expect(invite.cseq == SIPCSeq(number: 1, method: "INVITE"))
        #expect(invite.topVia?.branch?.hasPrefix("z9hG4bK") == true)
        #expect(invite.topVia?.sentBy == "198.51.100.1:5060")
        #expect(invite.maxForwards == 70)
        #expect(invite.headers["Contact"] == "<sip:switchboard@198.51.100.1:5060>")
        let offer = try SessionDescription(parsing: invite.bodyText)
        #expect(offer.media.first?.payloadTypes == [0, 8, 101])
        #expect(offer.media.first?.port == 40000)
    }

    @Test func telURIDestinationIsSentAsSIPUserPhone() throws {
        var agent = SIPUserAgent(configuration: .init(localHost: "198.51.100.1", localPort: 5060))
        let (_, actions) = agent.call(to: "tel:+15557654321", from: "+15551234567", via: peer, rtp: rtpEndpoint, now: now)
        #expect(actions.sentMessages.first?.requestURIText == "sip:+15557654321@192.0.2.10:5060;user=phone")
    }

    @Test func inviteRetransmitsWithTimerAAndTimesOutWithTimerB() throws {
        var (agent, callID, _) = try placeCall()
        var times: [Int] = []
        var ended: [SIPAction] = []
        while let deadline = agent.nextDeadline {
            let actions = agent.tick(now: deadline)
            if !actions.methods.isEmpty { times.append(Int((deadline - now) / .milliseconds(1))) }
            ended += actions.filter { if case .callEnded = $0 { true } else { false } }
        }
        #expect(times == [500, 1500, 3500, 7500, 15500, 31500])
        #expect(ended == [.callEnded(callID: callID, reason: .timeout)])
        #expect(agent.activeCallIDs.isEmpty)
    }

    @Test func answeredCallIsAcknowledgedAndReported() throws {
        var (agent, callID, invite) = try placeCall()
        #expect(agent.receive(response(to: invite, status: 100, reason: "Trying", tag: nil), from: peer, now: ms(50)).isEmpty)
        #expect(agent.receive(response(to: invite, status: 180, reason: "Ringing"), from: peer, now: ms(100)).isEmpty)
        // Provisional responses stop Timer A.
        #expect(agent.tick(now: ms(600)).isEmpty)

        let actions = agent.receive(response(to: invite, status: 200, reason: "OK", sdp: answerSDP), from: peer, now: ms(2000))
        #expect(actions.methods == ["ACK"])
        #expect(actions.destinations.first == peer)
        let ack = try #require(actions.sentMessages.first)
        #expect(ack.requestURIText == "sip:callee@192.0.2.10:5060")
        #expect(ack.to?.tag == "callee")
        #expect(ack.cseq == SIPCSeq(number: 1, method: "ACK"))
        #expect(ack.topVia?.branch != invite.topVia?.branch)
        #expect(ack.headers["Route"] == "<sip:proxy.example;lr>")
        guard case .callAnswered(let id, let media)? = actions.last else {
            Issue.record("expected callAnswered")
            return
        }
        #expect(id == callID)
        #expect(media.codec == .pcma)
        // The answer's c= (192.0.2.20) is not the peer's IP: media goes to the peer's IP with the
        // SDP port unless `mediaToAnyAddress` (no reflection to a third party named in SDP).
        #expect(media.remote == SIPEndpoint(host: "192.0.2.10", port: 30000))
        #expect(media.telephoneEventPayloadType == 101)

        // A retransmitted 200 gets the same ACK again and nothing else.
        let again = agent.receive(response(to: invite, status: 200, reason: "OK", sdp: answerSDP), from: peer, now: ms(2500))
        #expect(again.methods == ["ACK"])
        #expect(again.count == 1)

        // Hanging up sends BYE within the dialog.
        let hangUp = agent.hangUp(callID: callID, now: ms(5000))
        #expect(hangUp.methods == ["BYE"])
        #expect(hangUp.ends == [.localHangUp])
        let bye = try #require(hangUp.sentMessages.first)
        #expect(bye.to?.tag == "callee")
        #expect(bye.from?.tag == invite.from?.tag)
        #expect(bye.cseq == SIPCSeq(number: 2, method: "BYE"))
        #expect(bye.requestURIText == "sip:callee@192.0.2.10:5060")
    }

    @Test func calleeHangsUp() throws {
        var (agent, callID, invite) = try placeCall()
        _ = agent.receive(response(to: invite, status: 200, reason: "OK", sdp: answerSDP), from: peer, now: ms(100))
        let bye = datagram("""
        BYE sip:switchboard@198.51.100.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-callee-bye
        From: <sip:+15557654321@192.0.2.10>;tag=callee
        To: \(invite.headers["From"]!)
        Call-ID: \(callID)
        CSeq: 10 BYE
        Content-Length: 0
        """)
        let actions = agent.receive(bye, from: peer, now: ms(3000))
        #expect(actions.statuses == [200])
        #expect(actions.ends == [.remoteHangUp])
    }

    @Test func refusedCallIsAcknowledgedOnItsBranchAndFails() throws {
        var (agent, callID, invite) = try placeCall()
        let busy = response(to: invite, status: 486, reason: "Busy Here")
        let actions = agent.receive(busy, from: peer, now: ms(200))
        #expect(actions.methods == ["ACK"])
        #expect(actions.ends == [.failed(486)])
        let ack = try #require(actions.sentMessages.first)
        #expect(ack.topVia?.branch == invite.topVia?.branch)
        #expect(ack.requestURIText == invite.requestURIText)
        #expect(ack.to?.tag == "callee")
        #expect(ack.cseq == SIPCSeq(number: 1, method: "ACK"))
        // Retransmitted final: ACK again, no second report; Timer D then ends the transaction.
        let again = agent.receive(busy, from: peer, now: ms(700))
        #expect(again.methods == ["ACK"])
        #expect(again.ends.isEmpty)
        #expect(agent.nextDeadline == ms(200 + 32_000))
        #expect(agent.activeCallIDs.isEmpty)
        _ = callID
    }

    @Test func hangUpWhileRingingSendsCancel() throws {
        var (agent, callID, invite) = try placeCall()
        _ = agent.receive(response(to: invite, status: 180, reason: "Ringing"), from: peer, now: ms(100))
        let actions = agent.hangUp(callID: callID, now: ms(1000))
        #expect(actions.methods == ["CANCEL"])
        #expect(actions.ends == [.localHangUp])
        let cancel = try #require(actions.sentMessages.first)
        #expect(cancel.topVia?.branch == invite.topVia?.branch)
        #expect(cancel.requestURIText == invite.requestURIText)
        #expect(cancel.cseq == SIPCSeq(number: 1, method: "CANCEL"))
        #expect(cancel.to?.tag == nil)
        // CANCEL is retransmitted until its 200.
        #expect(agent.tick(now: ms(1500)).methods == ["CANCEL"])
        #expect(agent.receive(cancel.response(status: 200, reason: "OK", toTag: "callee").serialized(), from: peer, now: ms(1600)).isEmpty)
        #expect(agent.tick(now: ms(2500)).isEmpty)
        // The 487 for the INVITE is acknowledged without a second end report.
        let terminated = agent.receive(response(to: invite, status: 487, reason: "Request Terminated"), from: peer, now: ms(1700))
        #expect(terminated.methods == ["ACK"])
        #expect(terminated.ends.isEmpty)
    }

    @Test func hangUpBeforeAnyResponseCancelsOnFirstProvisional() throws {
        var (agent, callID, invite) = try placeCall()
        let actions = agent.hangUp(callID: callID, now: ms(100))
        #expect(actions.methods.isEmpty)
        #expect(actions.ends == [.localHangUp])
        let ringing = agent.receive(response(to: invite, status: 180, reason: "Ringing"), from: peer, now: ms(300))
        #expect(ringing.methods == ["CANCEL"])
    }

    @Test func answerCrossingCancelIsAcknowledgedAndHungUp() throws {
        var (agent, callID, invite) = try placeCall()
        _ = agent.receive(response(to: invite, status: 180, reason: "Ringing"), from: peer, now: ms(100))
        _ = agent.hangUp(callID: callID, now: ms(200))
        let actions = agent.receive(response(to: invite, status: 200, reason: "OK", sdp: answerSDP), from: peer, now: ms(250))
        #expect(actions.methods == ["ACK", "BYE"])
        #expect(actions.ends.isEmpty)
    }

    @Test func answerWithoutUsableMediaFailsWith488() throws {
        var (agent, _, invite) = try placeCall()
        let sdp = "v=0\r\no=- 5 5 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 9\r\n"
        let actions = agent.receive(response(to: invite, status: 200, reason: "OK", sdp: sdp), from: peer, now: ms(100))
        #expect(actions.methods == ["ACK", "BYE"])
        #expect(actions.ends == [.failed(488)])
    }

    @Test func responseForOtherBranchIsDropped() throws {
        var (agent, _, invite) = try placeCall()
        var stray = invite.response(status: 200, reason: "OK", toTag: "x")
        stray.headers.set("Via", "SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKother")
        #expect(agent.receive(stray.serialized(), from: peer, now: ms(100)).isEmpty)
    }
}
