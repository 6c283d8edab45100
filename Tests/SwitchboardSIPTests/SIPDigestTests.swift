import Synchronization
import SwitchboardTesting
import Testing
@testable import SwitchboardSIP

/// A wall clock the tests move by hand.
final class TestWallClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
    var read: @Sendable () -> Int64 { { self.now } }
}

/// An untrusted caller's INVITE, with the headers a test wants to vary.
func untrustedInvite(callID: String = "auth-call-1", branch: String = "z9hG4bK-auth-1", cseq: Int = 1,
                     from: String = "<sip:+15550001111@203.0.113.7>", pAssertedIdentity: String? = nil,
                     authorization: String? = nil, host: String = "203.0.113.7") -> [UInt8] {
    var extra = ""
    if let pAssertedIdentity { extra += "P-Asserted-Identity: \(pAssertedIdentity)\n" }
    if let authorization { extra += "Authorization: \(authorization)\n" }
    return datagram("""
    INVITE sip:agent@198.51.100.1:5060 SIP/2.0
    Via: SIP/2.0/UDP \(host):5060;branch=\(branch);rport
    From: \(from);tag=caller-tag
    To: <sip:agent@198.51.100.1:5060>
    Call-ID: \(callID)
    CSeq: \(cseq) INVITE
    Contact: <sip:caller@\(host):5060>
    Max-Forwards: 70
    \(extra)Content-Type: application/sdp
    Content-Length: {len}
    """, body: Fixture.sippSDP.replacing("127.0.0.1", with: host))
}

/// The `Authorization` value a client computes for a challenge (RFC 7616 §3.4).
func digestAuthorization(challenge: String, user: String, password: String, uri: String = "sip:agent@198.51.100.1:5060",
                         nonceCount: String = "00000001", cnonce: String = "0a4f113b", method: String = "INVITE") -> String {
    let parsed = SIPDigestCredentials(parsing: challenge)!
    let realm = parsed.realm!, nonce = parsed.nonce!
    let algorithm = SIPDigest.Algorithm(name: parsed.algorithmName)!
    let ha1 = SIPDigest.ha1(username: user, realm: realm, password: password, algorithm: algorithm)
    let response = SIPDigest.response(ha1: ha1, nonce: nonce, nonceCount: nonceCount, cnonce: cnonce, method: method,
                                      uri: uri, algorithm: algorithm)
    return "Digest username=\"\(user)\", realm=\"\(realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", response=\"\(response)\", "
        + "algorithm=\(algorithm.rawValue), cnonce=\"\(cnonce)\", qop=auth, nc=\(nonceCount)"
}

@Suite struct SIPDigestTests {
    let now = ContinuousClock.now
    let untrusted = SIPEndpoint(host: "203.0.113.7", port: 5060)
    let users = SIPDigestUsers([
        SIPDigestUsers.User(name: "alice", password: "correct horse", number: "+15551230001"),
        SIPDigestUsers.User(name: "bob", ha1: SIPDigest.ha1(username: "bob", realm: "hub.example", password: "battery", algorithm: .md5),
                            number: "+15551230002"),
    ])

    func makeAgent(clock: TestWallClock, users: SIPDigestUsers? = nil, lifetime: Int64 = 300) -> SIPUserAgent {
        let authentication = SIPAuthentication(trusted: .loopback, realm: "hub.example", users: users ?? self.users,
                                               secret: Array("users file bytes".utf8), nonceLifetime: lifetime, wallClock: clock.read)
        return SIPUserAgent(configuration: .init(localHost: "198.51.100.1", localPort: 5060), authentication: authentication)
    }

