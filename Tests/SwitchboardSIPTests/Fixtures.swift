@testable import SwitchboardSIP

/// Builds a datagram from readable text: LF becomes CRLF and `{len}` becomes the body length.
func datagram(_ head: String, body: String = "") -> [UInt8] {
    let crlfBody = body.isEmpty ? "" : body.replacing("\n", with: "\r\n")
    let text = head.replacing("\n", with: "\r\n").replacing("{len}", with: String(crlfBody.utf8.count))
    return Array((text + "\r\n\r\n" + crlfBody).utf8)
}

enum Fixture {
    static let sippSDP = """
    v=0
    o=user1 53655765 2353687637 IN IP4 127.0.0.1
    s=-
    c=IN IP4 127.0.0.1
    t=0 0
    m=audio 6000 RTP/AVP 0
    a=rtpmap:0 PCMU/8000
    """

    /// sipp's built-in `uac` scenario INVITE.
    static func sippInvite(branch: String = "z9hG4bK-4242-1-0", callID: String = "1-4242@127.0.0.1",
                           sdp: String = sippSDP, cseq: Int = 1) -> [UInt8] {
        datagram("""
        INVITE sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=\(branch)
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>
        Call-ID: \(callID)
        CSeq: \(cseq) INVITE
        Contact: sip:sipp@127.0.0.1:5061
        Max-Forwards: 70
        Subject: Performance Test
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: sdp)
    }

    static func sippAck(branch: String = "z9hG4bK-4242-1-5", callID: String = "1-4242@127.0.0.1", toTag: String, cseq: Int = 1) -> [UInt8] {
        datagram("""
        ACK sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=\(branch)
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(toTag)
        Call-ID: \(callID)
        CSeq: \(cseq) ACK
        Contact: sip:sipp@127.0.0.1:5061
        Max-Forwards: 70
        Subject: Performance Test
        Content-Length: 0
        """)
    }

    static func sippBye(branch: String = "z9hG4bK-4242-1-7", callID: String = "1-4242@127.0.0.1", toTag: String) -> [UInt8] {
        datagram("""
        BYE sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=\(branch)
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>;tag=\(toTag)
        Call-ID: \(callID)
        CSeq: 2 BYE
        Contact: sip:sipp@127.0.0.1:5061
        Max-Forwards: 70
        Subject: Performance Test
        Content-Length: 0
        """)
    }

    static func sippCancel(branch: String = "z9hG4bK-4242-1-0", callID: String = "1-4242@127.0.0.1") -> [UInt8] {
        datagram("""
        CANCEL sip:service@127.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=\(branch)
        From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag001
        To: service <sip:service@127.0.0.1:5060>
        Call-ID: \(callID)
        CSeq: 1 CANCEL
        Max-Forwards: 70
        Content-Length: 0
        """)
    }

    static let baresipSDP = """
    v=0
    o=- 1380371254 2113442566 IN IP4 192.168.1.20
    s=-
    c=IN IP4 192.168.1.20
    t=0 0
    m=audio 10724 RTP/AVP 96 9 0 8 101
    b=AS:80
    a=rtpmap:96 opus/48000/2
    a=fmtp:96 stereo=1;sprop-stereo=1
    a=rtpmap:9 G722/8000
    a=rtpmap:0 PCMU/8000
    a=rtpmap:8 PCMA/8000
    a=rtpmap:101 telephone-event/8000
    a=fmtp:101 0-15
    a=ptime:20
    a=sendrecv
    a=label:1
    a=ssrc:1994541345 cname:1f0f9a8b-5f3f
    a=rtcp-rsize
    """

    /// A baresip INVITE (behind NAT: private Via, rport requested).
    static func baresipInvite(sdp: String = baresipSDP) -> [UInt8] {
        datagram("""
        INVITE sip:+14155550100@sip.example.com;transport=udp SIP/2.0
        Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK0b7e1c8a0c2d4a1b;rport
        Contact: <sip:alice-0x55d1@192.168.1.20:5060;transport=udp>
        Max-Forwards: 70
        To: <sip:+14155550100@sip.example.com>
        From: "Alice Example" <sip:+1 (555) 123-4567@sip.example.com>;tag=8d3d5b2ae7a8ac50
        Call-ID: 6c9f4e3bb34e1f1c
        CSeq: 24805 INVITE
        User-Agent: baresip v3.10.1 (x86_64/linux)
        Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER
        Supported: replaces,norefersub
        Content-Type: application/sdp
        Content-Length: {len}
        """, body: sdp)
    }
}

let sippEndpoint = SIPEndpoint(host: "127.0.0.1", port: 5061)
let rtpEndpoint = SIPEndpoint(host: "10.0.0.5", port: 40000)

extension Array where Element == SIPAction {
    /// The datagrams sent, parsed.
    var sentMessages: [SIPMessage] {
        compactMap { action in
            if case .send(let bytes, _) = action { return try? SIPMessage(parsing: bytes) }
            return nil
        }
    }

    /// Where datagrams were sent.
    var destinations: [SIPEndpoint] {
        compactMap { action in
            if case .send(_, let to) = action { return to }
            return nil
        }
    }

    /// Status codes of sent responses.
    var statuses: [Int] { sentMessages.compactMap(\.statusCode) }

    /// Methods of sent requests.
    var methods: [String] { sentMessages.compactMap(\.method) }

    /// The offers reported.
    var offers: [SIPCallOffer] {
        compactMap { action in
            if case .incomingCall(let offer) = action { return offer }
            return nil
        }
    }

    /// Reported call ends.
    var ends: [SIPCallEndReason] {
        compactMap { action in
            if case .callEnded(_, let reason) = action { return reason }
            return nil
        }
    }
}
