import Foundation
import Testing
@testable import SwitchboardSIP

/// Regression tests for numbers and shapes a phone network can send: each once reached a
/// trapping conversion, an unchecked index or an overflowing sum, or could have.
@Suite struct SIPHardeningTests {
    let now = ContinuousClock.now
    let caller = SIPEndpoint(host: "127.0.0.1", port: 5061)

    func makeAgent() -> SIPUserAgent {
        SIPUserAgent(configuration: .init(localHost: "127.0.0.1", localPort: 5060))
    }

    /// sipp's SDP with the `m=` line and attributes replaced.
    func sdp(_ media: String, _ attributes: [String] = []) -> String {
        (["v=0", "o=user1 53655765 2353687637 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", media] + attributes)
            .joined(separator: "\n")
    }

    /// The single final response the agent sends to an INVITE with this SDP.
    func answer(toSDP body: String) -> (SIPMessage?, [SIPAction]) {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippInvite(sdp: body), from: caller, now: now)
        return (actions.sentMessages.first { ($0.statusCode ?? 0) >= 200 }, actions)
    }

    /// A request built from header lines (a Via is always first).
    func request(_ lines: [String], method: String = "OPTIONS") -> [UInt8] {
        datagram((["\(method) sip:service@127.0.0.1:5060 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-h1"] + lines)
            .joined(separator: "\n"))
    }

    let dialogHeaders = ["From: <sip:a@127.0.0.1>;tag=1", "To: <sip:b@127.0.0.1>", "Call-ID: hardening-1"]

    // MARK: SDP payload types (the known crash: `Not enough bits to represent the passed value`)

    @Test(arguments: ["300", "-1", "128", "18446744073709551616", "99999999999999999999999"])
    func inviteOfferingAnImpossiblePayloadTypeGets488(_ payloadType: String) throws {
        // With an rtpmap (refused while parsing) and without one (refused by negotiation).
        for attributes in [["a=rtpmap:\(payloadType) PCMU/8000"], [], ["a=rtpmap:0 PCMU/8000"]] {
            let (final, actions) = answer(toSDP: sdp("m=audio 6000 RTP/AVP \(payloadType) 0", attributes))
            let response = try #require(final)
            #expect(response.statusCode == 488)
            #expect(response.reasonPhrase == "Not Acceptable Here")
            #expect(response.headers["Warning"]?.hasPrefix("305 127.0.0.1 \"Invalid RTP payload type") == true)
            #expect(actions.offers.isEmpty)
        }
    }

    @Test func payloadType300InTheFormatListIsNamedInTheWarning() throws {
        let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 300 0", ["a=rtpmap:300 PCMU/8000"]))
        let warning = try #require(final?.headers["Warning"])
        #expect(warning.contains("Invalid RTP payload type 300"))
    }

    @Test func negotiatedPayloadTypesAlwaysFitSevenBits() throws {
        var agent = makeAgent()
        let actions = agent.receive(Fixture.sippInvite(sdp: sdp("m=audio 6000 RTP/AVP 127 126", ["a=rtpmap:127 PCMU/8000", "a=rtpmap:126 telephone-event/8000"])),
                                    from: caller, now: now)
        let offer = try #require(actions.offers.first)
        #expect(offer.media.rtpPayloadType == 127)
        #expect(offer.media.rtpTelephoneEventPayloadType == 126)
        // A hand-made media description out of range yields nil, never a trap.
        let bogus = SIPMedia(remote: caller, codec: .pcmu, payloadType: 300, telephoneEventPayloadType: -1)
        #expect(bogus.rtpPayloadType == nil)
        #expect(bogus.rtpTelephoneEventPayloadType == nil)
    }

    // MARK: SDP ports, ptime, clock rates

    @Test(arguments: ["99999", "65536", "18446744073709551616", "-1"])
    func absurdMediaPortGets488(_ port: String) throws {
        let (final, _) = answer(toSDP: sdp("m=audio \(port) RTP/AVP 0"))
        let response = try #require(final)
        #expect(response.statusCode == 488)
        #expect(response.headers["Warning"]?.contains("Invalid media port") == true)
    }

    @Test(arguments: ["0", "-20", "100000", "18446744073709551616"])
    func absurdPtimeGets488(_ ptime: String) throws {
        let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", ["a=ptime:\(ptime)"]))
        #expect(final?.statusCode == 488)
        #expect(final?.headers["Warning"]?.contains("ptime") == true)
    }

    @Test func fractionalPtimeIsReadAsWholeMilliseconds() throws {
        for ptime in ["20.0", "22.5"] {
            var agent = makeAgent()
            let actions = agent.receive(Fixture.sippInvite(sdp: sdp("m=audio 6000 RTP/AVP 0", ["a=ptime:\(ptime)"])), from: caller, now: now)
            #expect(actions.offers.count == 1)
        }
        for ptime in ["1e19", "abc", "20.", ".5"] {
            let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", ["a=ptime:\(ptime)"]))
            #expect(final?.statusCode == 488, "ptime \(ptime)")
        }
    }

    @Test func maxptimeIsCheckedToo() throws {
        for (maxptime, status) in [("1e19", 488), ("0", 488), ("-1", 488), ("10", 488), ("240", 0), ("20.0", 0)] {
            var agent = makeAgent()
            let actions = agent.receive(Fixture.sippInvite(sdp: sdp("m=audio 6000 RTP/AVP 0", ["a=maxptime:\(maxptime)"])), from: caller, now: now)
            if status == 0 {
                #expect(actions.offers.count == 1, "maxptime \(maxptime)")
            } else {
                #expect(actions.statuses.last == status, "maxptime \(maxptime)")
            }
        }
    }

    @Test(arguments: ["6000/0", "6000/99999999999999999999", "6000/x", "6000/2/3"])
    func absurdPortCountGets488(_ port: String) throws {
        let (final, _) = answer(toSDP: sdp("m=audio \(port) RTP/AVP 0"))
        #expect(final?.statusCode == 488)
    }

    @Test(arguments: ["0", "-8000", "18446744073709551616", "9999999999"])
    func absurdClockRateGets488(_ rate: String) throws {
        let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", ["a=rtpmap:0 PCMU/\(rate)"]))
        #expect(final?.statusCode == 488)
    }

    @Test func absurdChannelCountGets488() throws {
        let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", ["a=rtpmap:0 PCMU/8000/99999999999999999999"]))
        #expect(final?.statusCode == 488)
    }

    @Test func tooManyMediaSectionsGet488() throws {
        let lines = (0..<40).map { "m=video \(1000 + $0) RTP/AVP 96" }
        let (final, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", lines))
        #expect(final?.statusCode == 488)
        #expect(final?.headers["Warning"]?.contains("Too many media streams") == true)
    }

    @Test func malformedSDPGets400WithTheReason() throws {
        let (final, _) = answer(toSDP: sdp("m=audio abc RTP/AVP 0"))
        #expect(final?.statusCode == 400)
        #expect(final?.reasonPhrase?.contains("Malformed m= port") == true)
        let (missing, _) = answer(toSDP: sdp("m=audio 6000 RTP/AVP 0", ["a=rtpmap:x PCMU/8000"]))
        #expect(missing?.statusCode == 400)
    }

    @Test func rejectedSectionsEchoOnlySafeTokens() throws {
        var agent = makeAgent()
        let longFormat = String(repeating: "9", count: 500)
        let actions = agent.receive(Fixture.sippInvite(sdp: sdp("m=audio 6000 RTP/AVP 0", ["m=x\u{7F}y 7000 TCP/\u{01} \(longFormat)"])),
                                    from: caller, now: now)
        #expect(actions.offers.count == 1)
        let accepted = agent.accept(callID: "1-4242@127.0.0.1", rtp: SIPEndpoint(host: "127.0.0.1", port: 40000), now: now)
        let body = try #require(accepted.sentMessages.first?.bodyText)
        #expect(body.contains("m=unknown 0 RTP/AVP 0"))
        #expect(!body.contains(longFormat))
    }

    @Test func telephoneEventFmtpIsEchoedOnlyWhenItIsAnEventList() throws {
        var agent = makeAgent()
        let body = sdp("m=audio 6000 RTP/AVP 0 101", ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15;x=\u{0B}" + String(repeating: "A", count: 300)])
        _ = agent.receive(Fixture.sippInvite(sdp: body), from: caller, now: now)
        let accepted = agent.accept(callID: "1-4242@127.0.0.1", rtp: SIPEndpoint(host: "127.0.0.1", port: 40000), now: now)
        let text = try #require(accepted.sentMessages.first?.bodyText)
        #expect(text.contains("a=fmtp:101 0-16"))
        for (offered, answered) in [("0-15", "0-15"), ("0-16,32", "0-16,32"), ("0-18446744073709551616", "0-16"),
                                    ("16-0,999-,-5", "0-16"), ("0-15,", "0-16")] {
            var again = makeAgent()
            _ = again.receive(Fixture.sippInvite(sdp: sdp("m=audio 6000 RTP/AVP 0 101", ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 \(offered)"])),
                              from: caller, now: now)
            let body = again.accept(callID: "1-4242@127.0.0.1", rtp: SIPEndpoint(host: "127.0.0.1", port: 40000), now: now).sentMessages.first?.bodyText
            #expect(body?.contains("a=fmtp:101 \(answered)\r\n") == true, "\(offered)")
        }
    }

    // MARK: SIP headers

    @Test(arguments: ["18446744073709551616", "99999999999999999999999999", "-1", "+5", "1e3", "0x10"])
    func absurdContentLengthIsA400(_ value: String) throws {
        var agent = makeAgent()
        let bytes = request(dialogHeaders + ["CSeq: 1 OPTIONS", "Content-Length: \(value)"])
        let actions = agent.receive(bytes, from: caller, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase?.contains("Content-Length") == true)
    }

    @Test func contentLengthBeyondTheDatagramIsA400() throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 1 OPTIONS", "Content-Length: 9223372036854775807"]), from: caller, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase == "Bad Request (Content-Length exceeds datagram)")
    }

    @Test(arguments: ["1099511627776", "2147483648", "4294967296", "18446744073709551616", "-1"])
    func cseqOutOfRangeIsA400(_ number: String) throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: \(number) OPTIONS"]), from: caller, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase == "CSeq Number Out of Range")
    }

    @Test func largestValidCSeqIsAccepted() throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 2147483647 OPTIONS"]), from: caller, now: now)
        #expect(actions.statuses == [200])
    }

    @Test(arguments: ["256", "-1", "18446744073709551616", "70abc", ""])
    func maxForwardsOutOfRangeIsA400(_ value: String) throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 1 OPTIONS", "Max-Forwards: \(value)"]), from: caller, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase == "Malformed Max-Forwards Header")
    }

    @Test func maxForwardsZeroIsStillAnswered() throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 1 OPTIONS", "Max-Forwards: 0"]), from: caller, now: now)
        #expect(actions.statuses == [200])
    }

    @Test(arguments: ["99999", "65536", "-1", "18446744073709551616", "+5061"])
    func viaOrURIPortOutOfRangeIsRefused(_ port: String) throws {
        #expect(throws: SIPParseError.self) { try SIPVia(parsing: "SIP/2.0/UDP 10.0.0.1:\(port);branch=z9hG4bK1") }
        #expect(throws: SIPParseError.self) { try SIPURI(parsing: "sip:a@10.0.0.1:\(port)") }
        var agent = makeAgent()
        let bytes = datagram("""
        OPTIONS sip:service@127.0.0.1:\(port) SIP/2.0
        Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-p
        From: <sip:a@127.0.0.1>;tag=1
        To: <sip:b@127.0.0.1>
        Call-ID: port-\(port)
        CSeq: 1 OPTIONS
        """)
        #expect(agent.receive(bytes, from: caller, now: now).statuses == [400])
    }

    @Test func viaPortZeroIsAnsweredAtTheSource() throws {
        var agent = makeAgent()
        let bytes = datagram(["OPTIONS sip:service@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:0;branch=z9hG4bK-z"]
            .joined(separator: "\n") + "\n" + (dialogHeaders + ["CSeq: 1 OPTIONS"]).joined(separator: "\n"))
        let actions = agent.receive(bytes, from: caller, now: now)
        #expect(actions.destinations == [caller])
    }

    @Test func rportOutOfRangeIsIgnored() throws {
        let via = try SIPVia(parsing: "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=99999999999999999999")
        #expect(via.rport == nil)
    }

    @Test(arguments: ["9999", "0", "abc", "20000000000000000000"])
    func statusCodeOutOfRangeIsAParseError(_ status: String) {
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: Array("SIP/2.0 \(status) OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n".utf8)) }
    }

    @Test func missingMandatoryHeadersAre400s() throws {
        for missing in ["From", "To", "Call-ID", "CSeq"] {
            var agent = makeAgent()
            var lines = dialogHeaders + ["CSeq: 1 OPTIONS"]
            lines.removeAll { $0.hasPrefix(missing + ":") }
            let actions = agent.receive(request(lines), from: caller, now: now)
            #expect(actions.statuses == [400], "without \(missing)")
            #expect(actions.sentMessages.first?.reasonPhrase == "Missing \(missing) Header")
        }
    }

    @Test func tooManyHeaderFieldsIsA400() throws {
        var agent = makeAgent()
        let padding = (0..<5000).map { "X-\($0): y" }
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 1 OPTIONS"] + padding), from: caller, now: now)
        #expect(actions.statuses == [400])
        #expect(actions.sentMessages.first?.reasonPhrase?.contains("Too many header fields") == true)
        // One line listing thousands of values is bounded too.
        let vias = "Via: " + Array(repeating: "SIP/2.0/UDP 10.0.0.1", count: 4000).joined(separator: ",")
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: request([vias] + dialogHeaders + ["CSeq: 1 OPTIONS"])) }
    }

    @Test func duplicateCSeqIsA400() throws {
        var agent = makeAgent()
        let actions = agent.receive(request(dialogHeaders + ["CSeq: 1 OPTIONS", "CSeq: 2 OPTIONS"]), from: caller, now: now)
        #expect(actions.statuses == [400])
    }

    @Test func decimalNumberIsStrict() {
        #expect(DecimalNumber("0") == .value(0))
        #expect(DecimalNumber("65535") == .value(65535))
        #expect(DecimalNumber("9223372036854775807") == .value(Int.max))
        #expect(DecimalNumber("9223372036854775808") == .outOfRange)
        #expect(DecimalNumber("-1") == .outOfRange)
        #expect(DecimalNumber("+1") == .outOfRange)
        #expect(DecimalNumber("") == .malformed)
        #expect(DecimalNumber("-") == .malformed)
        #expect(DecimalNumber("1 2") == .malformed)
        #expect(DecimalNumber("١٢") == .malformed)  // Arabic-Indic digits are not DIGIT
    }

    // MARK: RTP

    @Test func truncatedRTPIsAnError() {
        let valid = RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: [1, 2, 3]).serialized()
        for length in 0..<12 {
            #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: valid.prefix(length)) }
        }
    }

    @Test func csrcCountBeyondThePacketIsAnError() {
        var bytes = RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: [1, 2, 3, 4]).serialized()
        bytes[0] = 0x80 | 0x0F  // 15 CSRCs = 60 bytes declared, 4 present
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: bytes) }
    }

    @Test func extensionLengthBeyondThePacketIsAnError() {
        var bytes: [UInt8] = [0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]
        bytes += [0xBE, 0xDE, 0xFF, 0xFF]  // 65535 words declared
        bytes += [1, 2, 3, 4]
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: bytes) }
        // An extension header cut short.
        #expect(throws: RTPParseError.tooShort) { try RTPPacket(parsing: [0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE]) }
    }

    @Test func paddingLargerThanThePacketIsAnError() {
        var bytes: [UInt8] = [0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 255]
        #expect(throws: RTPParseError.badPadding) { try RTPPacket(parsing: bytes) }
        bytes[bytes.count - 1] = 0
        #expect(throws: RTPParseError.badPadding) { try RTPPacket(parsing: bytes) }
        // Padding after CSRCs and an extension counts only what follows them.
        var full: [UInt8] = [0xB1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1, 0, 1, 7, 7, 7, 7, 5]
        #expect(throws: RTPParseError.badPadding) { try RTPPacket(parsing: full) }
        full[full.count - 1] = 1
        let packet = try? RTPPacket(parsing: full)
        #expect(packet?.payload == [])
        #expect(packet?.csrcs == [4])
    }

    @Test func oversizedExtensionIsCutWhenSerialised() {
        let packet = RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3,
                               headerExtension: .init(profile: 1, data: [UInt8](repeating: 1, count: 4 * 65536 + 3)), payload: [])
        let bytes = packet.serialized()
        #expect(bytes.count == 12 + 4 + 4 * 65535)
        #expect((try? RTPPacket(parsing: bytes))?.headerExtension?.data.count == 4 * 65535)
    }

    @Test func senderWrapsSequenceAndTimestamp() {
        var sender = RTPSender(payloadType: 0, ssrc: 1, initialSequenceNumber: .max, initialTimestamp: .max - 10)
        let first = sender.next(payload: [UInt8](repeating: 0, count: 160))
        let second = sender.next(payload: [], samples: Int.max)
        sender.skip(samples: -1)
        let third = sender.next(payload: [])
        #expect(first.sequenceNumber == .max && second.sequenceNumber == 0 && third.sequenceNumber == 1)
        #expect(second.timestamp == (UInt32.max - 10) &+ 160)
    }

    @Test func jitterBufferAcrossTheSequenceWrap() {
        var buffer = JitterBuffer(configuration: .init(targetDepth: 2, audioPayloadType: 0))
        for sequence: UInt16 in [65534, 65535, 0, 1] {
            _ = buffer.insert(RTPPacket(payloadType: 0, sequenceNumber: sequence, timestamp: UInt32(sequence), ssrc: 7, payload: [1]))
        }
        var played: [UInt16] = []
        for _ in 0..<4 { if case .audio(let packet) = buffer.pop() { played.append(packet.sequenceNumber) } }
        #expect(played == [65534, 65535, 0, 1])
        // A jump of half the sequence space resynchronises rather than queueing 32768 gaps.
        #expect(buffer.insert(RTPPacket(payloadType: 0, sequenceNumber: 32770, timestamp: 0, ssrc: 7, payload: [1])) == .buffered)
        #expect(buffer.depth == 1)
    }

    @Test func telephoneEventsWithAbsurdValues() {
        var detector = DTMFDetector()
        var digits: [DTMFDigit] = []
        let events: [[UInt8]] = [
            [255, 0xFF, 0xFF, 0xFF],  // event 255, end, volume 63, duration 65535
            [16, 0x80, 0, 0],  // flash, not a digit
            [11, 0xBF, 0xFF, 0xFF],  // '#', end, maximum duration
            [12, 0x00, 0x00, 0x00],  // 'A', zero duration
            [1, 2],  // short payload
            [],
            [1, 0x80, 0x00, 0xA0],  // '1', end: reports the pending 'A' too
        ]
        for (index, payload) in events.enumerated() {
            let timestamp = UInt32.max &- UInt32(index)
            digits += detector.receive(RTPPacket(payloadType: 101, sequenceNumber: UInt16(index), timestamp: timestamp, ssrc: 1, payload: payload))
        }
        #expect(digits.map(\.digit) == ["#", "A", "1"])
        #expect(digits.first?.duration == .max)
        #expect(TelephoneEvent(payload: [255, 0xFF, 0xFF, 0xFF])?.digit == nil)
        #expect(TelephoneEvent(event: 200, isEnd: true, volume: 255, duration: .max).payload == [200, 0xBF, 0xFF, 0xFF])
    }
}