    /// Sends an unauthenticated INVITE and returns the 401's challenges, by algorithm.
    func challenges(_ agent: inout SIPUserAgent, callID: String = "auth-call-1") throws -> [SIPDigest.Algorithm: String] {
        let actions = agent.receive(untrustedInvite(callID: callID, branch: "z9hG4bK-\(callID)-1"), from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(actions.offers.isEmpty)
        let response = try #require(actions.sentMessages.first)
        var result: [SIPDigest.Algorithm: String] = [:]
        for value in response.headers.values("WWW-Authenticate") {
            let credentials = try #require(SIPDigestCredentials(parsing: value))
            let algorithm = try #require(SIPDigest.Algorithm(name: credentials.algorithmName))
            result[algorithm] = value
        }
        return result
    }

    // MARK: - The computation: RFC example vectors

    @Test func rfc2617ExampleResponse() {
        // RFC 2617 §3.5.
        let ha1 = SIPDigest.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", algorithm: .md5)
        #expect(ha1 == "939e7578ed9e3c518a452acee763bce9")
        let response = SIPDigest.response(ha1: ha1, nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", nonceCount: "00000001",
                                          cnonce: "0a4f113b", method: "GET", uri: "/dir/index.html", algorithm: .md5)
        #expect(response == "6629fae49393a05397450978507c4ef1")
    }

    @Test func rfc7616ExampleResponsesForMD5AndSHA256() {
        // RFC 7616 §3.9.1.
        let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
        func response(_ algorithm: SIPDigest.Algorithm) -> String {
            let ha1 = SIPDigest.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life", algorithm: algorithm)
            return SIPDigest.response(ha1: ha1, nonce: nonce, nonceCount: "00000001", cnonce: cnonce, method: "GET",
                                      uri: "/dir/index.html", algorithm: algorithm)
        }
        #expect(response(.md5) == "8ca523f5e9506fed4657c9700eebdbec")
        #expect(response(.sha256) == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    @Test func credentialsParseQuotedAndTokenValues() throws {
        let credentials = try #require(SIPDigestCredentials(parsing:
            #"Digest username="Mufasa", realm="a, \"b\"", nonce="n", uri="sip:x@y", response="r", algorithm=SHA-256, cnonce="c", qop=auth, nc=00000001"#))
        #expect(credentials.username == "Mufasa")
        #expect(credentials.realm == #"a, "b""#)
        #expect(credentials.algorithmName == "SHA-256")
        #expect(credentials.qop == "auth")
        #expect(credentials.nonceCount == "00000001")
        #expect(SIPDigestCredentials(parsing: "Basic QWxhZGRpbjpvcGVu") == nil)
        #expect(SIPDigestCredentials(parsing: #"Digest username="a", username="b""#) == nil)
        #expect(SIPDigestCredentials(parsing: #"Digest username="unterminated"#) == nil)
        #expect(SIPDigestCredentials(parsing: "Digest username")?.username == nil)
    }

    @Test func noncesVerifyOnlyWithTheSameKeyAndRealm() throws {
        let signer = SIPNonceSigner(secret: Array("k".utf8), realm: "hub.example")
        let nonce = signer.make(time: 1_700_000_000)
        #expect(nonce.count == 64)
        #expect(signer.issueTime(of: nonce) == 1_700_000_000)
        // Another replica with the same secret accepts it.
        #expect(SIPNonceSigner(secret: Array("k".utf8), realm: "hub.example").issueTime(of: nonce) == 1_700_000_000)
        #expect(SIPNonceSigner(secret: Array("other".utf8), realm: "hub.example").issueTime(of: nonce) == nil)
        #expect(SIPNonceSigner(secret: Array("k".utf8), realm: "elsewhere").issueTime(of: nonce) == nil)
        // A changed time (forging a fresh nonce) breaks the signature.
        var bytes = Array(nonce.utf8)
        bytes[15] = bytes[15] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(signer.issueTime(of: String(decoding: bytes, as: UTF8.self)) == nil)
        #expect(signer.issueTime(of: "not a nonce") == nil)
    }

    // MARK: - Users file

    @Test func usersFileReadsPasswordsHA1sAndComments() throws {
        let md5 = SIPDigest.ha1(username: "bob", realm: "r", password: "pw", algorithm: .md5)
        let sha = SIPDigest.ha1(username: "carol", realm: "r", password: "pw", algorithm: .sha256)
        let text = """
        # Switchboard SIP users
        alice:pass:with:colons:+15551230001

        bob:ha1:\(md5.uppercased()):+15551230002
          carol:ha1:\(sha):+15551230003\r
        """
        let users = try SIPDigestUsers(parsing: text, file: "users.txt")
        #expect(users["alice"]?.number == "+15551230001")
        #expect(users["alice"]?.ha1(realm: "r", algorithm: .md5)
            == SIPDigest.ha1(username: "alice", realm: "r", password: "pass:with:colons", algorithm: .md5))
        #expect(users["bob"]?.ha1(realm: "r", algorithm: .md5) == md5)
        #expect(users["bob"]?.ha1(realm: "r", algorithm: .sha256) == nil)
        #expect(users["carol"]?.ha1(realm: "r", algorithm: .sha256) == sha)
        #expect(users["dave"] == nil)
    }

