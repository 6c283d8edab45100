import SwitchboardTesting
import Testing
@testable import SwitchboardSIP

/// Mutations that reach the corner cases of text protocols: numbers swapped for absurd ones,
/// lines dropped, duplicated or cut, bytes flipped, inserted and removed.
struct Mutator {
    var random: SplitMix64

    static let numbers = ["0", "-1", "1", "127", "128", "255", "256", "300", "65535", "65536", "99999", "2147483647",
                          "2147483648", "4294967296", "1099511627776", "9223372036854775807", "9223372036854775808",
                          "18446744073709551616", "99999999999999999999999999", "+5", "", "0x10", "1e9", "20.5"]
    static let tokens = ["\r\n", "\n", " ", ":", ";", ",", "<", ">", "\"", "/", "=", "@", "[", "]", "%", "%zz", "\u{0}",
                         "\u{FF}", "SIP/2.0", "m=audio 0 RTP/AVP", "a=rtpmap:", "c=IN IP4 ", "Content-Length: ", "Via: ", "CSeq: "]

    mutating func int(_ upper: Int) -> Int { upper <= 0 ? 0 : Int.random(in: 0..<upper, using: &random) }

    /// One to four mutations of `text`, as bytes (some mutations break UTF-8 on purpose).
    mutating func mutate(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0...int(4) { bytes = mutateOnce(bytes) }
        return bytes
    }

    mutating func mutateOnce(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        switch int(9) {
        case 0, 1, 2:
            // Replace a run of digits with an interesting number.
            let digitStarts = bytes.indices.filter { (48...57).contains(bytes[$0]) && ($0 == 0 || !(48...57).contains(bytes[$0 - 1])) }
            guard !digitStarts.isEmpty else { return bytes }
            let start = digitStarts[int(digitStarts.count)]
            var end = start
            while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(Self.numbers[int(Self.numbers.count)].utf8))
        case 3:
            // Drop, duplicate or swap lines.
            var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
            guard lines.count > 1 else { return bytes }
            let a = int(lines.count), b = int(lines.count)
            switch int(3) {
            case 0: lines.remove(at: a)
            case 1: lines.insert(lines[a], at: b)
            default: lines.swapAt(a, b)
            }
            bytes = Array(lines.joined(separator: [10]))
        case 4:
            bytes = Array(bytes.prefix(int(bytes.count + 1)))
        case 5:
            if !bytes.isEmpty { bytes[int(bytes.count)] = UInt8.random(in: 0...255, using: &random) }
        case 6:
            bytes.insert(contentsOf: Array(Self.tokens[int(Self.tokens.count)].utf8), at: int(bytes.count + 1))
        case 7:
            if !bytes.isEmpty {
                let start = int(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + int(8)))
            }
        default:
            // Repeat a slice (long lines, many headers, many values).
            guard !bytes.isEmpty else { return bytes }
            let start = int(bytes.count)
            let slice = bytes[start..<min(bytes.count, start + 1 + int(40))]
            bytes.insert(contentsOf: Array(repeating: Array(slice), count: 1 + int(50)).joined(), at: start)
        }
        return bytes
    }
}

/// Thousands of mutated INVITEs, SDPs and RTP packets through the parsers and the user agent:
/// nothing traps, every datagram sent is well-formed SIP, every refusal is a 4xx/5xx/6xx with
/// a reason, and every negotiated media fits RTP (payload type 0–127, port 1–65535).
@Suite struct SIPFuzzTests {
    let caller = SIPEndpoint(host: "127.0.0.1", port: 5061)

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func checkMedia(_ media: SIPMedia) {
        #expect(media.rtpPayloadType != nil)
        #expect((0...127).contains(media.payloadType))
        #expect(media.telephoneEventPayloadType.map { (0...127).contains($0) } ?? true)
        #expect((1...65535).contains(media.remote.port) || media.remote.port == 0)
    }

