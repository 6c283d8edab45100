import Testing
@testable import SwitchboardSIP

/// The user agent's limits: each refuses clearly (503 with Retry-After, or a confined media
/// address), is counted, and leaves other calls working.
@Suite struct SIPLimitsTests {
    let now = ContinuousClock.now
    let rtp = SIPEndpoint(host: "127.0.0.1", port: 40000)

    func agent(_ configure: (inout SIPUserAgent.Configuration) -> Void) -> SIPUserAgent {
        var configuration = SIPUserAgent.Configuration(localHost: "127.0.0.1", localPort: 5060)
        configure(&configuration)
        return SIPUserAgent(configuration: configuration)
    }

    func invite(_ n: Int, sdp: String = Fixture.sippSDP) -> [UInt8] {
        Fixture.sippInvite(branch: "z9hG4bK-limit-\(n)", callID: "limit-\(n)@127.0.0.1", sdp: sdp)
    }

    func from(_ host: String) -> SIPEndpoint { SIPEndpoint(host: host, port: 5061) }

    @Test func maxCallsRefusesWith503AndRetryAfterThenAdmitsAgain() throws {
        var ua = agent { $0.maxCalls = 2 }
        #expect(ua.receive(invite(1), from: from("10.0.0.1"), now: now).offers.count == 1)
        #expect(ua.receive(invite(2), from: from("10.0.0.2"), now: now).offers.count == 1)
        #expect(ua.isAtCallLimit)
        let refused = ua.receive(invite(3), from: from("10.0.0.3"), now: now)
        #expect(refused.statuses == [503])
        #expect(refused.offers.isEmpty)
        let response = try #require(refused.sentMessages.first)
        #expect(response.reasonPhrase == "Service Unavailable (Too Many Calls)")
        #expect(response.headers["Retry-After"] == "30")
        #expect(ua.statistics.refusedMaxCalls == 1)
        // One call ends: the next caller gets through.
        _ = ua.reject(callID: "limit-1@127.0.0.1", status: 486, reason: "Busy Here", now: now)
        let admitted = ua.receive(invite(4), from: from("10.0.0.3"), now: now)
        #expect(admitted.offers.count == 1)
        #expect(admitted.statuses == [100, 180])
    }

    @Test func inviteRateLimitPerSourceIP() throws {
        var ua = agent {
            $0.invitesPerSecond = 1
            $0.inviteBurst = 2
        }
        let attacker = from("192.0.2.66")
        #expect(ua.receive(invite(1), from: attacker, now: now).offers.count == 1)
        #expect(ua.receive(invite(2), from: attacker, now: now).offers.count == 1)
        let refused = ua.receive(invite(3), from: attacker, now: now)
        #expect(refused.statuses == [503])
        let response = try #require(refused.sentMessages.first)
        #expect(response.reasonPhrase == "Service Unavailable (Too Many Call Attempts)")
        #expect(response.headers["Retry-After"] == "1")
        #expect(ua.statistics.refusedInviteRate == 1)
        // The refusal keeps no state: a flood of fresh INVITEs leaves the transaction table alone.
        let before = ua.serverTransactions.count
        for n in 10..<200 { _ = ua.receive(invite(n), from: attacker, now: now) }
        #expect(ua.serverTransactions.count == before)
        #expect(ua.statistics.refusedInviteRate == 191)
        // Another source is unaffected.
        #expect(ua.receive(invite(500), from: from("198.51.100.7"), now: now).offers.count == 1)
        // A retransmission of an admitted INVITE costs no token and is answered again.
        #expect(ua.receive(invite(1), from: attacker, now: now).statuses == [180])
        // A second later the source has a token again.
        #expect(ua.receive(invite(501), from: attacker, now: now + .seconds(1)).offers.count == 1)
    }

