import Testing
@testable import SwitchboardSIP

@Suite struct SDPTests {
    let local = SIPEndpoint(host: "10.0.0.5", port: 40000)

    @Test func parsesBaresipOffer() throws {
        let sdp = try SessionDescription(parsing: Fixture.baresipSDP)
        #expect(sdp.version == 0)
        #expect(sdp.origin?.sessionID == "1380371254")
        #expect(sdp.connectionAddress == "192.168.1.20")
        let audio = try #require(sdp.media.first)
        #expect(audio.type == "audio")
        #expect(audio.port == 10724)
        #expect(audio.payloadTypes == [96, 9, 0, 8, 101])
        #expect(audio.rtpMaps[96] == SDPRTPMap(encoding: "opus", clockRate: 48000, channels: 2))
        #expect(audio.fmtp[101] == "0-15")
        #expect(audio.ptime == 20)
        #expect(audio.direction == .sendrecv)
    }

    @Test func negotiatesPCMUFromBaresipAndKeepsTelephoneEvent() throws {
        let offer = try SessionDescription(parsing: Fixture.baresipSDP)
        guard case .accepted(let answer) = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 77, sessionVersion: 3) else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.codec == .pcmu)
        #expect(answer.media.payloadType == 0)
        #expect(answer.media.telephoneEventPayloadType == 101)
        #expect(answer.media.remote == SIPEndpoint(host: "192.168.1.20", port: 10724))
        #expect(answer.media.direction == .sendrecv)
        let lines = answer.text.split(separator: "\r\n").map(String.init)
        #expect(lines.contains("o=switchboard 77 3 IN IP4 10.0.0.5"))
        #expect(lines.contains("c=IN IP4 10.0.0.5"))
        #expect(lines.contains("m=audio 40000 RTP/AVP 0 101"))
        #expect(lines.contains("a=rtpmap:0 PCMU/8000"))
        #expect(lines.contains("a=rtpmap:101 telephone-event/8000"))
        #expect(lines.contains("a=fmtp:101 0-15"))
        #expect(lines.contains("a=ptime:20"))
        #expect(lines.contains("a=sendrecv"))
        #expect(answer.text.hasSuffix("\r\n"))
        // The answer is itself valid SDP.
        let reparsed = try SessionDescription(parsing: answer.text)
        #expect(reparsed.media.first?.payloadTypes == [0, 101])
    }

    @Test func prefersOfferOrderBetweenPCMAAndPCMU() throws {
        let offer = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 8 0\n")
        guard case .accepted(let answer) = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1) else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.codec == .pcma)
        #expect(answer.media.payloadType == 8)
        #expect(answer.media.telephoneEventPayloadType == nil)
        #expect(!answer.text.contains("telephone-event"))
    }

    @Test func preferredCodecWinsWhenOffered() throws {
        let offer = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 0 8\n")
        let result = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1, preferredCodec: .pcma)
        guard case .accepted(let answer) = result else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.codec == .pcma)
    }

    @Test func noCommonCodecIsNotAcceptable() throws {
        let offer = try SessionDescription(parsing: """
        v=0
        o=- 1 1 IN IP4 1.2.3.4
        s=-
        c=IN IP4 1.2.3.4
        t=0 0
        m=audio 5000 RTP/AVP 96 9
        a=rtpmap:96 opus/48000/2
        a=rtpmap:9 G722/8000
        """)
        #expect(SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1)
            == .notAcceptable(reason: "Incompatible media format"))
    }

    @Test func videoOnlyIsNotAcceptable() throws {
        let offer = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=video 5002 RTP/AVP 96\n")
        #expect(SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1)
            == .notAcceptable(reason: "No audio stream offered"))
    }

    @Test func mediaLevelConnectionAndDirectionMirrorAndRejectedVideo() throws {
        let offer = try SessionDescription(parsing: """
        v=0
        o=- 1 1 IN IP4 1.2.3.4
        s=-
        t=0 0
        a=sendrecv
        m=audio 5000 RTP/AVP 0
        c=IN IP4 5.6.7.8
        a=sendonly
        m=video 5002 RTP/AVP 96
        """)
        guard case .accepted(let answer) = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1) else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.remote == SIPEndpoint(host: "5.6.7.8", port: 5000))
        #expect(answer.media.direction == .recvonly)
        #expect(answer.media.isOnHold)
        #expect(answer.text.contains("a=recvonly"))
        #expect(answer.text.contains("m=video 0 RTP/AVP 96"))
    }

    @Test func dynamicG711ByRTPMap() throws {
        let offer = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 97\na=rtpmap:97 pcma/8000\n")
        guard case .accepted(let answer) = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1) else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.codec == .pcma)
        #expect(answer.media.payloadType == 97)
    }

    @Test(arguments: ["", "o=- 1 1 IN IP4 1.2.3.4\nv=0", "v=0\nm=audio xyz RTP/AVP 0", "v=0\nc=IN IP4", "v=0\nm=audio 5000 RTP/AVP 0\na=rtpmap:zero PCMU/8000", "garbage", "v=1"])
    func malformedSDPThrows(_ text: String) {
        #expect(throws: SDPParseError.self) { try SessionDescription(parsing: text) }
    }

    @Test func offerForOutboundCalls() throws {
        let text = SDPAnswer.offer(local: local, sessionID: 9, sessionVersion: 1)
        let sdp = try SessionDescription(parsing: text)
        #expect(sdp.media.first?.payloadTypes == [0, 8, 101])
        #expect(sdp.media.first?.rtpMaps[101]?.encoding == "telephone-event")
        #expect(sdp.connectionAddress == "10.0.0.5")
        #expect(sdp.media.first?.port == 40000)
        #expect(sdp.origin?.sessionVersion == "1")
    }

    @Test func readsMediaFromAnswer() throws {
        let answer = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP4 9.9.9.9\ns=-\nc=IN IP4 9.9.9.9\nt=0 0\nm=audio 7078 RTP/AVP 8 101\na=rtpmap:101 telephone-event/8000\n")
        let media = try #require(SDPAnswer.media(fromAnswer: answer))
        #expect(media.codec == .pcma)
        #expect(media.remote == SIPEndpoint(host: "9.9.9.9", port: 7078))
        #expect(media.telephoneEventPayloadType == 101)
    }

    @Test func holdWithZeroAddressIsOnHold() throws {
        let offer = try SessionDescription(parsing: "v=0\no=- 1 2 IN IP4 1.2.3.4\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5000 RTP/AVP 0\n")
        guard case .accepted(let answer) = SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 2) else {
            Issue.record("expected a codec")
            return
        }
        #expect(answer.media.isOnHold)
        #expect(!answer.media.shouldSend)
    }
}
