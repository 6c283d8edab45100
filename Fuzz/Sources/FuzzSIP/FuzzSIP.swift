// SIP over UDP as the hub's signalling socket sees it: SIPMessage(parsing:), every header accessor
// (Via, From/To, CSeq, Contact, P-Asserted-Identity, caller number, Request-URI), and the user agent
// (transactions, dialogs, INVITE offers with SDP negotiation, re-INVITE, CANCEL, BYE, responses to
// an outbound call), with each negotiated media handed to the server's RTP handler.
//
// Input: an options byte (bit 0: place an outbound call first, so the datagrams can answer it),
// then datagrams separated by NUL bytes. `$CALLID`, `$BRANCH` and `$TAG` in a datagram are replaced
// by the Call-ID, top Via branch and local tag of the last message the agent sent, so a fuzzed
// response or in-dialog request can match the agent's random identifiers.
import FuzzSupport
import Logging
@testable import SwitchboardServer
import SwitchboardCore
import SwitchboardSIP
@testable import SwitchboardTelephony

private let metrics = HubMetrics()
private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
private let peer = SIPEndpoint(host: "203.0.113.5", port: 5060)
private let rtp = SIPEndpoint(host: "192.0.2.10", port: 40000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let options = reader.byte()
    let datagrams = split(reader.rest(), separator: [0], limit: 16)
    var agent = SIPUserAgent(configuration: .init(localHost: "192.0.2.10", localPort: 5060))
    var now = ContinuousClock.now
    var ids = Identifiers()
    var pending: [SIPAction] = []
    if options & 1 != 0 {
        pending += agent.call(to: "+15557654321", from: "+15551234567", via: peer, rtp: rtp, now: now).actions
    }
    perform(&pending, agent: &agent, ids: &ids, now: now)
    for datagram in datagrams {
        let bytes = ids.substitute(datagram)
        inspect(bytes)
        pending += agent.receive(bytes, from: peer, now: now)
        perform(&pending, agent: &agent, ids: &ids, now: now)
        now += .milliseconds(Int(options >> 1) * 100 + 20)
        pending += agent.tick(now: now)
        perform(&pending, agent: &agent, ids: &ids, now: now)
    }
    for callID in agent.activeCallIDs {
        pending += agent.hangUp(callID: callID, now: now)
    }
    now += .seconds(64)
    pending += agent.tick(now: now)
    perform(&pending, agent: &agent, ids: &ids, now: now)
    return 0
}

/// Every accessor of a parsed message, and its serialization parsed back.
private func inspect(_ bytes: [UInt8]) {
    guard let message = try? SIPMessage(parsing: bytes) else { return }
    _ = message.method
    _ = message.requestURI
    _ = message.statusCode
    _ = message.reasonPhrase
    _ = message.vias
    _ = message.topVia?.branch
    _ = message.from?.parameters["tag"]
    _ = message.to
    _ = message.callID
    _ = message.cseq
    _ = message.contact.flatMap { try? SIPURI(parsing: $0.uriText) }
    _ = message.maxForwards
    _ = message.contentType
    _ = message.pAssertedIdentities
    _ = callerNumber(of: message)
    _ = message.bodyText
    let serialized = message.serialized()
    invariant((try? SIPMessage(parsing: serialized)) != nil, "a parsed message does not parse once serialized")
}

/// Carries out the agent's actions as the signalling handler does.
private func perform(_ pending: inout [SIPAction], agent: inout SIPUserAgent, ids: inout Identifiers, now: ContinuousClock.Instant) {
    var rounds = 0
    while !pending.isEmpty, rounds < 8 {
        rounds += 1
        let actions = pending
        pending = []
        for action in actions {
            switch action {
            case .send(let bytes, _):
                // What the hub sends must be SIP it can read itself.
                guard let message = try? SIPMessage(parsing: bytes) else {
                    invariant(false, "the agent sent a message it cannot parse: \(String(decoding: bytes, as: UTF8.self))")
                    continue
                }
                ids.learn(from: message)
            case .incomingCall(let offer):
                _ = mediaHandler(offer.media)
                if offer.callID.utf8.count % 3 == 2 {
                    pending += agent.reject(callID: offer.callID, status: 486, reason: "Busy Here", now: now)
                } else {
                    pending += agent.accept(callID: offer.callID, rtp: rtp, now: now)
                }
            case .callAnswered(_, let media), .mediaChanged(_, let media):
                _ = mediaHandler(media)
            case .callEnded, .transferProgress, .transferEnded:
                break
            }
        }
    }
}

/// The server's RTP handler for a call's media, as SIPSignaling makes it.
private func mediaHandler(_ media: SIPMedia) -> RTPCallHandler {
    RTPCallHandler(callID: { "call" }, caller: nil, media: media, metrics: metrics, logger: logger) { _ in }
}

/// The identifiers of the last message the agent sent.
private struct Identifiers {
    var callID = "none"
    var branch = "z9hG4bKnone"
    var tag = "none"

    mutating func learn(from message: SIPMessage) {
        if let value = message.callID { callID = value }
        if let value = message.topVia?.branch { branch = value }
        let local = message.isRequest ? message.from : message.to
        if let value = local?.parameters["tag"] { tag = value }
    }

    func substitute(_ datagram: [UInt8]) -> [UInt8] {
        guard datagram.contains(UInt8(ascii: "$")) else { return datagram }
        var text = String(decoding: datagram, as: UTF8.self)
        text = text.replacingAll("$CALLID", with: callID)
        text = text.replacingAll("$BRANCH", with: branch)
        text = text.replacingAll("$TAG", with: tag)
        return Array(text.utf8)
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