    @Test func reInvitesAreNotRateLimited() throws {
        var ua = agent {
            $0.invitesPerSecond = 1
            $0.inviteBurst = 1
        }
        let offered = ua.receive(Fixture.sippInvite(), from: sippEndpoint, now: now)
        let tag = try #require(offered.sentMessages.last?.to?.tag)
        _ = ua.accept(callID: "1-4242@127.0.0.1", rtp: rtp, now: now)
        _ = ua.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: now)
        let reInvite = datagram("""
        INVITE sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-re-1
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(tag)
        Call-ID: 1-4242@127.0.0.1
        CSeq: 2 INVITE
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: Fixture.sippSDP)
        #expect(ua.receive(reInvite, from: sippEndpoint, now: now).statuses == [200])
    }

    @Test func inviteBucketTableIsBounded() {
        var ua = agent { $0.invitesPerSecond = 5 }
        for n in 0..<SIPUserAgent.maximumTrackedSources {
            #expect(ua.takeInviteToken(from: "10.\(n >> 16).\((n >> 8) & 255).\(n & 255)", now: now) == nil)
        }
        // Full of sources that are all still active: a new one waits.
        #expect(ua.takeInviteToken(from: "203.0.113.1", now: now) != nil)
        #expect(ua.inviteBuckets.count == SIPUserAgent.maximumTrackedSources)
        // Once they have refilled they are forgotten and a newcomer gets in.
        #expect(ua.takeInviteToken(from: "203.0.113.1", now: now + .seconds(2)) == nil)
        #expect(ua.inviteBuckets.count == 1)
    }

    @Test func transactionTableOverloadGetsStateless503AndRecovers() throws {
        var ua = agent { $0.maxServerTransactions = 3 }
        func options(_ n: Int) -> [UInt8] {
            datagram("""
            OPTIONS sip:service@127.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-o\(n)
            From: <sip:a@127.0.0.1>;tag=1
            To: <sip:b@127.0.0.1>
            Call-ID: o\(n)
            CSeq: 1 OPTIONS
            """)
        }
        for n in 0..<3 { #expect(ua.receive(options(n), from: sippEndpoint, now: now).statuses == [200]) }
        let refused = ua.receive(options(3), from: sippEndpoint, now: now)
        #expect(refused.statuses == [503])
        #expect(refused.sentMessages.first?.headers["Retry-After"] == "5")
        #expect(ua.serverTransactions.count == 3)
        #expect(ua.statistics.refusedOverload == 1)
        // Timer J ends the transactions; requests are answered again.
        _ = ua.tick(now: now + .seconds(33))
        #expect(ua.receive(options(4), from: sippEndpoint, now: now + .seconds(33)).statuses == [200])
    }

    @Test func mediaGoesToTheSignallingSourceNotToAForgedConnectionAddress() throws {
        let forged = Fixture.sippSDP.replacing("c=IN IP4 127.0.0.1", with: "c=IN IP4 203.0.113.7")
        var ua = agent { _ in }
        let offer = try #require(ua.receive(invite(1, sdp: forged), from: from("10.0.0.9"), now: now).offers.first)
        #expect(offer.remoteMedia == SIPEndpoint(host: "10.0.0.9", port: 6000))
        #expect(ua.statistics.mediaAddressesConfined == 1)
        // Configured to trust c=, the SDP address is used.
        var trusting = agent { $0.mediaToAnyAddress = true }
        let trusted = try #require(trusting.receive(invite(1, sdp: forged), from: from("10.0.0.9"), now: now).offers.first)
        #expect(trusted.remoteMedia == SIPEndpoint(host: "203.0.113.7", port: 6000))
        // A hold address is kept: nothing is sent at all.
        let hold = Fixture.sippSDP.replacing("c=IN IP4 127.0.0.1", with: "c=IN IP4 0.0.0.0")
        let held = try #require(ua.receive(invite(2, sdp: hold), from: from("10.0.0.9"), now: now).offers.first)
        #expect(held.remoteMedia.host == "0.0.0.0")
        #expect(!held.media.shouldSend)
    }

    @Test func reInviteCannotMoveMediaToAThirdParty() throws {
        var ua = agent { _ in }
        let offered = ua.receive(Fixture.sippInvite(), from: sippEndpoint, now: now)
        let tag = try #require(offered.sentMessages.last?.to?.tag)
        _ = ua.accept(callID: "1-4242@127.0.0.1", rtp: rtp, now: now)
        _ = ua.receive(Fixture.sippAck(toTag: tag), from: sippEndpoint, now: now)
        let moved = Fixture.sippSDP.replacing("c=IN IP4 127.0.0.1", with: "c=IN IP4 203.0.113.7").replacing("6000", with: "7000")
        let reInvite = datagram("""
        INVITE sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-re-2
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(tag)
        Call-ID: 1-4242@127.0.0.1
        CSeq: 2 INVITE
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: moved)
        let actions = ua.receive(reInvite, from: sippEndpoint, now: now)
        #expect(actions.statuses == [200])
        #expect(ua.media(callID: "1-4242@127.0.0.1")?.remote == SIPEndpoint(host: "127.0.0.1", port: 7000))
    }

    @Test func rtpLatchAcceptsOnlyTheSignallingHostAndThenOnlyItsFirstSource() {
        var latch = RTPSourceLatch<SIPEndpoint>(allowedHost: "10.0.0.9")
        let caller = SIPEndpoint(host: "10.0.0.9", port: 4000)
        #expect(latch.admit(from: SIPEndpoint(host: "192.0.2.1", port: 4000), host: "192.0.2.1", sequence: 1) == .foreign)
        #expect(latch.admit(from: caller, host: "10.0.0.9", sequence: 10) == .latched)
        #expect(latch.admit(from: caller, host: "10.0.0.9", sequence: 11) == .accept)
        // Same IP, another port (another device behind the NAT): refused once latched.
        #expect(latch.admit(from: SIPEndpoint(host: "10.0.0.9", port: 4002), host: "10.0.0.9", sequence: 12) == .foreign)
        latch.reset()
        #expect(latch.admit(from: SIPEndpoint(host: "10.0.0.9", port: 4002), host: "10.0.0.9", sequence: 12) == .latched)
    }

    @Test func rtpLatchFromAnyAddressNeedsAnInSequenceProbation() {
        var latch = RTPSourceLatch<SIPEndpoint>(allowedHost: nil, probation: 3)
        let caller = SIPEndpoint(host: "10.0.0.9", port: 4000)
        let stranger = SIPEndpoint(host: "192.0.2.1", port: 5000)
        #expect(latch.admit(from: stranger, host: stranger.host, sequence: 7) == .learning)
        #expect(latch.admit(from: caller, host: caller.host, sequence: 65534) == .learning)
        #expect(latch.admit(from: caller, host: caller.host, sequence: 65535) == .learning)
        #expect(latch.admit(from: caller, host: caller.host, sequence: 0) == .latched)  // in sequence across the wrap
        #expect(latch.admit(from: stranger, host: stranger.host, sequence: 8) == .foreign)
        #expect(latch.latched == caller)
    }
}

