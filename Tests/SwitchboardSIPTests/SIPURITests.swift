import Testing
@testable import SwitchboardSIP

@Suite struct SIPURITests {
    @Test func parsesSIPURIWithEverything() throws {
        let uri = try SIPURI(parsing: "sip:alice:secret@Example.COM:5070;transport=udp;lr?subject=hi")
        #expect(uri.scheme == "sip")
        #expect(uri.user == "alice")
        #expect(uri.password == "secret")
        #expect(uri.host == "Example.COM")
        #expect(uri.port == 5070)
        #expect(uri.parameters["transport"] == "udp")
        #expect(uri.parameters.contains("lr"))
        #expect(uri.headers == "subject=hi")
        #expect(uri.description == "sip:alice:secret@Example.COM:5070;transport=udp;lr?subject=hi")
    }

    @Test func parsesSIPSAndIPv6AndNoUser() throws {
        let secure = try SIPURI(parsing: "SIPS:bob@[2001:db8::1]:5061")
        #expect(secure.scheme == "sips")
        #expect(secure.host == "2001:db8::1")
        #expect(secure.port == 5061)
        #expect(secure.description == "sips:bob@[2001:db8::1]:5061")
        let hostOnly = try SIPURI(parsing: "sip:10.0.0.1")
        #expect(hostOnly.user == nil)
        #expect(hostOnly.host == "10.0.0.1")
    }

    @Test func parsesTelURI() throws {
        let uri = try SIPURI(parsing: "tel:+1-555-123-4567;phone-context=example.com")
        #expect(uri.scheme == "tel")
        #expect(uri.user == "+1-555-123-4567")
        #expect(uri.parameters["phone-context"] == "example.com")
    }

    @Test(arguments: ["http://x", "sip:", "sip:a@", "sip:a@host:99999", "sip:a@host:abc", "nocolon", "sip:a@[::1", "tel:"])
    func rejectsBadURIs(_ text: String) {
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: text) }
    }

    @Test func percentDecodesUser() throws {
        #expect(try SIPURI(parsing: "sip:%2B15551234567@h").user == "+15551234567")
    }
}

@Suite struct CallerNumberTests {
    private func invite(from: String, pai: String? = nil) throws -> SIPMessage {
        var head = "INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: \(from)"
        if let pai { head += "\nP-Asserted-Identity: \(pai)" }
        return try SIPMessage(parsing: datagram(head))
    }

    @Test(arguments: [
        ("<sip:+15551234567@h>;tag=1", "+15551234567"),
        ("<sip:15551234567@h>;tag=1", "+15551234567"),
        ("\"X\" <sip:+1-555-123-4567@h>;tag=1", "+15551234567"),
        ("<sip:+1.555.(123).4567@h;user=phone>;tag=1", "+15551234567"),
        ("<tel:+15551234567>;tag=1", "+15551234567"),
        ("sip:4930123456@h;tag=1", "+4930123456"),
    ])
    func extractsNumbersFromFrom(_ from: String, _ expected: String) throws {
        #expect(callerNumber(of: try invite(from: from)) == expected)
    }

    @Test(arguments: [
        "<sip:sipp@127.0.0.1:5061>;tag=1",
        "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1",
        "<sip:123456@h>;tag=1",
        "<sip:0123456789@h>;tag=1",
        "<sip:+1234567890123456@h>;tag=1",
        "<sip:+1555x1234567@h>;tag=1",
        "<sip:h>;tag=1",
    ])
    func rejectsNonNumbers(_ from: String) throws {
        #expect(callerNumber(of: try invite(from: from)) == nil)
    }

    @Test func prefersPAssertedIdentity() throws {
        let message = try invite(from: "<sip:+15550000000@h>;tag=1", pai: "<sip:+15551112222@carrier>")
        #expect(callerNumber(of: message) == "+15551112222")
    }

    @Test func fallsBackToFromWhenPAssertedIdentityIsNotANumber() throws {
        let message = try invite(from: "<sip:+15550000000@h>;tag=1", pai: "<sip:operator@carrier>")
        #expect(callerNumber(of: message) == "+15550000000")
    }

    @Test func usesSecondPAssertedIdentityTelURI() throws {
        let message = try invite(from: "<sip:anonymous@h>;tag=1", pai: "<sip:user@carrier>, <tel:+44 20 7946 0958>")
        #expect(callerNumber(of: message) == "+442079460958")
    }
}

@Suite struct SIPResponseBuilderTests {
    @Test func copiesHeadersAndAddsToTag() throws {
        let invite = try SIPMessage(parsing: Fixture.sippInvite())
        let response = invite.response(status: 180, reason: "Ringing", toTag: "abc", source: sippEndpoint)
        #expect(response.statusCode == 180)
        #expect(response.headers["Via"] == "SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4242-1-0")
        #expect(response.from == invite.from)
        #expect(response.to?.tag == "abc")
        #expect(response.callID == invite.callID)
        #expect(response.cseq == invite.cseq)
        #expect(response.headers["Contact"] == nil)
    }

    @Test func trying100HasNoToTag() throws {
        let invite = try SIPMessage(parsing: Fixture.sippInvite())
        #expect(invite.response(status: 100, reason: "Trying", toTag: "abc").to?.tag == nil)
    }

    @Test func keepsExistingToTag() throws {
        let bye = try SIPMessage(parsing: Fixture.sippBye(toTag: "mine"))
        #expect(bye.response(status: 200, reason: "OK", toTag: "other").to?.tag == "mine")
    }

    @Test func addsReceivedAndRPortAndRoutesToSource() throws {
        let invite = try SIPMessage(parsing: Fixture.baresipInvite())
        let source = SIPEndpoint(host: "203.0.113.9", port: 32001)
        let response = invite.response(status: 200, reason: "OK", toTag: "t", source: source)
        let via = try #require(response.topVia)
        #expect(via.received == "203.0.113.9")
        #expect(via.rport == 32001)
        #expect(invite.responseDestination(source: source) == source)
    }

    @Test func withoutRPortRespondsToSentByPort() throws {
        let invite = try SIPMessage(parsing: Fixture.sippInvite())
        let source = SIPEndpoint(host: "127.0.0.1", port: 40000)
        let response = invite.response(status: 200, reason: "OK", toTag: "t", source: source)
        #expect(response.topVia?.received == nil)
        #expect(response.topVia?.hasRPort == false)
        #expect(invite.responseDestination(source: source) == SIPEndpoint(host: "127.0.0.1", port: 5061))
    }

    @Test func copiesAllViasInOrder() throws {
        let request = try SIPMessage(parsing: datagram("""
        OPTIONS sip:a@b SIP/2.0
        Via: SIP/2.0/UDP proxy:5060;branch=z9hG4bKp, SIP/2.0/UDP phone:5062;branch=z9hG4bKq
        From: <sip:x@y>;tag=1
        To: <sip:a@b>
        Call-ID: c
        CSeq: 1 OPTIONS
        """))
        let response = request.response(status: 200, reason: "OK", toTag: "t", source: SIPEndpoint(host: "192.0.2.7", port: 5060))
        #expect(response.vias.map(\.host) == ["proxy", "phone"])
        #expect(response.vias.first?.received == "192.0.2.7")
        #expect(response.vias.last?.received == nil)
    }
}
