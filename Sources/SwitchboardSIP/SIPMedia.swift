/// The G.711 codecs Switchboard speaks on the phone network.
public enum SIPAudioCodec: String, Sendable, Hashable {
    /// G.711 µ-law, static payload type 0.
    case pcmu = "PCMU"
    /// G.711 A-law, static payload type 8.
    case pcma = "PCMA"

    /// The static RTP payload type.
    public var staticPayloadType: Int { self == .pcmu ? 0 : 8 }
}

/// The negotiated media of a call.
public struct SIPMedia: Sendable, Hashable {
    /// Where to send RTP (the remote party's address and port).
    public var remote: SIPEndpoint
    /// The audio codec.
    public var codec: SIPAudioCodec
    /// The RTP payload type for audio (0 or 8 unless the remote mapped G.711 dynamically).
    public var payloadType: Int
    /// The RFC 4733 telephone-event payload type, when both sides use it.
    public var telephoneEventPayloadType: Int?
    /// Packet duration in milliseconds (Switchboard always sends 20).
    public var ptime: Int
    /// The local direction: `.sendrecv` normally; `.recvonly` or `.inactive` when the remote
    /// party put the call on hold (send nothing); `.sendonly` when the remote only listens.
    public var direction: SDPDirection

    /// Creates a media description.
    public init(remote: SIPEndpoint, codec: SIPAudioCodec, payloadType: Int, telephoneEventPayloadType: Int?, ptime: Int = 20, direction: SDPDirection = .sendrecv) {
        self.remote = remote
        self.codec = codec
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.ptime = ptime
        self.direction = direction
    }

    /// True when Switchboard should send audio.
    public var shouldSend: Bool {
        (direction == .sendrecv || direction == .sendonly) && remote.host != "0.0.0.0" && remote.port != 0
    }

    /// The audio payload type as the 7-bit RTP field, or nil when it does not fit (negotiation
    /// only produces 0–127; this keeps a hand-made value from trapping in `UInt8(_:)`).
    public var rtpPayloadType: UInt8? {
        UInt8(exactly: payloadType).flatMap { $0 <= 127 ? $0 : nil }
    }

    /// The telephone-event payload type as the 7-bit RTP field, when negotiated and valid.
    public var rtpTelephoneEventPayloadType: UInt8? {
        telephoneEventPayloadType.flatMap { UInt8(exactly: $0) }.flatMap { $0 <= 127 ? $0 : nil }
    }

    /// True when the remote party has put the call on hold.
    public var isOnHold: Bool { !shouldSend }
}