extension SIPLimitsTests {
    @Test func refusedOffersCostNoTokenAndAreStatelessOnceOverRate() throws {
        var ua = agent {
            $0.invitesPerSecond = 1
            $0.inviteBurst = 1
        }
        let bad = Fixture.sippSDP.replacing("RTP/AVP 0", with: "RTP/AVP 300")
        let source = from("192.0.2.7")
        // An offer refused for what it carries (488) takes no token: the next valid call gets in.
        #expect(ua.receive(invite(1, sdp: bad), from: source, now: now).statuses == [488])
        #expect(ua.serverTransactions.count == 1)  // under the rate: an ordinary INVITE transaction (Timer G)
        #expect(ua.receive(invite(2), from: source, now: now).offers.count == 1)
        // Now over the rate: a refused offer is still answered 488, but keeps no transaction to
        // retransmit (a spoofed source cannot turn one datagram into ten responses).
        let before = ua.serverTransactions.count
        #expect(ua.receive(invite(3, sdp: bad), from: source, now: now).statuses == [488])
        #expect(ua.serverTransactions.count == before)
        #expect(ua.receive(invite(4), from: source, now: now).statuses == [503])
        #expect(ua.statistics.notAcceptable == 2)
        #expect(ua.statistics.refusedInviteRate == 1)
    }
}