    @Test(arguments: [
        ("alice:pw:+15551230001\nnonsense\n", "users.txt:2: expected user:password:+E164number or user:ha1:HEX:+E164number"),
        ("alice:pw:15551230001", "users.txt:1: '15551230001' is not an E.164 number (+ then 7-15 digits, the first not 0)"),
        ("alice:pw:+1 555 123", "users.txt:1: '+1 555 123' is not an E.164 number (+ then 7-15 digits, the first not 0)"),
        ("#c\nalice:pw:+15551230001\nalice:x:+15551230002", "users.txt:3: user 'alice' is already listed on line 2"),
        ("bob:ha1:abc:+15551230002", "users.txt:1: ha1: must be followed by 32 (MD5) or 64 (SHA-256) hex digits"),
        (":pw:+15551230001", "users.txt:1: the user name is empty"),
        ("alice::+15551230001", "users.txt:1: the password for 'alice' is empty"),
        ("al ice:pw:+15551230001", "users.txt:1: user name 'al ice' may only hold printable ASCII without spaces, quotes or backslashes"),
        ("# nobody\n", "users.txt: no users (expected lines user:password:+E164number)"),
    ])
    func usersFileErrorsNameFileAndLine(text: String, message: String) {
        #expect(throws: SIPUsersFileError(message)) { try SIPDigestUsers(parsing: text, file: "users.txt") }
    }

    // MARK: - The user agent

