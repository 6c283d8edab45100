/// Identifies a server transaction (RFC 3261 §17.2.3): branch, sent-by and method (ACK → INVITE).
struct ServerTransactionKey: Hashable, Sendable, Comparable {
    var branch: String
    var sentBy: String
    var method: String

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.branch, lhs.sentBy, lhs.method) < (rhs.branch, rhs.sentBy, rhs.method)
    }
}

/// A server transaction's state and its last response (re-sent to retransmitted requests).
struct ServerTransaction: Sendable {
    enum State: Sendable { case proceeding, completed, confirmed, accepted }

    var state: State
    let isInvite: Bool
    let callID: String?
    var response: [UInt8]?
    let destination: SIPEndpoint
    /// Timer G interval (non-2xx final responses to INVITE).
    var retransmitInterval: Duration
    var retransmitAt: ContinuousClock.Instant?
    /// Timer H, I or J, or the end of the accepted state.
    var expiresAt: ContinuousClock.Instant?
}

/// A client transaction (INVITE, BYE, CANCEL) with its retransmission timers.
struct ClientTransaction: Sendable {
    enum State: Sendable { case calling, proceeding, completed }

    let method: String
    let callID: String
    let request: [UInt8]
    let destination: SIPEndpoint
    var state: State = .calling
    /// Timer A or E interval.
    var retransmitInterval: Duration
    var retransmitAt: ContinuousClock.Instant?
    /// Timer B or F.
    var timeoutAt: ContinuousClock.Instant?
    /// Timer D (absorbing retransmitted final responses).
    var expiresAt: ContinuousClock.Instant?
    /// The ACK for a non-2xx final response, re-sent when that response is retransmitted.
    var ack: [UInt8]?

    static func key(branch: String, method: String) -> String { branch + " " + method }
}

/// A 2xx response to INVITE that the UAS core retransmits until the ACK arrives (RFC 3261 §13.3.1.4).
struct PendingSuccess: Sendable {
    var bytes: [UInt8]
    var destination: SIPEndpoint
    var cseq: UInt32
    var interval: Duration
    var nextAt: ContinuousClock.Instant
    var giveUpAt: ContinuousClock.Instant
}

/// A REFER sent in a call's dialog, until its outcome (RFC 3515: the implicit subscription).
struct PendingTransfer: Sendable {
    /// The REFER's CSeq number (the `id` of its `Event: refer`).
    var cseq: UInt32
    /// The REFER's client transaction key.
    var transactionKey: String
    /// A 2xx to the REFER arrived.
    var accepted = false
    /// The last sipfrag status reported.
    var lastStatus: Int?
    /// No final NOTIFY by then: the transfer failed.
    var giveUpAt: ContinuousClock.Instant
}

/// One call and its dialog.
struct SIPCall: Sendable {
    enum Direction: Sendable { case inbound, outbound }
    enum State: Sendable { case offered, accepting, established, calling }

    let id: String
    let direction: Direction
    var state: State
    /// Where in-dialog requests are sent: the INVITE's source (inbound) or the peer (outbound).
    var peer: SIPEndpoint
    let localTag: String
    var remoteTag: String?
    /// Our From/To header value, including our tag.
    var localParty: String
    /// Their From/To header value, including their tag.
    var remoteParty: String
    /// The Request-URI for in-dialog requests (the remote Contact).
    var remoteTarget: String
    var routeSet: [String] = []
    var localCSeq: UInt32 = 1
    var remoteCSeq: UInt32 = 0
    /// True once `.callEnded` was reported (local hang-up before the dialog is fully torn down).
    var endReported = false
    /// A transfer by REFER under way.
    var transfer: PendingTransfer?

    // Inbound.
    var pendingInvite: SIPMessage?
    var pendingInviteSource: SIPEndpoint?
    var offer: SessionDescription?
    var localRTP: SIPEndpoint?
    var sdpSessionID: UInt64 = 0
    var sdpVersion: UInt64 = 1
    var media: SIPMedia?
    var pendingSuccess: PendingSuccess?
    var hangUpAfterAck = false
    /// A re-INVITE without SDP was answered with an offer; the answer comes in the ACK.
    var awaitingAnswerInAck = false

    // Outbound.
    var invite: SIPMessage?
    var inviteBranch: String?
    var receivedProvisional = false
    var cancelRequested = false
    var cancelSent = false
    var successAck: [UInt8]?
    var successAckCSeq: UInt32 = 0
    var successAckExpiresAt: ContinuousClock.Instant?
}