/// Found by FuzzSIP in CI: an INVITE whose Contact URI does not parse became the dialog's remote
/// target as text, and the BYE the agent sent later carried it in its request line
/// (`BYE sip:+15551234567@203.0.11t: :5060 SIP/2.0`), a request no peer can read.
@Suite struct SIPRemoteTargetTests {
    let now = ContinuousClock.now
    let caller = SIPEndpoint(host: "127.0.0.1", port: 5061)

    func invite(contact: String) -> [UInt8] {
        let text = String(decoding: Fixture.sippInvite(), as: UTF8.self)
            .replacingOccurrences(of: "Contact: sip:sipp@127.0.0.1:5061", with: "Contact: \(contact)")
        return Array(text.utf8)
    }

    @Test(arguments: ["<sip:+15551234567@203.0.11t: :5060>", "<sip:a@b c>", "<sip:a@>", "<mailto:a@b>", "<sip:a@b:99999>"])
    func anInviteWhoseContactCannotBeATargetGets400(_ contact: String) throws {
        var agent = SIPUserAgent(configuration: .init(localHost: "127.0.0.1", localPort: 5060))
        let actions = agent.receive(invite(contact: contact), from: caller, now: now)
        let final = try #require(actions.sentMessages.first { ($0.statusCode ?? 0) >= 200 })
        #expect(final.statusCode == 400)
        #expect(final.reasonPhrase == "Bad Request (Malformed Contact Header)")
        #expect(actions.offers.isEmpty)
    }

    @Test func theTargetIsWrittenInCanonicalFormAndParses() {
        #expect(SIPUserAgent.remoteTarget("sip:+15551234567@203.0.113.5:5060;transport=udp") == "sip:+15551234567@203.0.113.5:5060;transport=udp")
        #expect(SIPUserAgent.remoteTarget("sip:+15551234567@203.0.11t: :5060") == nil)
        #expect(SIPUserAgent.remoteTarget(nil) == nil)
    }
}
