import Testing
@testable import SwitchboardSIP

@Suite struct SIPMessageParsingTests {
    @Test func parsesSippInvite() throws {
        let message = try SIPMessage(parsing: Fixture.sippInvite())
        #expect(message.method == "INVITE")
        #expect(message.requestURI?.user == "service")
        #expect(message.requestURI?.port == 5060)
        #expect(message.topVia?.branch == "z9hG4bK-4242-1-0")
        #expect(message.topVia?.host == "127.0.0.1")
        #expect(message.topVia?.port == 5061)
        #expect(message.from?.displayName == "sipp")
        #expect(message.from?.tag == "4242SIPpTag001")
        #expect(message.to?.tag == nil)
        #expect(message.callID == "1-4242@127.0.0.1")
        #expect(message.cseq == SIPCSeq(number: 1, method: "INVITE"))
        #expect(message.contact?.uriText == "sip:sipp@127.0.0.1:5061")
        #expect(message.maxForwards == 70)
        #expect(message.contentType == "application/sdp")
        #expect(message.bodyText.hasPrefix("v=0\r\n"))
        #expect(message.bodyText.hasSuffix("PCMU/8000"))
    }

    @Test func parsesBaresipInviteWithListHeaders() throws {
        let message = try SIPMessage(parsing: Fixture.baresipInvite())
        #expect(message.headers.values("Allow").count == 11)
        #expect(message.headers.values("Supported") == ["replaces", "norefersub"])
        #expect(message.from?.displayName == "Alice Example")
        #expect(message.topVia?.hasRPort == true)
        #expect(message.topVia?.rport == nil)
        #expect(message.requestURI?.parameters["transport"] == "udp")
    }

    @Test func parsesCompactFormsFoldingAndOddWhitespace() throws {
        let bytes = datagram("""
        OPTIONS sip:switchboard@10.0.0.1 SIP/2.0
        v: SIP / 2.0 / UDP  10.0.0.2 : 5070 ; branch = z9hG4bKabc ; rport
        f: "Bob, Jr." <sip:bob@10.0.0.2>;tag=77
        t:<sip:switchboard@10.0.0.1>
        i:   call-1@10.0.0.2
        cseq  :   9   OPTIONS
        subject: first part
          second part
        \tthird part
        k: timer, 100rel
        m: <sip:bob@10.0.0.2:5070>, <sip:bob@192.0.2.1>
        l: 0
        """)
        let message = try SIPMessage(parsing: bytes)
        #expect(message.topVia?.sentBy == "10.0.0.2:5070")
        #expect(message.topVia?.branch == "z9hG4bKabc")
        #expect(message.topVia?.hasRPort == true)
        #expect(message.from?.displayName == "Bob, Jr.")
        #expect(message.from?.tag == "77")
        #expect(message.to?.uriText == "sip:switchboard@10.0.0.1")
        #expect(message.callID == "call-1@10.0.0.2")
        #expect(message.cseq?.number == 9)
        #expect(message.headers["Subject"] == "first part second part third part")
        #expect(message.headers.values("Supported") == ["timer", "100rel"])
        #expect(message.headers.values("Contact").count == 2)
        #expect(message.headers["content-length"] == "0")
        #expect(message.body.isEmpty)
    }

    @Test func headerNamesAreCaseInsensitive() throws {
        let message = try SIPMessage(parsing: datagram("""
        BYE sip:a@b SIP/2.0
        VIA: SIP/2.0/UDP h;branch=z9hG4bK1
        FROM: <sip:x@y>;TAG=1
        call-id: abc
        cSeQ: 2 BYE
        TO: <sip:a@b>;tag=2
        """))
        #expect(message.callID == "abc")
        #expect(message.from?.tag == "1")
        #expect(message.to?.tag == "2")
        #expect(message.topVia?.port == nil)
    }

    @Test func multipleViasInOneHeaderAndSeveralLines() throws {
        let message = try SIPMessage(parsing: datagram("""
        SIP/2.0 200 OK
        Via: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2
        Via: SIP/2.0/UDP c:3;branch=z9hG4bK3
        From: <sip:x@y>;tag=1
        To: <sip:a@b>;tag=2
        Call-ID: abc
        CSeq: 2 BYE
        Content-Length: 0
        """))
        #expect(message.statusCode == 200)
        #expect(message.reasonPhrase == "OK")
        #expect(message.vias.map(\.host) == ["a", "b", "c"])
        #expect(message.topVia?.branch == "z9hG4bK1")
    }