    /// Feeds a datagram and checks what comes back.
    func feed(_ agent: inout SIPUserAgent, _ datagram: [UInt8], from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        let actions = agent.receive(datagram, from: source, now: now)
        check(actions)
        return actions
    }

    func check(_ actions: [SIPAction]) {
        for action in actions {
            switch action {
            case .send(let bytes, let to):
                let message = try? SIPMessage(parsing: bytes)
                #expect(message != nil, "the agent sent something that is not SIP: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
                if let status = message?.statusCode {
                    #expect((100...699).contains(status))
                    if status >= 400 { #expect(message?.reasonPhrase?.isEmpty == false) }
                }
                #expect((1...65535).contains(to.port))
            case .incomingCall(let offer):
                checkMedia(offer.media)
            case .callAnswered(_, let media), .mediaChanged(_, let media):
                checkMedia(media)
            case .callEnded:
                break
            case .transferProgress(_, let status):
                #expect((100...699).contains(status))
            case .transferEnded:
                break
            }
        }
    }

    @Test func mutatedInvitesNeverTrapAndAreAnsweredOrDropped() throws {
        var mutator = Mutator(random: SplitMix64(seed: 0x5EED_0001))
        var agent = SIPUserAgent(configuration: .init(localHost: "127.0.0.1", localPort: 5060, maxCalls: 50,
                                                      invitesPerSecond: 1000, maxServerTransactions: 2000))
        var now = ContinuousClock.now
        let templates = [
            text(Fixture.sippInvite()), text(Fixture.baresipInvite()), text(Fixture.sippAck(toTag: "x")),
            text(Fixture.sippBye(toTag: "x")), text(Fixture.sippCancel()),
        ]
        var finals: [Int: Int] = [:]
        var offered = 0
        for iteration in 0..<4000 {
            let template = templates[iteration % templates.count]
            var bytes = mutator.mutate(template.replacing("1-4242@127.0.0.1", with: "fuzz-\(iteration)@h")
                .replacing("z9hG4bK-4242-1-0", with: "z9hG4bK-f\(iteration)"))
            if iteration % 7 == 0 { bytes = Array(bytes.prefix(mutator.int(bytes.count + 1))) }
            let source = SIPEndpoint(host: "10.0.\(iteration % 3).1", port: 5000 + iteration % 5)
            let actions = feed(&agent, bytes, from: source, now: now)
            for message in actions.sentMessages { if let status = message.statusCode, status >= 200 { finals[status, default: 0] += 1 } }
            // Exercise the state machine: answer some calls, refuse others, hang up, let timers run.
            for offer in actions.offers {
                offered += 1
                switch mutator.int(3) {
                case 0: check(agent.accept(callID: offer.callID, rtp: SIPEndpoint(host: "127.0.0.1", port: 40000), now: now))
                case 1: check(agent.reject(callID: offer.callID, status: 486, reason: "Busy Here", now: now))
                default: break
                }
            }
            if iteration % 10 == 0, let callID = agent.activeCallIDs.first { check(agent.hangUp(callID: callID, now: now)) }
            now += .milliseconds(mutator.int(400))
            check(agent.tick(now: now))
        }
        // The fuzzer reached both outcomes: calls offered and requests refused.
        #expect(offered > 100)
        #expect(finals.keys.contains(400))
        #expect(finals.keys.contains(488))
    }

    @Test func mutatedSDPOffersAreNegotiatedOrRefused() throws {
        var mutator = Mutator(random: SplitMix64(seed: 0x5EED_0002))
        let local = SIPEndpoint(host: "127.0.0.1", port: 40000)
        var outcomes = (parsed: 0, malformed: 0, unacceptable: 0, accepted: 0, refused: 0)
        for iteration in 0..<5000 {
            let template = iteration % 2 == 0 ? Fixture.baresipSDP : Fixture.sippSDP + "\na=rtpmap:101 telephone-event/8000\na=ptime:20"
            let body = text(mutator.mutate(template.replacing("\n", with: "\r\n")))
            let offer: SessionDescription
            do {
                offer = try SessionDescription(parsing: body)
                outcomes.parsed += 1
            } catch {
                if error.kind == .malformed { outcomes.malformed += 1 } else { outcomes.unacceptable += 1 }
                continue
            }
            switch SDPAnswer.negotiate(offer: offer, local: local, sessionID: 1, sessionVersion: 1) {
            case .accepted(let answer):
                outcomes.accepted += 1
                checkMedia(answer.media)
                let reparsed = try? SessionDescription(parsing: answer.text)
                #expect(reparsed != nil, "our answer does not parse: \(answer.text)")
                #expect(reparsed?.media.count == offer.media.count)
            case .notAcceptable(let reason):
                outcomes.refused += 1
                #expect(!reason.isEmpty && !reason.contains("\r") && !reason.contains("\n") && !reason.contains("\""))
            }
            if let answer = SDPAnswer.media(fromAnswer: offer) { checkMedia(answer) }
        }
        #expect(outcomes.accepted > 100 && outcomes.refused > 100 && outcomes.malformed > 100 && outcomes.unacceptable > 100)
    }

    @Test func mutatedRTPPacketsParseOrFailAndRoundTrip() throws {
        var mutator = Mutator(random: SplitMix64(seed: 0x5EED_0003))
        var buffer = JitterBuffer(configuration: .init(audioPayloadType: 0, telephoneEventPayloadType: 101))
        var latch = RTPSourceLatch<SIPEndpoint>(allowedHost: "10.0.0.1", probation: 2)
        var parsed = 0
        let seeds: [[UInt8]] = [
            RTPPacket(payloadType: 0, sequenceNumber: 65535, timestamp: .max, ssrc: 7, payload: [UInt8](repeating: 0xFF, count: 160)).serialized(),
            RTPPacket(marker: true, payloadType: 101, sequenceNumber: 1, timestamp: 8, ssrc: 7, payload: [11, 0x8A, 0x03, 0x20]).serialized(),
            RTPPacket(payloadType: 0, sequenceNumber: 9, timestamp: 9, ssrc: 7, csrcs: [1, 2, 3],
                      headerExtension: .init(profile: 0xBEDE, data: [1, 2, 3, 4]), payload: [1, 2, 3], paddingLength: 4).serialized(),
        ]
        for iteration in 0..<20_000 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0...mutator.int(3) {
                switch mutator.int(4) {
                case 0: if !bytes.isEmpty { bytes[mutator.int(min(bytes.count, 24))] = UInt8.random(in: 0...255, using: &mutator.random) }
                case 1: bytes = Array(bytes.prefix(mutator.int(bytes.count + 1)))
                case 2: if !bytes.isEmpty { bytes[bytes.count - 1] = UInt8.random(in: 0...255, using: &mutator.random) }
                default: bytes = mutator.mutateOnce(bytes)
                }
            }
            _ = RTPPacket.looksLikeRTCP(bytes)
            guard let packet = try? RTPPacket(parsing: bytes) else { continue }
            parsed += 1
            #expect(packet.payloadType <= 127)
            #expect(packet.csrcs.count <= 15)
            #expect((try? RTPPacket(parsing: packet.serialized())) == packet)
            let source = SIPEndpoint(host: iteration % 5 == 0 ? "192.0.2.9" : "10.0.0.1", port: 4000 + iteration % 2)
            if latch.admit(from: source, host: source.host, sequence: packet.sequenceNumber) == .foreign { continue }
            _ = buffer.insert(packet)
            #expect(buffer.depth <= buffer.configuration.maximumDepth)
            if iteration % 3 == 0 { _ = buffer.pop() }
            if iteration % 997 == 0 { latch.reset() }
        }
        #expect(parsed > 5000)
    }
}
