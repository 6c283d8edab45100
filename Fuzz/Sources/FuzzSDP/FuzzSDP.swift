// SDP from a caller or a called party: SessionDescription(parsing:), offer/answer negotiation
// (SDPAnswer.negotiate, as for an INVITE or re-INVITE offer), SDPAnswer.media(fromAnswer:) (an
// outbound call's answer), and each negotiated media handed to the server's RTP handler, as the
// hub does once a call is accepted or answered.
//
// Input: an options byte (bits 0–1: preferred codec none/PCMU/PCMA), then the SDP text.
import FuzzSupport
import Logging
@testable import SwitchboardServer
import SwitchboardSIP
@testable import SwitchboardTelephony

private let metrics = HubMetrics()
private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
private let local = SIPEndpoint(host: "192.0.2.10", port: 40000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let options = reader.byte()
    let text = String(decoding: reader.rest(), as: UTF8.self)
    guard let sdp = try? SessionDescription(parsing: text) else { return 0 }
    for media in sdp.media {
        _ = sdp.connectionAddress(for: media)
        _ = sdp.direction(for: media)
        _ = media.payloadTypes
    }
    let preferred: SIPAudioCodec? = [nil, .pcmu, .pcma, nil][Int(options & 3)]
    switch SDPAnswer.negotiate(offer: sdp, local: local, sessionID: 1, sessionVersion: 2, preferredCodec: preferred) {
    case .accepted(let answer):
        _ = handler(answer.media)
        // The answer the hub sends must be SDP it can read itself.
        invariant((try? SessionDescription(parsing: answer.text)) != nil, "the hub's SDP answer does not parse: \(answer.text)")
    case .notAcceptable:
        break
    }
    if let media = SDPAnswer.media(fromAnswer: sdp) {
        _ = handler(media)
    }
    return 0
}

/// The server's RTP handler for a call's media, as SIPSignaling makes it.
private func handler(_ media: SIPMedia) -> RTPCallHandler {
    RTPCallHandler(callID: { "call" }, caller: nil, media: media, metrics: metrics, logger: logger) { _ in }
}
