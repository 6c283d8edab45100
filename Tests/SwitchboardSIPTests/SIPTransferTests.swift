import SwitchboardTesting
import Testing
@testable import SwitchboardSIP

/// Cold transfer by REFER with Switchboard as the transferor (RFC 3515, RFC 5589 §6).
@Suite struct SIPTransferTests {
    let now = ContinuousClock.now
    let callID = "1-4242@127.0.0.1"

    func ms(_ value: Int) -> ContinuousClock.Instant { now + .milliseconds(value) }

    /// An agent with one established inbound call from sipp; returns our To tag.
    func established(referTimeout: Duration = .seconds(30)) throws -> (SIPUserAgent, String) {
        var configuration = SIPUserAgent.Configuration(localHost: "127.0.0.1", localPort: 5060)
        configuration.referTimeout = referTimeout
        var agent = SIPUserAgent(configuration: configuration)
        let offered = agent.receive(Fixture.sippInvite(), from: sippEndpoint, now: now)
        let tag = try #require(offered.sentMessages.last?.to?.tag)
        _ = agent.accept(callID: callID, rtp: rtpEndpoint, now: now)
        #expect(agent.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: ms(10)).isEmpty)
        return (agent, tag)
    }

    /// An established call with a REFER sent; returns the REFER.
    func referred(to target: String = "+15550100199", referTimeout: Duration = .seconds(30)) throws -> (SIPUserAgent, String, SIPMessage) {
        var (agent, tag) = try established(referTimeout: referTimeout)
        let actions = agent.refer(callID: callID, to: target, now: ms(100))
        #expect(actions.destinations == [sippEndpoint])
        let refer = try #require(actions.sentMessages.first)
        return (agent, tag, refer)
    }

    /// sipp's answer to the REFER.
    func answer(_ refer: SIPMessage, _ status: Int, _ reason: String) -> [UInt8] {
        refer.response(status: status, reason: reason).serialized()
    }

    /// A NOTIFY from sipp in the call's dialog.
    func notify(tag: String, cseq: Int, body: String?, state: String = "active;expires=60", event: String? = "refer",
                contentType: String? = "message/sipfrag", callID: String? = nil, fromTag: String = "4242SIPpTag001") -> [UInt8] {
        var lines = [
            "NOTIFY sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-notify-\(cseq)",
            "From: sipp <sip:sipp@127.0.0.1:5061>;tag=\(fromTag)",
            "To: service <sip:service@127.0.0.1:5060>;tag=\(tag)",
            "Call-ID: \(callID ?? self.callID)",
            "CSeq: \(cseq) NOTIFY",
            "Contact: sip:sipp@127.0.0.1:5061",
            "Max-Forwards: 70",
        ]
        if let event { lines.append("Event: \(event)") }
        lines.append("Subscription-State: \(state)")
        if let contentType, body != nil { lines.append("Content-Type: \(contentType)") }
        lines.append("Content-Length: {len}")
        return datagram(lines.joined(separator: "\n"), body: body ?? "")
    }

    func progress(_ actions: [SIPAction]) -> [Int] {
        actions.compactMap { if case .transferProgress(_, let status) = $0 { status } else { nil } }
    }

    func outcomes(_ actions: [SIPAction]) -> [SIPTransferOutcome] {
        actions.compactMap { if case .transferEnded(_, let outcome) = $0 { outcome } else { nil } }
    }

    @Test func referIsAnInDialogRequestNamingTheTargetAtTheRemoteHost() throws {
        let (_, tag, refer) = try referred()
        #expect(refer.method == "REFER")
        #expect(refer.requestURIText == "sip:sipp@127.0.0.1:5061")
        #expect(refer.callID == callID)
        #expect(refer.cseq == SIPCSeq(number: 2, method: "REFER"))
        #expect(refer.from?.tag == tag)
        #expect(refer.to?.tag == "4242SIPpTag001")
        #expect(refer.topVia?.branch?.hasPrefix("z9hG4bK") == true)
        #expect(refer.headers["Refer-To"] == "<sip:+15550100199@127.0.0.1:5061>")
        #expect(refer.headers["Referred-By"] == "<sip:service@127.0.0.1:5060>")
        #expect(refer.headers["Contact"] == "<sip:switchboard@127.0.0.1:5060>")
        #expect(refer.body.isEmpty)
    }