    @Test func bodyWithoutContentLengthIsRestOfDatagram() throws {
        let message = try SIPMessage(parsing: datagram("""
        MESSAGE sip:a@b SIP/2.0
        Via: SIP/2.0/UDP h;branch=z9hG4bK1
        """, body: "hello"))
        #expect(message.bodyText == "hello")
    }

    @Test func contentLengthShorterThanDatagramTruncatesBody() throws {
        let message = try SIPMessage(parsing: datagram("""
        MESSAGE sip:a@b SIP/2.0
        Via: SIP/2.0/UDP h;branch=z9hG4bK1
        Content-Length: 3
        """, body: "hello"))
        #expect(message.bodyText == "hel")
    }

    @Test func contentLengthLongerThanDatagramIsAnErrorWithPartial() {
        let bytes = datagram("""
        INVITE sip:a@b SIP/2.0
        Via: SIP/2.0/UDP h;branch=z9hG4bK1
        Call-ID: x
        Content-Length: 500
        """, body: "short")
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: bytes) }
        do {
            _ = try SIPMessage(parsing: bytes)
        } catch {
            #expect(error.message == "Content-Length exceeds datagram")
            #expect(error.partial?.callID == "x")
        }
    }

    @Test(arguments: ["abc", "-1", "12 13"])
    func invalidContentLengthIsAnError(_ value: String) {
        let bytes = datagram("MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nContent-Length: \(value)", body: "x")
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: bytes) }
    }

    @Test func garbageIsRejected() {
        let cases: [[UInt8]] = [
            [],
            Array("\r\n\r\n".utf8),
            [0x80, 0x00, 0x12, 0x34, 0xFF, 0xFE, 0x00],
            Array("hello world\r\n\r\n".utf8),
            Array("INVITE sip:a@b SIP/3.0\r\n\r\n".utf8),
            Array("SIP/2.0 99 Too Low\r\n\r\n".utf8),
            Array("INVITE  SIP/2.0\r\n\r\n".utf8),
            [0x49, 0x4E, 0x56, 0x20, 0xC3, 0x28, 0x20, 0x53, 0x49, 0x50, 0x2F, 0x32, 0x2E, 0x30, 13, 10, 13, 10],
        ]
        for bytes in cases {
            #expect(throws: SIPParseError.self) { try SIPMessage(parsing: bytes) }
        }
    }

    @Test func malformedHeaderLineKeepsPartialForA400() {
        let bytes = datagram("""
        OPTIONS sip:a@b SIP/2.0
        Via: SIP/2.0/UDP h:5060;branch=z9hG4bK1
        this line has no colon
        Call-ID: c
        """)
        do {
            _ = try SIPMessage(parsing: bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("no colon"))
            #expect(error.partial?.topVia?.branch == "z9hG4bK1")
            #expect(error.partial?.callID == "c")
        }
    }

    @Test func bareLineFeedsAndLeadingCRLFAreAccepted() throws {
        let text = "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: lf\n\nbody"
        let message = try SIPMessage(parsing: Array(text.utf8))
        #expect(message.callID == "lf")
        #expect(message.bodyText == "body")
    }

    @Test func nonUTF8BodyIsKeptAsBytes() throws {
        var bytes = datagram("MESSAGE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nContent-Length: 3")
        bytes += [0xFF, 0x00, 0xFE]
        let message = try SIPMessage(parsing: bytes)
        #expect(message.body == [0xFF, 0x00, 0xFE])
    }

    @Test func serializationRoundTripsWithCorrectContentLength() throws {
        var message = try SIPMessage(parsing: Fixture.sippInvite())
        message.body = Array("v=0\r\n".utf8)
        let bytes = message.serialized()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"))
        #expect(text.contains("\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
        #expect(!text.contains("Content-Length: 1"))
        let reparsed = try SIPMessage(parsing: bytes)
        #expect(reparsed.headers.fields.filter { $0.name != "Content-Length" } == message.headers.fields.filter { $0.name != "Content-Length" })
        #expect(reparsed.body == message.body)
    }

    @Test func pAssertedIdentityAccessor() throws {
        let message = try SIPMessage(parsing: datagram("""
        INVITE sip:a@b SIP/2.0
        Via: SIP/2.0/UDP h;branch=z9hG4bK1
        P-Asserted-Identity: "Carrier" <sip:+15551230000@carrier.net>, <tel:+15551230000>
        """))
        #expect(message.pAssertedIdentities.count == 2)
        #expect(message.pAssertedIdentity?.displayName == "Carrier")
        #expect(message.pAssertedIdentities[1].uri?.scheme == "tel")
    }
}
