import Testing
@testable import SwitchboardSIP

@Suite struct SIPUserAgentServerTests {
    let now = ContinuousClock.now
    let callID = "1-4242@127.0.0.1"

    func makeAgent() -> SIPUserAgent {
        SIPUserAgent(configuration: .init(localHost: "127.0.0.1", localPort: 5060))
    }

    func ms(_ value: Int) -> ContinuousClock.Instant { now + .milliseconds(value) }

    /// An agent with one offered call; returns the actions of the INVITE and our To tag.
    func offered() throws -> (SIPUserAgent, [SIPAction], String) {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippInvite(), from: sippEndpoint, now: now)
        let tag = try #require(actions.sentMessages.last?.to?.tag)
        return (agent, actions, tag)
    }

    /// An agent with one accepted (200 OK sent, not yet acknowledged) call.
    func accepted() throws -> (SIPUserAgent, SIPMessage, String) {
        var (agent, _, tag) = try offered()
        let actions = agent.accept(callID: callID, rtp: rtpEndpoint, now: now)
        let ok = try #require(actions.sentMessages.first)
        return (agent, ok, tag)
    }

    /// An agent with one established call.
    func established() throws -> (SIPUserAgent, String) {
        var (agent, _, tag) = try accepted()
        #expect(agent.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: ms(10)).isEmpty)
        return (agent, tag)
    }

    @Test func inviteGetsTryingRingingAndIncomingCall() throws {
        let (_, actions, tag) = try offered()
        #expect(actions.statuses == [100, 180])
        #expect(actions.destinations == [sippEndpoint, sippEndpoint])
        let messages = actions.sentMessages
        #expect(messages[0].to?.tag == nil)
        #expect(messages[1].to?.tag == tag)
        #expect(messages[1].headers["Contact"] == "<sip:switchboard@127.0.0.1:5060>")
        #expect(messages[1].headers["Server"] == "Switchboard")
        #expect(messages[1].cseq == SIPCSeq(number: 1, method: "INVITE"))
        let offer = try #require(actions.offers.first)
        #expect(offer.callID == callID)
        #expect(offer.callerNumber == nil)
        #expect(offer.callerDisplayName == "sipp")
        #expect(offer.callerURI == "sip:sipp@127.0.0.1:5061")
        #expect(offer.calledUser == "service")
        #expect(offer.remoteMedia == SIPEndpoint(host: "127.0.0.1", port: 6000))
        #expect(offer.codec == .pcmu)
        #expect(offer.payloadType == 0)
        #expect(offer.telephoneEventPayloadType == nil)
    }

    @Test func baresipInviteRespondsToSourcePortWithReceivedAndRPort() throws {
        var agent = makeAgent()
        let source = SIPEndpoint(host: "203.0.113.9", port: 32001)
        let actions = agent.receive(Fixture.baresipInvite(), from: source, now: now)
        #expect(actions.destinations == [source, source])
        let via = try #require(actions.sentMessages.first?.topVia)
        #expect(via.received == "203.0.113.9")
        #expect(via.rport == 32001)
        let offer = try #require(actions.offers.first)
        #expect(offer.callerNumber == "+15551234567")
        #expect(offer.calledNumber == "+14155550100")
        #expect(offer.callerDisplayName == "Alice Example")
        #expect(offer.codec == .pcmu)
        #expect(offer.telephoneEventPayloadType == 101)
    }

    @Test func retransmittedInviteRepeatsLastResponseOnly() throws {
        var (agent, first, _) = try offered()
        let again = agent.receive(Fixture.sippInvite(), from: sippEndpoint, now: ms(500))
        #expect(again.offers.isEmpty)
        #expect(again.count == 1)
        if case .send(let bytes, _) = again.first, case .send(let ringing, _) = first[1] {
            #expect(bytes == ringing)
        } else {
            Issue.record("expected a resent 180")
        }
    }

    @Test func acceptSendsOKWithAnswerAndRetransmitsUntilAck() throws {
        var (agent, ok, tag) = try accepted()
        #expect(ok.statusCode == 200)
        #expect(ok.to?.tag == tag)
        #expect(ok.contentType == "application/sdp")
        #expect(ok.headers["Contact"] == "<sip:switchboard@127.0.0.1:5060>")
        #expect(ok.headers.values("Allow").contains("BYE"))
        let answer = try SessionDescription(parsing: ok.bodyText)
        #expect(answer.connectionAddress == "10.0.0.5")
        #expect(answer.media.first?.port == 40000)
        #expect(answer.media.first?.payloadTypes == [0])
        #expect(agent.media(callID: callID)?.remote == SIPEndpoint(host: "127.0.0.1", port: 6000))

        // T1, then 2·T1, 4·T1, capped at T2 = 4 s.
        #expect(agent.nextDeadline == ms(500))
        #expect(agent.tick(now: ms(499)).isEmpty)
        #expect(agent.tick(now: ms(500)).statuses == [200])
        #expect(agent.tick(now: ms(1499)).isEmpty)
        #expect(agent.tick(now: ms(1500)).statuses == [200])
        #expect(agent.tick(now: ms(3500)).statuses == [200])
        #expect(agent.tick(now: ms(7500)).statuses == [200])
        #expect(agent.tick(now: ms(11500)).statuses == [200])
        // The retransmitted INVITE also gets the 200 again.
        #expect(agent.receive(Fixture.sippInvite(), from: sippEndpoint, now: ms(11600)).statuses == [200])

        #expect(agent.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: ms(12000)).isEmpty)
        #expect(agent.tick(now: ms(20000)).isEmpty)
    }

    @Test func noAckEndsCallWithBye() throws {
        var (agent, _, tag) = try accepted()
        var sent = 0
        var instant = now
        while let deadline = agent.nextDeadline, deadline < ms(32_000) {
            instant = deadline
            sent += agent.tick(now: instant).statuses.count
        }
        #expect(sent == 10)  // 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5 s
        let final = agent.tick(now: ms(32_000))
        #expect(final.methods == ["BYE"])
        #expect(final.ends == [.noAck])
        let bye = try #require(final.sentMessages.first)
        #expect(bye.requestURIText == "sip:sipp@127.0.0.1:5061")
        #expect(bye.from?.tag == tag)
        #expect(bye.to?.tag == "4242SIPpTag001")
        #expect(final.destinations == [sippEndpoint])
        #expect(agent.activeCallIDs.isEmpty)
    }

    @Test func remoteByeEndsCall() throws {
        var (agent, tag) = try established()
        let actions = agent.receive(Fixture.sippBye(toTag: tag), from: sippEndpoint, now: ms(5000))
        #expect(actions.statuses == [200])
        #expect(actions.ends == [.remoteHangUp])
        #expect(actions.sentMessages.first?.cseq?.method == "BYE")
        // A retransmitted BYE gets the same 200 and no second end.
        let again = agent.receive(Fixture.sippBye(toTag: tag), from: sippEndpoint, now: ms(5500))
        #expect(again.statuses == [200])
        #expect(again.ends.isEmpty)
        // After Timer J the transaction is gone and the dialog is unknown.
        _ = agent.tick(now: ms(5000 + 32_000))
        #expect(agent.receive(Fixture.sippBye(toTag: tag), from: sippEndpoint, now: ms(40_000)).statuses == [481])
    }

    @Test func byeForUnknownDialogIs481() {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippBye(toTag: "nope"), from: sippEndpoint, now: now)
        #expect(actions.statuses == [481])
        #expect(actions.sentMessages.first?.reasonPhrase == "Call/Transaction Does Not Exist")
        #expect(actions.ends.isEmpty)
    }

    @Test func rejectRetransmitsUntilAckThenAbsorbs() throws {
        var (agent, _, tag) = try offered()
        let actions = agent.reject(callID: callID, status: 486, reason: "Busy Here", now: now)
        #expect(actions.statuses == [486])
        #expect(actions.sentMessages.first?.to?.tag == tag)
        #expect(actions.ends == [.localHangUp])
        #expect(agent.tick(now: ms(500)).statuses == [486])
        #expect(agent.tick(now: ms(1500)).statuses == [486])
        // The ACK for a non-2xx reuses the INVITE branch; it stops Timer G.
        let ack = Fixture.sippAck(branch: "z9hG4bK-4242-1-0", toTag: tag)
        #expect(agent.receive(ack, from: sippEndpoint, now: ms(1600)).isEmpty)
        #expect(agent.tick(now: ms(3500)).isEmpty)
        // Retransmitted ACKs are absorbed, and Timer I (T4) ends the transaction.
        #expect(agent.receive(ack, from: sippEndpoint, now: ms(2000)).isEmpty)
        #expect(agent.nextDeadline == ms(1600 + 5000))
        _ = agent.tick(now: ms(6600))
        #expect(agent.nextDeadline == nil)
    }

    @Test func rejectWithoutAckStopsAtTimerH() throws {
        var (agent, _, _) = try offered()
        _ = agent.reject(callID: callID, status: 503, reason: "Service Unavailable", now: now)
        var retransmissions = 0
        while let deadline = agent.nextDeadline {
            retransmissions += agent.tick(now: deadline).statuses.count
        }
        #expect(retransmissions == 10)
        #expect(agent.tick(now: ms(100_000)).isEmpty)
    }

    @Test func inviteWithoutSDPGets488() throws {
        var agent = makeAgent()
        let bytes = datagram("""
        INVITE sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-nosdp
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=1
        To: service <sip:service@127.0.0.1:5060>
        Call-ID: nosdp
        CSeq: 1 INVITE
        Max-Forwards: 70
        Content-Length: 0
        """)
        let actions = agent.receive(bytes, from: sippEndpoint, now: now)
        #expect(actions.statuses == [488])
        #expect(actions.offers.isEmpty)
        let response = try #require(actions.sentMessages.first)
        #expect(response.headers["Accept"] == "application/sdp")
        #expect(response.headers["Warning"]?.contains("SDP offer required") == true)
        #expect(agent.tick(now: ms(500)).statuses == [488])
    }

    @Test func noCommonCodecGets488WithWarning() throws {
        var agent = makeAgent()
        let sdp = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 96 9\na=rtpmap:96 opus/48000/2\n"
        let actions = agent.receive(Fixture.sippInvite(sdp: sdp), from: sippEndpoint, now: now)
        #expect(actions.statuses == [488])
        #expect(actions.sentMessages.first?.headers["Warning"]?.hasPrefix("305 ") == true)
        #expect(actions.offers.isEmpty)
        #expect(agent.activeCallIDs.isEmpty)
    }

    @Test func malformedSDPGets400() throws {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippInvite(sdp: "this is not sdp"), from: sippEndpoint, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase.map { $0.contains("SDP") } == true)
    }

    @Test func cancelPendingInvite() throws {
        var (agent, _, tag) = try offered()
        let actions = agent.receive(Fixture.sippCancel(), from: sippEndpoint, now: ms(300))
        #expect(actions.statuses == [200, 487])
        #expect(actions.sentMessages[0].cseq?.method == "CANCEL")
        #expect(actions.sentMessages[1].cseq?.method == "INVITE")
        #expect(actions.sentMessages[1].to?.tag == tag)
        #expect(actions.ends == [.cancelled])
        #expect(agent.accept(callID: callID, rtp: rtpEndpoint, now: ms(400)).isEmpty)
        // 487 is retransmitted until the ACK.
        #expect(agent.tick(now: ms(800)).statuses == [487])
        #expect(agent.receive(Fixture.sippAck(branch: "z9hG4bK-4242-1-0", toTag: tag), from: sippEndpoint, now: ms(900)).isEmpty)
        #expect(agent.tick(now: ms(1800)).isEmpty)
        // A retransmitted CANCEL gets its 200 again.
        #expect(agent.receive(Fixture.sippCancel(), from: sippEndpoint, now: ms(1000)).statuses == [200])
    }

    @Test func cancelAfterAnswerHasNoEffect() throws {
        var (agent, _, _) = try accepted()
        let actions = agent.receive(Fixture.sippCancel(), from: sippEndpoint, now: ms(100))
        #expect(actions.statuses == [200])
        #expect(actions.ends.isEmpty)
        #expect(agent.activeCallIDs == [callID])
    }

    @Test func cancelWithoutTransactionIs481() {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippCancel(branch: "z9hG4bK-unknown"), from: sippEndpoint, now: now)
        #expect(actions.statuses == [481])
    }

    @Test func reInviteChangesMediaAndIncrementsVersion() throws {
        var (agent, tag) = try established()
        let firstVersion = UInt64(1)
        let holdSDP = "v=0\no=user1 53655765 2353687638 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6002 RTP/AVP 0\na=sendonly\n"
        let reInvite = datagram("""
        INVITE sip:switchboard@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-reinvite
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(tag)
        Call-ID: \(callID)
        CSeq: 3 INVITE
        Contact: sip:sipp@127.0.0.1:5061
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: holdSDP)
        let actions = agent.receive(reInvite, from: sippEndpoint, now: ms(1000))
        #expect(actions.statuses == [200])
        let answer = try SessionDescription(parsing: try #require(actions.sentMessages.first).bodyText)
        #expect(answer.origin?.sessionVersion == String(firstVersion + 1))
        #expect(answer.media.first?.port == 40000)
        #expect(answer.media.first?.direction == .recvonly)
        guard case .mediaChanged(let id, let media)? = actions.last else {
            Issue.record("expected mediaChanged")
            return
        }
        #expect(id == callID)
        #expect(media.remote.port == 6002)
        #expect(media.isOnHold)
        // The 200 is retransmitted until the ACK for CSeq 3.
        #expect(agent.tick(now: ms(1500)).statuses == [200])
        #expect(agent.receive(Fixture.sippAck(toTag: tag, cseq: 3), from: sippEndpoint, now: ms(1600)).isEmpty)
        #expect(agent.tick(now: ms(2500)).isEmpty)
    }

    @Test func unchangedReInviteAnswersWithoutMediaChanged() throws {
        var (agent, tag) = try established()
        let reInvite = datagram("""
        INVITE sip:switchboard@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-refresh
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(tag)
        Call-ID: \(callID)
        CSeq: 3 INVITE
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: Fixture.sippSDP)
        let actions = agent.receive(reInvite, from: sippEndpoint, now: ms(1000))
        #expect(actions.statuses == [200])
        #expect(actions.count == 1)
    }

    @Test func reInviteForUnknownDialogIs481() throws {
        var agent = makeAgent()
        let reInvite = datagram("""
        INVITE sip:switchboard@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-x
        From: <sip:sipp@127.0.0.1:5061>;tag=a
        To: <sip:service@127.0.0.1:5060>;tag=b
        Call-ID: unknown
        CSeq: 3 INVITE
        Content-Length: 0
        """)
        #expect(agent.receive(reInvite, from: sippEndpoint, now: now).statuses == [481])
    }

    @Test func optionsGets200WithCapabilities() throws {
        var agent = makeAgent()
        let options = datagram("""
        OPTIONS sip:127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-opt;rport
        From: <sip:monitor@10.1.1.1>;tag=m1
        To: <sip:127.0.0.1:5060>
        Call-ID: opt-1
        CSeq: 1 OPTIONS
        Max-Forwards: 70
        Content-Length: 0
        """)
        let source = SIPEndpoint(host: "10.1.1.1", port: 5062)
        let actions = agent.receive(options, from: source, now: now)
        #expect(actions.statuses == [200])
        #expect(actions.destinations == [source])
        let response = try #require(actions.sentMessages.first)
        #expect(response.headers.values("Allow") == ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "NOTIFY"])
        #expect(response.headers["Accept"] == "application/sdp")
        #expect(response.headers.contains("Supported"))
        #expect(response.to?.tag != nil)
        // A retransmission gets the identical response (same To tag) while Timer J runs.
        let again = agent.receive(options, from: source, now: ms(500))
        #expect(again.sentMessages.first?.to?.tag == response.to?.tag)
        #expect(agent.nextDeadline == ms(32_000))
        _ = agent.tick(now: ms(32_000))
        #expect(agent.nextDeadline == nil)
    }

    @Test(arguments: [("REGISTER", 405, "Method Not Allowed"), ("FROBNICATE", 501, "Not Implemented")])
    func unsupportedMethods(_ method: String, _ status: Int, _ reason: String) throws {
        var agent = makeAgent()
        let request = datagram("""
        \(method) sip:127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-m
        From: <sip:a@127.0.0.1>;tag=1
        To: <sip:b@127.0.0.1>
        Call-ID: m
        CSeq: 1 \(method)
        Content-Length: 0
        """)
        let actions = agent.receive(request, from: sippEndpoint, now: now)
        #expect(actions.statuses == [status])
        #expect(actions.sentMessages.first?.reasonPhrase == reason)
        #expect(actions.sentMessages.first?.headers.values("Allow").contains("INVITE") == true)
    }

    @Test(arguments: [
        ("Call-ID", "Missing Call-ID Header"),
        ("From", "Missing From Header"),
        ("To", "Missing To Header"),
        ("CSeq", "Missing CSeq Header"),
    ])
    func missingMandatoryHeaderGets400(_ header: String, _ reason: String) throws {
        var agent = makeAgent()
        let lines = [
            "OPTIONS sip:127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-missing",
            "From: <sip:a@127.0.0.1>;tag=1",
            "To: <sip:b@127.0.0.1>",
            "Call-ID: missing",
            "CSeq: 1 OPTIONS",
        ].filter { !$0.hasPrefix(header + ":") }
        let actions = agent.receive(datagram(lines.joined(separator: "\n")), from: sippEndpoint, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase == reason)
    }

    @Test func cseqMethodMismatchGets400() {
        var agent = makeAgent()
        let request = datagram("""
        OPTIONS sip:127.0.0.1 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-mm
        From: <sip:a@127.0.0.1>;tag=1
        To: <sip:b@127.0.0.1>
        Call-ID: mm
        CSeq: 1 INVITE
        """)
        let actions = agent.receive(request, from: sippEndpoint, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase == "CSeq Method Does Not Match Request")
    }

    @Test func requestWithoutViaIsDropped() {
        var agent = makeAgent()
        let request = datagram("OPTIONS sip:127.0.0.1 SIP/2.0\nFrom: <sip:a@b>;tag=1\nTo: <sip:b@c>\nCall-ID: x\nCSeq: 1 OPTIONS")
        #expect(agent.receive(request, from: sippEndpoint, now: now).isEmpty)
    }

    @Test func badContentLengthWithViaGets400() throws {
        var agent = makeAgent()
        let request = datagram("""
        OPTIONS sip:127.0.0.1 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-cl
        From: <sip:a@127.0.0.1>;tag=1
        To: <sip:b@127.0.0.1>
        Call-ID: cl
        CSeq: 1 OPTIONS
        Content-Length: 999
        """, body: "short")
        let actions = agent.receive(request, from: sippEndpoint, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase?.contains("Content-Length") == true)
        #expect(actions.sentMessages.first?.callID == "cl")
    }

    @Test func garbageAndKeepAlivesAreIgnored() {
        var agent = makeAgent()
        let inputs: [[UInt8]] = [
            [], [13, 10], [13, 10, 13, 10], [0x80, 0x00, 0x01, 0x02, 0xFF],
            Array("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnothing\r\nCSeq: 1 BYE\r\n\r\n".utf8),
            Array("ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 99\r\n\r\n".utf8),
            Array((0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37) }),
        ]
        for bytes in inputs {
            #expect(agent.receive(bytes, from: sippEndpoint, now: now).isEmpty)
        }
        #expect(agent.nextDeadline == nil)
    }

    @Test func unknownAckIsIgnored() {
        var agent = makeAgent()
        #expect(agent.receive(Fixture.sippAck(toTag: "x"), from: sippEndpoint, now: now).isEmpty)
    }

    @Test func localHangUpSendsByeWithRetransmissions() throws {
        var (agent, tag) = try established()
        let actions = agent.hangUp(callID: callID, now: ms(1000))
        #expect(actions.methods == ["BYE"])
        #expect(actions.ends == [.localHangUp])
        let bye = try #require(actions.sentMessages.first)
        #expect(bye.requestURIText == "sip:sipp@127.0.0.1:5061")
        #expect(bye.from?.tag == tag)
        #expect(bye.to?.tag == "4242SIPpTag001")
        #expect(bye.callID == callID)
        #expect(bye.cseq?.method == "BYE")
        #expect(bye.topVia?.hasRPort == true)
        #expect(bye.topVia?.branch?.hasPrefix("z9hG4bK") == true)
        #expect(agent.tick(now: ms(1500)).methods == ["BYE"])
        #expect(agent.tick(now: ms(2500)).methods == ["BYE"])
        // The 200 OK completes the transaction.
        let ok = bye.response(status: 200, reason: "OK").serialized()
        #expect(agent.receive(ok, from: sippEndpoint, now: ms(2600)).isEmpty)
        #expect(agent.tick(now: ms(4500)).isEmpty)
        #expect(agent.tick(now: ms(8500)).isEmpty)
    }

    @Test func byeWithoutResponseGivesUpAtTimerF() throws {
        var (agent, _) = try established()
        _ = agent.hangUp(callID: callID, now: ms(1000))
        var retransmissions = 0
        while let deadline = agent.nextDeadline {
            retransmissions += agent.tick(now: deadline).methods.count
        }
        // Timer E: 0.5, 1, 2, 4, 4, … s apart, until Timer F at 32 s.
        #expect(retransmissions == 10)
    }

    @Test func hangUpBeforeAckWaitsForAck() throws {
        var (agent, _, tag) = try accepted()
        let actions = agent.hangUp(callID: callID, now: ms(100))
        #expect(actions.ends == [.localHangUp])
        #expect(actions.methods.isEmpty)
        let afterAck = agent.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: ms(200))
        #expect(afterAck.methods == ["BYE"])
        #expect(afterAck.ends.isEmpty)
    }

    @Test func hangUpOfferedCallDeclines() throws {
        var (agent, _, _) = try offered()
        let actions = agent.hangUp(callID: callID, now: now)
        #expect(actions.statuses == [603])
        #expect(actions.ends == [.localHangUp])
    }

    @Test func secondInviteWithSameCallIDAndNewBranchIsLoop() throws {
        var (agent, _, _) = try offered()
        let actions = agent.receive(Fixture.sippInvite(branch: "z9hG4bK-other"), from: sippEndpoint, now: ms(10))
        #expect(actions.statuses == [482])
        #expect(actions.offers.isEmpty)
    }

    @Test func requireWithUnknownExtensionGets420() throws {
        var agent = makeAgent()
        var text = String(decoding: Fixture.sippInvite(), as: UTF8.self)
        text = text.replacing("Max-Forwards: 70\r\n", with: "Max-Forwards: 70\r\nRequire: 100rel\r\n")
        let actions = agent.receive(Array(text.utf8), from: sippEndpoint, now: now)
        #expect(actions.statuses == [420])
        #expect(actions.sentMessages.first?.headers["Unsupported"] == "100rel")
    }
}