    @Test(arguments: [("sip:desk@pbx.example.com;transport=udp", "<sip:desk@pbx.example.com;transport=udp>"),
                      ("tel:+15550100199", "<sip:+15550100199@127.0.0.1:5061>"),
                      ("  +15550100199 ", "<sip:+15550100199@127.0.0.1:5061>"),
                      ("4711", "<sip:4711@127.0.0.1:5061>")])
    func referToTakesSIPURIsAsGivenAndNumbersAtTheRemoteHost(_ target: String, _ expected: String) throws {
        let (_, _, refer) = try referred(to: target)
        #expect(refer.headers["Refer-To"] == expected)
    }

    @Test(arguments: ["", "mailto:desk@example.com", "sip:desk@exa mple.com", "+1555<script>", "sip:a@b>\r\nX: y",
                      "+", "1-555-0100", String(repeating: "9", count: 40), "sip:"])
    func unusableTargetsAreNotSent(_ target: String) throws {
        var (agent, _) = try established()
        let actions = agent.refer(callID: callID, to: target, now: ms(100))
        #expect(actions.methods.isEmpty)
        guard case .notSent? = outcomes(actions).first else {
            Issue.record("expected notSent, got \(actions)")
            return
        }
        // Nothing is pending: a usable target can still be referred.
        #expect(agent.refer(callID: callID, to: "+15550100199", now: ms(200)).methods == ["REFER"])
    }

    @Test func referNeedsAnEstablishedCallAndOneTransferAtATime() throws {
        var agent = SIPUserAgent(configuration: .init(localHost: "127.0.0.1", localPort: 5060))
        #expect(outcomes(agent.refer(callID: "nope", to: "+15550100199", now: now)) == [.notSent("the call is not established")])
        _ = agent.receive(Fixture.sippInvite(), from: sippEndpoint, now: now)
        // Offered, not answered.
        #expect(outcomes(agent.refer(callID: callID, to: "+15550100199", now: now)) == [.notSent("the call is not established")])

        var (busy, _, _) = try referred()
        #expect(outcomes(busy.refer(callID: callID, to: "+15550100199", now: ms(200))) == [.notSent("a transfer is already under way")])
    }

    @Test func completedTransferEndsTheDialogWithBye() throws {
        var (agent, tag, refer) = try referred()
        #expect(agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150)).isEmpty)
        // 202 ends the REFER transaction: no retransmission.
        #expect(agent.tick(now: ms(700)).isEmpty)

        let trying = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 100 Trying\n"), from: sippEndpoint, now: ms(200))
        #expect(trying.statuses == [200])
        #expect(progress(trying) == [100])
        #expect(outcomes(trying).isEmpty)
        #expect(agent.activeCallIDs == [callID])

        let ok = agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 200 OK\n", state: "terminated;reason=noresource"),
                               from: sippEndpoint, now: ms(3000))
        #expect(ok.statuses == [200])
        #expect(progress(ok) == [200])
        #expect(outcomes(ok) == [.completed(status: 200)])
        #expect(ok.methods == ["BYE"])
        #expect(ok.ends == [.transferred])
        // The order the owner relies on: the outcome before the call's end.
        let kinds = ok.map { action -> String in
            switch action {
            case .send: "send"
            case .transferProgress: "progress"
            case .transferEnded: "ended"
            case .callEnded: "callEnded"
            default: "other"
            }
        }
        #expect(kinds == ["send", "progress", "ended", "send", "callEnded"])
        let bye = try #require(ok.sentMessages.first { $0.method == "BYE" })
        #expect(bye.cseq == SIPCSeq(number: 3, method: "BYE"))
        #expect(bye.to?.tag == "4242SIPpTag001")
        #expect(agent.activeCallIDs.isEmpty)