    @Test func untrustedInviteWithoutCredentialsIsChallengedWithMD5ThenSHA256() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let actions = agent.receive(untrustedInvite(), from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(actions.offers.isEmpty)
        #expect(agent.activeCallIDs.isEmpty)
        let response = try #require(actions.sentMessages.first)
        #expect(response.reasonPhrase == "Unauthorized")
        let values = response.headers.values("WWW-Authenticate")
        #expect(values.count == 2)
        let nonce = try #require(SIPDigestCredentials(parsing: values[0])?.nonce)
        #expect(values == [
            "Digest realm=\"hub.example\", nonce=\"\(nonce)\", algorithm=MD5, qop=\"auth\"",
            "Digest realm=\"hub.example\", nonce=\"\(nonce)\", algorithm=SHA-256, qop=\"auth\"",
        ])
        #expect(agent.statistics.authChallenged == 1)
        // The 401 is a final response of an INVITE server transaction: a retransmitted INVITE
        // gets it again, and the ACK is absorbed.
        #expect(agent.receive(untrustedInvite(), from: untrusted, now: now).statuses == [401])
        #expect(agent.statistics.authChallenged == 1)
    }

    @Test(arguments: [SIPDigest.Algorithm.sha256, .md5])
    func rightPasswordGetsACallFromTheUsersNumberWhateverFromAndPAISay(algorithm: SIPDigest.Algorithm) throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let offered = try challenges(&agent)
        let challenge = try #require(offered[algorithm])
        let authorization = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse")
        // From and P-Asserted-Identity claim someone else's number: both are ignored.
        let actions = agent.receive(untrustedInvite(branch: "z9hG4bK-auth-2", cseq: 2, from: "<sip:+15559990000@203.0.113.7>",
                                                    pAssertedIdentity: "<sip:+15558880000@carrier.example>",
                                                    authorization: authorization),
                                    from: untrusted, now: now)
        #expect(actions.statuses == [100, 180])
        let offer = try #require(actions.offers.first)
        #expect(offer.callerNumber == "+15551230001")
        #expect(offer.callerProof == .digest(user: "alice"))
        #expect(offer.callerVerified)
        #expect(agent.statistics.authAccepted == 1)
    }

    @Test func storedHA1AuthenticatesWithItsAlgorithmOnly() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let offered = try challenges(&agent)
        let md5 = digestAuthorization(challenge: try #require(offered[.md5]), user: "bob", password: "battery")
        let sha = digestAuthorization(challenge: try #require(offered[.sha256]), user: "bob", password: "battery")
        #expect(agent.receive(untrustedInvite(branch: "z9hG4bK-b2", cseq: 2, authorization: sha), from: untrusted, now: now).statuses == [401])
        let actions = agent.receive(untrustedInvite(branch: "z9hG4bK-b3", cseq: 3, authorization: md5), from: untrusted, now: now)
        #expect(actions.offers.first?.callerNumber == "+15551230002")
    }

    @Test func wrongPasswordOrUnknownUserGets401AndNoCall() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let offered = try challenges(&agent)
        let challenge = try #require(offered[.sha256])
        let wrong = digestAuthorization(challenge: challenge, user: "alice", password: "incorrect horse")
        let actions = agent.receive(untrustedInvite(branch: "z9hG4bK-w2", cseq: 2, authorization: wrong), from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(actions.offers.isEmpty)
        let unknown = digestAuthorization(challenge: challenge, user: "mallory", password: "correct horse")
        #expect(agent.receive(untrustedInvite(branch: "z9hG4bK-w3", cseq: 3, authorization: unknown), from: untrusted, now: now).offers.isEmpty)
        // Right password but the digest was made for another Request-URI.
        let otherURI = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse", uri: "sip:other@198.51.100.1")
        #expect(agent.receive(untrustedInvite(branch: "z9hG4bK-w4", cseq: 4, authorization: otherURI), from: untrusted, now: now).statuses == [401])
        // No qop (RFC 2069 style) is refused.
        let noQop = wrong.replacing(", qop=auth", with: "")
        #expect(agent.receive(untrustedInvite(branch: "z9hG4bK-w5", cseq: 5, authorization: noQop), from: untrusted, now: now).statuses == [401])
        #expect(agent.activeCallIDs.isEmpty)
        #expect(agent.statistics.authFailed == 4)
        #expect(agent.statistics.authAccepted == 0)
    }

    @Test func nonceFromAnotherKeyIsRefusedEvenWithTheRightPassword() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let forged = SIPNonceSigner(secret: Array("attacker".utf8), realm: "hub.example").make(time: clock.now)
        let challenge = SIPDigest.challenge(realm: "hub.example", nonce: forged, algorithm: .md5, stale: false)
        let authorization = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse")
        let actions = agent.receive(untrustedInvite(authorization: authorization), from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(agent.statistics.authFailed == 1)
    }

    @Test func staleNonceGets401WithStaleTrueAndANewNonceWorks() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock, lifetime: 60)
        let offered = try challenges(&agent)
        let challenge = try #require(offered[.sha256])
        clock.advance(61)
        let late = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse")
        let actions = agent.receive(untrustedInvite(branch: "z9hG4bK-s2", cseq: 2, authorization: late), from: untrusted, now: now)
        #expect(actions.statuses == [401])
        #expect(actions.offers.isEmpty)
        let values = try #require(actions.sentMessages.first).headers.values("WWW-Authenticate")
        #expect(values.allSatisfy { $0.hasSuffix(", stale=true") })
        #expect(agent.statistics.authStale == 1)
        // A wrong password on an old nonce is a failure, not stale.
        let wrong = digestAuthorization(challenge: challenge, user: "alice", password: "nope")
        let failed = agent.receive(untrustedInvite(branch: "z9hG4bK-s3", cseq: 3, authorization: wrong), from: untrusted, now: now)
        #expect(try #require(failed.sentMessages.first).headers.values("WWW-Authenticate").allSatisfy { !$0.contains("stale") })
        // The fresh nonce from the stale answer works.
        let fresh = digestAuthorization(challenge: values[0], user: "alice", password: "correct horse")
        let accepted = agent.receive(untrustedInvite(branch: "z9hG4bK-s4", cseq: 4, authorization: fresh), from: untrusted, now: now)
        #expect(accepted.offers.first?.callerNumber == "+15551230001")
    }

    @Test func replayedNonceCountIsRefused() throws {
        let clock = TestWallClock(1_700_000_000)
        var agent = makeAgent(clock: clock)
        let offered = try challenges(&agent)
        let challenge = try #require(offered[.md5])
        let first = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse")
        #expect(agent.receive(untrustedInvite(callID: "c1", branch: "z9hG4bK-r1", authorization: first), from: untrusted, now: now).offers.count == 1)
        // The same Authorization on a new INVITE (a captured request replayed): refused.
        let replay = agent.receive(untrustedInvite(callID: "c2", branch: "z9hG4bK-r2", authorization: first), from: untrusted, now: now)
        #expect(replay.statuses == [401])
        #expect(replay.offers.isEmpty)
        #expect(agent.statistics.authReplayed == 1)
        // A lower count too; the next count is fine (a client reusing its nonce).
        let next = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse", nonceCount: "00000002")
        #expect(agent.receive(untrustedInvite(callID: "c3", branch: "z9hG4bK-r3", authorization: next), from: untrusted, now: now).offers.count == 1)
        let lower = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse", nonceCount: "00000001", cnonce: "zz")
        #expect(agent.receive(untrustedInvite(callID: "c4", branch: "z9hG4bK-r4", authorization: lower), from: untrusted, now: now).statuses == [401])
        #expect(agent.statistics.authReplayed == 2)
    }

    @Test func anotherReplicaWithTheSameUsersFileAcceptsTheNonce() throws {
        let clock = TestWallClock(1_700_000_000)
        var first = makeAgent(clock: clock)
        var second = makeAgent(clock: clock)
        let offered = try challenges(&first)
        let challenge = try #require(offered[.sha256])
        let authorization = digestAuthorization(challenge: challenge, user: "alice", password: "correct horse")
        let actions = second.receive(untrustedInvite(branch: "z9hG4bK-x2", cseq: 2, authorization: authorization), from: untrusted, now: now)
        #expect(actions.offers.first?.callerNumber == "+15551230001")
    }

    @Test func mutatedAuthorizationHeadersNeverTrapAndNeverProveAnotherNumber() throws {
        var mutator = Mutator(random: SplitMix64(seed: 0x5EED_A117))
        let clock = TestWallClock(1_700_000_000)
        var probe = makeAgent(clock: clock)
        let offered = try challenges(&probe)
        let valid = digestAuthorization(challenge: try #require(offered[.md5]), user: "alice", password: "correct horse")
        for round in 0..<1500 {
            var agent = makeAgent(clock: clock)
            let mutated = String(decoding: mutator.mutate(valid), as: UTF8.self)
                .replacing("\r", with: "").replacing("\n", with: "")
            let actions = agent.receive(untrustedInvite(callID: "m\(round)", branch: "z9hG4bK-m\(round)", authorization: mutated),
                                        from: untrusted, now: now)
            // Either challenged (or the INVITE is broken: 400) or, for a harmless mutation, alice's call.
            #expect(actions.statuses == [401] || actions.statuses == [400] || actions.statuses == [100, 180],
                    "\(mutated) -> \(actions.statuses)")
            for offer in actions.offers {
                #expect(offer.callerNumber == "+15551230001" && offer.callerProof == .digest(user: "alice"))
            }
        }
    }
}
