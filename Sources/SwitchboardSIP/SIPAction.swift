/// Something the SIP user agent asks its owner to do or to know.
public enum SIPAction: Sendable, Hashable {
    /// Send this datagram over the SIP UDP socket.
    case send([UInt8], to: SIPEndpoint)
    /// A new call was offered; answer with `accept` or `reject`.
    case incomingCall(SIPCallOffer)
    /// An outbound call was answered; media can flow.
    case callAnswered(callID: String, media: SIPMedia)
    /// A re-INVITE changed the remote address, codec or hold state (already answered).
    case mediaChanged(callID: String, media: SIPMedia)
    /// The call is over; release its media. Reported exactly once per call.
    case callEnded(callID: String, reason: SIPCallEndReason)
}

/// Why a call ended.
public enum SIPCallEndReason: Sendable, Hashable {
    /// The remote party sent BYE.
    case remoteHangUp
    /// The caller cancelled before the call was answered.
    case cancelled
    /// Switchboard answered but the caller never acknowledged (64 × T1); a BYE was sent.
    case noAck
    /// An outbound INVITE got no response at all (Timer B).
    case timeout
    /// An outbound call was refused with this final status (3xx–6xx), or answered unusably (488).
    case failed(Int)
    /// Switchboard ended the call (`hangUp` or `reject`).
    case localHangUp
}

/// An incoming call waiting to be accepted or rejected.
public struct SIPCallOffer: Sendable, Hashable {
    /// The SIP Call-ID, used as the call's identifier in every API.
    public var callID: String
    /// The caller in E.164 form (`+15551234567`), if a number: from P-Asserted-Identity or From
    /// for a trusted peer, the users file's number for a caller who authenticated.
    public var callerNumber: String?
    /// How `callerNumber` was proven; nil: it was not.
    public var callerProof: SIPCallerProof?
    /// True when `callerNumber` was proven (a trusted peer or digest credentials).
    public var callerVerified: Bool { callerProof != nil }
    /// The caller's display name, if sent.
    public var callerDisplayName: String?
    /// The caller's URI (From) as written.
    public var callerURI: String
    /// The dialled number in E.164 form, from the Request-URI (or To) user part, if a number.
    public var calledNumber: String?
    /// The Request-URI user part as written (for routing non-numeric destinations).
    public var calledUser: String?
    /// The negotiated media (remote RTP address, codec, payload types, direction).
    public var media: SIPMedia
    /// The address the INVITE came from.
    public var source: SIPEndpoint

    /// Where to send RTP.
    public var remoteMedia: SIPEndpoint { media.remote }
    /// The chosen codec (Switchboard answers with the same codec).
    public var codec: SIPAudioCodec { media.codec }
    /// The audio payload type.
    public var payloadType: Int { media.payloadType }
    /// The telephone-event payload type, if offered.
    public var telephoneEventPayloadType: Int? { media.telephoneEventPayloadType }
}