        // The final NOTIFY retransmitted (our 200 lost) is answered again from its transaction.
        let again = agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 200 OK\n", state: "terminated"), from: sippEndpoint, now: ms(3100))
        #expect(again.statuses == [200])
        #expect(progress(again).isEmpty && again.ends.isEmpty)
        // A later NOTIFY for the dialog just ended: 481.
        #expect(agent.receive(notify(tag: tag, cseq: 4, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(3200)).statuses == [481])
    }

    @Test(arguments: [405, 501, 403, 603])
    func refusedReferFailsAndTheCallStaysUp(_ status: Int) throws {
        var (agent, _, refer) = try referred()
        let actions = agent.receive(answer(refer, status, "No"), from: sippEndpoint, now: ms(150))
        #expect(outcomes(actions) == [.refused(status: status)])
        #expect(actions.methods.isEmpty && actions.ends.isEmpty)
        #expect(agent.activeCallIDs == [callID])
        // A retransmitted final response changes nothing.
        #expect(agent.receive(answer(refer, status, "No"), from: sippEndpoint, now: ms(160)).isEmpty)
        // Another transfer may be tried; the call can still be hung up normally.
        #expect(agent.refer(callID: callID, to: "+15550100199", now: ms(200)).methods == ["REFER"])
        #expect(agent.hangUp(callID: callID, now: ms(300)).ends == [.localHangUp])
    }

    @Test func finalFailureSipfragFailsAndTheCallStaysUp() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let busy = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 486 Busy Here\nContent-Length: 0\n", state: "terminated"),
                                 from: sippEndpoint, now: ms(2000))
        #expect(busy.statuses == [200])
        #expect(progress(busy) == [486])
        #expect(outcomes(busy) == [.failed(status: 486)])
        #expect(busy.methods.isEmpty && busy.ends.isEmpty)
        #expect(agent.activeCallIDs == [callID])
        #expect(agent.calls[callID]?.transfer == nil, "no transfer left waiting")
    }

    @Test func subscriptionTerminatedWithoutAFinalStatusFails() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        _ = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 100 Trying\n"), from: sippEndpoint, now: ms(200))
        let ended = agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 180 Ringing\n", state: "terminated;reason=timeout"),
                                  from: sippEndpoint, now: ms(900))
        #expect(ended.statuses == [200])
        #expect(progress(ended) == [180])
        #expect(outcomes(ended) == [.terminatedWithoutResult])
        #expect(agent.activeCallIDs == [callID])
        // An empty terminating NOTIFY counts too.
        var (other, otherTag, otherRefer) = try referred()
        _ = other.receive(answer(otherRefer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let empty = other.receive(notify(tag: otherTag, cseq: 2, body: nil, state: "terminated"), from: sippEndpoint, now: ms(300))
        #expect(empty.statuses == [200])
        #expect(outcomes(empty) == [.terminatedWithoutResult])
    }

    @Test func noFinalNotifyWithinTheTimeoutFails() throws {
        var (agent, tag, refer) = try referred(referTimeout: .seconds(30))
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(1000))
        _ = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 100 Trying\n"), from: sippEndpoint, now: ms(2000))
        // The wait runs from the 202.
        #expect(outcomes(agent.tick(now: ms(30_900))).isEmpty)
        #expect(agent.nextDeadline == ms(31_000))
        let late = agent.tick(now: ms(31_000))
        #expect(outcomes(late) == [.timedOut])
        #expect(late.methods.isEmpty && late.ends.isEmpty)
        #expect(agent.activeCallIDs == [callID])
        // A NOTIFY after that finds no subscription.
        #expect(agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(31_500)).statuses == [481])
    }

    @Test func unansweredReferIsRetransmittedThenFails() throws {
        var (agent, _, refer) = try referred(referTimeout: .seconds(60))
        var times: [Int] = []
        var ended: [SIPTransferOutcome] = []
        while let deadline = agent.nextDeadline, deadline < ms(70_000) {
            let actions = agent.tick(now: deadline)
            if actions.methods.contains("REFER") {
                times.append(Int((deadline - now) / .milliseconds(1)))
                #expect(actions.sentMessages.first?.topVia?.branch == refer.topVia?.branch)
            }
            ended += outcomes(actions)
        }
        // Timer E doubles up to T2 (4 s); Timer F (64 × T1) ends it.
        #expect(times.prefix(6) == [600, 1600, 3600, 7600, 11_600, 15_600])
        #expect(ended == [.timedOut])
        #expect(agent.activeCallIDs == [callID])
    }

    @Test func notifyBeforeTheAcceptanceIsTaken() throws {
        var (agent, tag, refer) = try referred()
        let ok = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 200 OK\n", state: "terminated"), from: sippEndpoint, now: ms(120))
        #expect(outcomes(ok) == [.completed(status: 200)])
        #expect(agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(130)).isEmpty)
    }

    @Test func remoteHangUpDuringTheTransferEndsIt() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let bye = agent.receive(Fixture.sippBye(toTag: tag), from: sippEndpoint, now: ms(500))
        #expect(outcomes(bye) == [.callEnded])
        #expect(bye.ends == [.remoteHangUp])
    }

    @Test func localHangUpDuringTheTransferEndsIt() throws {
        var (agent, _, _) = try referred()
        let actions = agent.hangUp(callID: callID, now: ms(500))
        #expect(outcomes(actions) == [.callEnded])
        #expect(actions.ends == [.localHangUp])
    }

    // MARK: Hostile NOTIFYs

    @Test(arguments: [
        "garbage\n", "SIP/2.0\n", "SIP/2.0 2 OK\n", "SIP/2.0 20 OK\n", "SIP/2.0 2000 OK\n", "SIP/2.0 99999999999999999999 OK\n",
        "SIP/2.0 -200 OK\n", "SIP/2.0 099 Low\n", "SIP/2.0 700 High\n", "SIP/2.0 999 Out Of Range\n", "SIP/3.0 200 OK\n",
        "INVITE sip:a@b SIP/2.0\n", "SIP/2.0 2O0 OK\n", "SIP/2.0 ２００ OK\n", "\u{0}\u{0}\u{0}", "SIP/2.0 200OK\n",
    ])
    func garbageSipfragIsRefusedAndChangesNothing(_ body: String) throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let actions = agent.receive(notify(tag: tag, cseq: 2, body: body), from: sippEndpoint, now: ms(200))
        #expect(actions.statuses == [400])
        #expect(progress(actions).isEmpty && outcomes(actions).isEmpty && actions.ends.isEmpty)
        // The transfer still waits for a real status.
        let ok = agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(300))
        #expect(outcomes(ok) == [.completed(status: 200)])
    }

    @Test func garbageSipfragThatTerminatesTheSubscriptionEndsTheTransfer() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let actions = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 99999 OK\n", state: "terminated"), from: sippEndpoint, now: ms(200))
        #expect(actions.statuses == [400])
        #expect(outcomes(actions) == [.terminatedWithoutResult])
        #expect(agent.activeCallIDs == [callID])
    }

    @Test func sipfragStatusLines() {
        func status(_ text: String) -> Int? { SIPUserAgent.sipfragStatus(Array(text.utf8)) }
        #expect(status("SIP/2.0 100 Trying\r\n") == 100)
        #expect(status("SIP/2.0 200 OK") == 200)
        #expect(status("sip/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n") == 486)
        #expect(status("\r\nSIP/2.0 603 Declined\r\n") == 603)
        #expect(status("SIP/2.0 180") == 180)
        #expect(status("SIP/2.0 18") == nil)
        #expect(status("SIP/2.0 1800 Ringing") == nil)
        #expect(status("SIP/2.0 099 X") == nil)
        #expect(status("") == nil)
    }

    @Test func notifyWithoutOrWithAnotherEventGets489() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let none = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 200 OK\n", event: nil), from: sippEndpoint, now: ms(200))
        #expect(none.statuses == [489])
        #expect(none.sentMessages.first?.headers["Allow-Events"] == "refer")
        #expect(progress(none).isEmpty && outcomes(none).isEmpty)
        let presence = agent.receive(notify(tag: tag, cseq: 3, body: "SIP/2.0 200 OK\n", event: "presence"), from: sippEndpoint, now: ms(210))
        #expect(presence.statuses == [489])
        // `Event: refer` with the REFER's CSeq as id is the subscription; another id is not.
        let otherID = agent.receive(notify(tag: tag, cseq: 4, body: "SIP/2.0 200 OK\n", event: "refer;id=99"), from: sippEndpoint, now: ms(220))
        #expect(otherID.statuses == [481])
        let compact = datagram("""
        NOTIFY sip:switchboard@127.0.0.1:5060 SIP/2.0
        v: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-compact
        f: <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        t: <sip:service@127.0.0.1:5060>;tag=\(tag)
        i: \(callID)
        CSeq: 5 NOTIFY
        o: refer;id=2
        Subscription-State: terminated
        c: message/sipfrag
        l: {len}
        """, body: "SIP/2.0 200 OK\n")
        let done = agent.receive(compact, from: sippEndpoint, now: ms(230))
        #expect(done.statuses == [200])
        #expect(outcomes(done) == [.completed(status: 200)])
    }

    @Test func notifyOutsideATransferGets481() throws {
        var (agent, tag) = try established()
        // Unknown dialog.
        #expect(agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 200 OK\n", callID: "other@127.0.0.1"),
                              from: sippEndpoint, now: ms(100)).statuses == [481])
        // Known Call-ID, wrong tags.
        #expect(agent.receive(notify(tag: "wrong", cseq: 3, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(110)).statuses == [481])
        #expect(agent.receive(notify(tag: tag, cseq: 4, body: "SIP/2.0 200 OK\n", fromTag: "stranger"), from: sippEndpoint, now: ms(120)).statuses == [481])
        // The dialog, but no REFER was sent: no subscription.
        let stray = agent.receive(notify(tag: tag, cseq: 5, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(130))
        #expect(stray.statuses == [481])
        #expect(stray.ends.isEmpty && agent.activeCallIDs == [callID])
    }

    @Test func notifyWithAnotherBodyTypeOrAnOldCSeqIsRefused() throws {
        var (agent, tag, refer) = try referred()
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        let html = agent.receive(notify(tag: tag, cseq: 2, body: "SIP/2.0 200 OK\n", contentType: "text/html"), from: sippEndpoint, now: ms(200))
        #expect(html.statuses == [415])
        #expect(html.sentMessages.first?.headers["Accept"] == "message/sipfrag")
        #expect(outcomes(html).isEmpty)
        // CSeq not above the INVITE's (1): out of order.
        let old = agent.receive(notify(tag: tag, cseq: 1, body: "SIP/2.0 200 OK\n"), from: sippEndpoint, now: ms(210))
        #expect(old.statuses == [500])
        #expect(outcomes(old).isEmpty)
    }

    @Test func randomNotifyBodiesNeverTrap() throws {
        var random = SplitMix64(seed: 0x4EF3_0001)
        var (agent, tag, refer) = try referred(referTimeout: .seconds(3600))
        _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
        var mutator = Mutator(random: random)
        for round in 0..<2000 {
            let seed = ["SIP/2.0 100 Trying\r\n", "SIP/2.0 180 Ringing\r\n", "SIP/2.0 99999 X\r\n", "garbage"][round % 4]
            var body = mutator.mutate(seed)
            if round % 7 == 0 { body = (0..<Int.random(in: 0..<64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } }
            var head = Array(String(decoding: notify(tag: tag, cseq: round + 2, body: nil), as: UTF8.self)
                .replacing("Content-Length: 0", with: "Content-Type: message/sipfrag\r\nContent-Length: \(body.count)").utf8)
            head += body
            let actions = agent.receive(head, from: sippEndpoint, now: ms(200 + round))
            for status in actions.statuses { #expect([200, 400].contains(status)) }
            for status in progress(actions) { #expect((100...699).contains(status)) }
            if !outcomes(actions).isEmpty {
                // A mutation made a final status: start again.
                (agent, tag, refer) = try referred(referTimeout: .seconds(3600))
                _ = agent.receive(answer(refer, 202, "Accepted"), from: sippEndpoint, now: ms(150))
            }
        }
    }
}
