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
    /// A NOTIFY told how a transfer started with `refer` goes: the status line of its
    /// `message/sipfrag` body (100 Trying, 180 Ringing, 200 OK, 486 Busy Here…).
    case transferProgress(callID: String, status: Int)
    /// A transfer started with `refer` is over, reported once per `refer`. When it completed,
    /// the call is ended with BYE and `.callEnded(.transferred)` follows; otherwise the call stays up.
    case transferEnded(callID: String, outcome: SIPTransferOutcome)
}

/// How a transfer by REFER (RFC 3515, RFC 5589 basic transfer) ended.
public enum SIPTransferOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The transfer target answered (a final 2xx sipfrag): the caller is theirs now.
    case completed(status: Int)
    /// The peer refused the REFER itself (405, 501: it does not do transfers; 403, 603…).
    case refused(status: Int)
    /// The peer tried and the target did not answer: the final sipfrag status (486, 404, 487…).
    case failed(status: Int)
    /// The peer ended the subscription (`Subscription-State: terminated`) without a final status.
    case terminatedWithoutResult
    /// No answer to the REFER, or no final NOTIFY within `referTimeout`.
    case timedOut
    /// The call ended before the transfer's outcome was known.
    case callEnded
    /// The REFER was not sent (the call is not established, a transfer is already under way,
    /// or the target is neither a SIP URI nor a number).
    case notSent(String)

    /// True only for `.completed`.
    public var succeeded: Bool {
        if case .completed = self { return true }
        return false
    }

    /// Words for logs and for the agent.
    public var description: String {
        switch self {
        case .completed(let status): "the transfer target answered (\(status))"
        case .refused(let status): "the other side refused the transfer request (\(status)\(status == 405 || status == 501 ? ": it does not accept transfers" : ""))"
        case .failed(let status): "the transfer target could not be reached (\(status))"
        case .terminatedWithoutResult: "the other side ended the transfer without saying how it went"
        case .timedOut: "no outcome of the transfer arrived in time"
        case .callEnded: "the call ended before the transfer was through"
        case .notSent(let reason): "the transfer was not requested: \(reason)"
        }
    }
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
    /// A transfer by REFER completed; Switchboard ended its own dialog with BYE.
    case transferred
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
