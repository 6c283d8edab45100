import Testing
@testable import SwitchboardSIP

@Suite struct SIPTrustTests {
    let now = ContinuousClock.now
    let untrusted = SIPEndpoint(host: "203.0.113.7", port: 5060)

    func makeAgent(trusted: [String] = ["127.0.0.0/8", "::1"], users: SIPDigestUsers? = nil,
                   invitesPerSecond: Double? = nil) throws -> SIPUserAgent {
        let authentication = SIPAuthentication(trusted: try SIPTrustedNetworks(parsing: trusted), realm: "hub.example", users: users,
                                               secret: Array("s".utf8), wallClock: { 1_700_000_000 })
        return SIPUserAgent(configuration: .init(localHost: "198.51.100.1", localPort: 5060, invitesPerSecond: invitesPerSecond),
                            authentication: authentication)
    }

    // MARK: - Prefixes

    @Test(arguments: [
        ("127.0.0.0/8", "127.0.0.1", true), ("127.0.0.0/8", "127.255.1.2", true), ("127.0.0.0/8", "128.0.0.1", false),
        ("10.1.2.3/8", "10.200.0.1", true), ("192.0.2.7", "192.0.2.7", true), ("192.0.2.7", "192.0.2.8", false),
        ("192.0.2.0/25", "192.0.2.127", true), ("192.0.2.0/25", "192.0.2.128", false), ("0.0.0.0/0", "203.0.113.9", true),
        ("::1", "::1", true), ("::1", "::2", false), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("2001:db8:0:0:0:0:0:1", "2001:db8::1", true),
        ("fe80::/10", "fe80::1%eth0", true), ("[2001:db8::1]", "2001:db8::1", true),
        // IPv4-mapped IPv6 sources match IPv4 prefixes (a dual-stack socket reports them so).
        ("127.0.0.0/8", "::ffff:127.0.0.1", true), ("10.0.0.0/8", "::ffff:11.0.0.1", false),
        // IPv4 prefixes never match IPv6 addresses and the other way round.
        ("0.0.0.0/0", "2001:db8::1", false), ("::/0", "192.0.2.1", false),
        // Host names are never trusted.
        ("127.0.0.0/8", "localhost", false),
    ])
    func prefixMatching(prefix: String, host: String, expected: Bool) throws {
        #expect(try SIPTrustedNetworks(parsing: [prefix]).contains(host: host) == expected)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.256", "1.2.3.4/-1", "1.2.3.4/", "example.com", "2001:db8:::1",
                      "1:2:3:4:5:6:7:8:9", "::1::", "010.0.0.1x", "", "1.2.3.4/8/8"])
    func badPrefixesAreRefused(entry: String) {
        #expect(throws: SIPTrustError.self) { try SIPTrustedNetworks(parsing: [entry]) }
    }

    @Test func loopbackDefaultTrustsOnlyThisMachine() {
        #expect(SIPTrustedNetworks.loopback.contains(host: "127.0.0.1"))
        #expect(SIPTrustedNetworks.loopback.contains(host: "::1"))
        #expect(!SIPTrustedNetworks.loopback.contains(host: "10.0.0.1"))
        #expect(!SIPTrustedNetworks.loopback.contains(host: "::2"))
    }

    // MARK: - Admission

    @Test func trustedPeerIsAcceptedAndItsPAssertedIdentityBelieved() throws {
        var agent = try makeAgent(trusted: ["203.0.113.0/24"])
        let actions = agent.receive(untrustedInvite(from: "<sip:+15559990000@203.0.113.7>", pAssertedIdentity: "<tel:+15551112222>"),
                                    from: untrusted, now: now)
        #expect(actions.statuses == [100, 180])
        let offer = try #require(actions.offers.first)
        #expect(offer.callerNumber == "+15551112222")
        #expect(offer.callerProof == .trustedPeer)
        #expect(offer.callerVerified)
        #expect(agent.statistics.authChallenged == 0)
    }

    @Test func spoofedFromFromAnUntrustedAddressIsChallengedNotAccepted() throws {
        let users = SIPDigestUsers([SIPDigestUsers.User(name: "alice", password: "pw", number: "+15551230001")])
        var agent = try makeAgent(users: users)
        // Claims a number (in From and P-Asserted-Identity) without credentials.
        let actions = agent.receive(untrustedInvite(from: "<sip:+15550200001@203.0.113.7>", pAssertedIdentity: "<sip:+15550200001@x>"),
                                    from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(actions.offers.isEmpty)
        #expect(agent.activeCallIDs.isEmpty)
    }

    @Test func withoutUsersUntrustedInvitesGet403() throws {
        var agent = try makeAgent(trusted: ["10.255.255.255/32"])
        let actions = agent.receive(untrustedInvite(), from: untrusted, now: now)
        #expect(actions.statuses == [403])
        #expect(actions.sentMessages.first?.reasonPhrase == "Forbidden (Untrusted Address)")
        #expect(actions.sentMessages.first?.headers["WWW-Authenticate"] == nil)
        #expect(actions.offers.isEmpty)
        #expect(agent.statistics.authForbidden == 1)
        // Loopback is not trusted either once --sip-trust names something else.
        let local = SIPEndpoint(host: "127.0.0.1", port: 5061)
        #expect(agent.receive(untrustedInvite(callID: "l", branch: "z9hG4bK-l", host: "127.0.0.1"), from: local, now: now).statuses == [403])
    }

    @Test func rateLimitComesBeforeTheChallenge() throws {
        var agent = try makeAgent(users: SIPDigestUsers([SIPDigestUsers.User(name: "a", password: "p", number: "+15551230001")]),
                                  invitesPerSecond: 1)
        var statuses: [Int] = []
        for index in 0..<4 {
            statuses += agent.receive(untrustedInvite(callID: "f\(index)", branch: "z9hG4bK-f\(index)"), from: untrusted, now: now).statuses
        }
        // A burst of two (twice the rate), then stateless 503s: no challenge per flood datagram.
        #expect(statuses == [401, 401, 503, 503])
        #expect(agent.statistics.refusedInviteRate == 2)
        #expect(agent.statistics.authChallenged == 2)
    }

    @Test func optionsFromAnUntrustedAddressIsAnsweredWithoutAuthentication() throws {
        var agent = try makeAgent(trusted: ["10.255.255.255/32"])
        let options = datagram("""
        OPTIONS sip:agent@198.51.100.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-opt
        From: <sip:probe@203.0.113.7>;tag=p
        To: <sip:agent@198.51.100.1:5060>
        Call-ID: opt-1
        CSeq: 1 OPTIONS
        Max-Forwards: 70
        Content-Length: 0
        """)
        #expect(agent.receive(options, from: untrusted, now: now).statuses == [200])
    }

    @Test func ackAndByeInAnAuthenticatedDialogAreNotChallenged() throws {
        let users = SIPDigestUsers([SIPDigestUsers.User(name: "alice", password: "pw", number: "+15551230001")])
        var agent = try makeAgent(users: users)
        let first = agent.receive(untrustedInvite(), from: untrusted, now: now)
        let challenge = try #require(first.sentMessages.first?.headers["WWW-Authenticate"])
        let toTagOf401 = try #require(first.sentMessages.first?.to?.tag)
        // The ACK for the 401 is absorbed by its transaction.
        let ack401 = datagram("""
        ACK sip:agent@198.51.100.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-auth-1;rport
        From: <sip:+15550001111@203.0.113.7>;tag=caller-tag
        To: <sip:agent@198.51.100.1:5060>;tag=\(toTagOf401)
        Call-ID: auth-call-1
        CSeq: 1 ACK
        Max-Forwards: 70
        Content-Length: 0
        """)
        #expect(agent.receive(ack401, from: untrusted, now: now).isEmpty)
        let authorization = digestAuthorization(challenge: challenge, user: "alice", password: "pw")
        let invite = agent.receive(untrustedInvite(branch: "z9hG4bK-auth-2", cseq: 2, authorization: authorization), from: untrusted, now: now)
        let tag = try #require(invite.sentMessages.last?.to?.tag)
        let ok = agent.accept(callID: "auth-call-1", rtp: SIPEndpoint(host: "198.51.100.1", port: 40000), now: now)
        #expect(ok.statuses == [200])
        func inDialog(_ method: String, branch: String, cseq: Int) -> [UInt8] {
            datagram("""
            \(method) sip:switchboard@198.51.100.1:5060 SIP/2.0
            Via: SIP/2.0/UDP 203.0.113.7:5060;branch=\(branch);rport
            From: <sip:+15550001111@203.0.113.7>;tag=caller-tag
            To: <sip:agent@198.51.100.1:5060>;tag=\(tag)
            Call-ID: auth-call-1
            CSeq: \(cseq) \(method)
            Max-Forwards: 70
            Content-Length: 0
            """)
        }
        #expect(agent.receive(inDialog("ACK", branch: "z9hG4bK-ack2", cseq: 2), from: untrusted, now: now).isEmpty)
        let bye = agent.receive(inDialog("BYE", branch: "z9hG4bK-bye", cseq: 3), from: untrusted, now: now)
        #expect(bye.statuses == [200])
        #expect(bye.ends == [.remoteHangUp])
        #expect(agent.statistics.authChallenged == 1)
        #expect(agent.statistics.authAccepted == 1)
    }
}
