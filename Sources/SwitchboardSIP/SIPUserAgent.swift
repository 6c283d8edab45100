/// A deterministic SIP user agent over UDP: an RFC 3261 UAS plus a minimal UAC for outbound calls.
///
/// It performs no I/O and reads no clock: feed it datagrams with `receive`, call `tick` when
/// `nextDeadline` passes, and carry out the returned `SIPAction`s in order.
///
/// Incoming calls: an INVITE is answered at once with 100 Trying and 180 Ringing, then reported as
/// `.incomingCall`; `accept` sends 200 OK with the SDP answer, `reject` a final error. Every call
/// reported by `.incomingCall` or started with `call(...)` ends with exactly one `.callEnded`.
/// In-dialog requests (BYE) are sent to the address the INVITE came from (inbound) or to the
/// peer given to `call` (outbound), which is what NAT traversal needs; no DNS is involved.
public struct SIPUserAgent: Sendable {
    /// Addresses, identity and RFC 3261 timer values.
    public struct Configuration: Sendable, Hashable {
        /// The IP address Switchboard's SIP socket is reachable at (used in Via, Contact, SDP o=).
        public var localHost: String
        /// The SIP UDP port.
        public var localPort: Int
        /// The User-Agent / Server header value.
        public var userAgent: String = "Switchboard"
        /// RTT estimate (Timer T1).
        public var t1: Duration = .milliseconds(500)
        /// Maximum retransmission interval for non-INVITE requests and INVITE responses (T2).
        public var t2: Duration = .seconds(4)
        /// Maximum time a message stays in the network (T4).
        public var t4: Duration = .seconds(5)
        /// Methods answered; others get 405 (known SIP methods) or 501 (unknown). NOTIFY carries
        /// the progress of a transfer by REFER; outside one it gets 481.
        public var allowedMethods = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "NOTIFY"]
        /// How long a transfer by REFER may take to report a final status (from the REFER's
        /// acceptance); then it has failed and the call goes on.
        public var referTimeout: Duration = .seconds(30)
        /// Calls known at once (inbound and outbound, any state) beyond which a new INVITE gets
        /// 503 Service Unavailable with Retry-After; nil: no limit.
        public var maxCalls: Int?
        /// Seconds a caller refused by `maxCalls` is told to wait (Retry-After).
        public var maxCallsRetryAfter = 30
        /// New INVITEs (not re-INVITEs or retransmissions) accepted per second from one source
        /// IP, as a token bucket; nil or 0: no limit.
        public var invitesPerSecond: Double?
        /// The token bucket's size (the burst one source may send at once); nil: twice the rate,
        /// at least 1.
        public var inviteBurst: Int?
        /// Server transactions kept at most; beyond it requests get a stateless 503 (a flood of
        /// OPTIONS with fresh branches cannot grow memory or the timer work without bound).
        public var maxServerTransactions = 10_000
        /// Send media to the SDP `c=` address even when it is not the IP the signalling came
        /// from. Off: the remote RTP address is the signalling source IP with the SDP port, so a
        /// forged `c=` cannot turn the hub into a reflector aimed at someone else.
        public var mediaToAnyAddress = false

        /// Creates a configuration.
        public init(localHost: String, localPort: Int, userAgent: String = "Switchboard", t1: Duration = .milliseconds(500),
                    t2: Duration = .seconds(4), t4: Duration = .seconds(5),
                    allowedMethods: [String] = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "NOTIFY"],
                    maxCalls: Int? = nil, invitesPerSecond: Double? = nil, inviteBurst: Int? = nil,
                    maxServerTransactions: Int = 10_000, mediaToAnyAddress: Bool = false) {
            self.localHost = localHost
            self.localPort = localPort
            self.userAgent = userAgent
            self.t1 = t1
            self.t2 = t2
            self.t4 = t4
            self.allowedMethods = allowedMethods
            self.maxCalls = maxCalls
            self.invitesPerSecond = invitesPerSecond
            self.inviteBurst = inviteBurst
            self.maxServerTransactions = maxServerTransactions
            self.mediaToAnyAddress = mediaToAnyAddress
        }
    }

    /// What the agent refused or corrected, for monitoring (counts since creation).
    public struct Statistics: Sendable, Hashable {
        /// New INVITEs refused with 503 because `maxCalls` calls were in progress.
        public var refusedMaxCalls = 0
        /// New INVITEs refused with 503 because their source exceeded `invitesPerSecond`.
        public var refusedInviteRate = 0
        /// Requests refused with a stateless 503 because `maxServerTransactions` were open.
        public var refusedOverload = 0
        /// Requests answered 400 Bad Request.
        public var badRequests = 0
        /// INVITEs answered 488 Not Acceptable Here (an SDP that cannot be negotiated).
        public var notAcceptable = 0
        /// Offers or answers whose `c=` address was replaced by the signalling source IP.
        public var mediaAddressesConfined = 0
        /// INVITEs from untrusted addresses answered 401 because they carried no credentials.
        public var authChallenged = 0
        /// INVITEs whose credentials were wrong (unknown user, bad response, foreign nonce): 401.
        public var authFailed = 0
        /// INVITEs with right credentials on an expired nonce: 401 with `stale=true`.
        public var authStale = 0
        /// INVITEs repeating a nonce-count already used (a replay): 401.
        public var authReplayed = 0
        /// INVITEs from untrusted addresses refused with 403 because no users are configured.
        public var authForbidden = 0
        /// INVITEs accepted on valid digest credentials.
        public var authAccepted = 0

        /// All zero.
        public init() {}
    }

    /// Counters since creation.
    public internal(set) var statistics = Statistics()

    /// The configuration.
    public let configuration: Configuration
    /// Who may start calls without credentials, and the digest users for everyone else.
    public let authentication: SIPAuthentication

    var calls: [String: SIPCall] = [:]
    var serverTransactions: [ServerTransactionKey: ServerTransaction] = [:]
    var clientTransactions: [String: ClientTransaction] = [:]
    /// Per-source-IP INVITE token buckets (only with `invitesPerSecond`).
    var inviteBuckets: [String: TokenBucket] = [:]
    var lastBucketPrune: ContinuousClock.Instant?
    /// Nonce-counts seen per nonce (replays are refused).
    var nonceCounts: [String: NonceUse] = [:]

    /// Creates a user agent with no calls. The default `authentication` trusts every address;
    /// the hub passes its `--sip-trust` and `--sip-users` policy.
    public init(configuration: Configuration, authentication: SIPAuthentication = .trustingEveryone) {
        self.configuration = configuration
        self.authentication = authentication
    }

    /// Call-IDs of calls currently known (offered, ringing, established or being torn down).
    public var activeCallIDs: [String] { calls.keys.sorted() }

    /// The negotiated media of a call, once known.
    public func media(callID: String) -> SIPMedia? { calls[callID]?.media }

    /// A datagram arrived.
    public mutating func receive(_ datagram: [UInt8], from source: SIPEndpoint, now: ContinuousClock.Instant) -> [SIPAction] {
        // Empty datagrams and CRLF keep-alives (RFC 5626 §3.5.1) are ignored.
        if datagram.allSatisfy({ $0 == 13 || $0 == 10 || $0 == 32 || $0 == 9 }) { return [] }
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: datagram)
        } catch {
            guard let partial = error.partial, partial.isRequest, partial.method != "ACK", partial.topVia != nil else { return [] }
            statistics.badRequests += 1
            return respondStatelessly(to: partial, source: source, status: 400, reason: "Bad Request (\(error.message))")
        }
        if message.isRequest {
            return handleRequest(message, from: source, now: now)
        }
        return handleResponse(message, now: now)
    }

    /// Timers: call whenever `nextDeadline` passes (calling more often is fine).
    public mutating func tick(now: ContinuousClock.Instant) -> [SIPAction] {
        var actions: [SIPAction] = []
        actions += tickServerTransactions(now: now)
        actions += tickClientTransactions(now: now)
        actions += tickCalls(now: now)
        return actions
    }

    /// The earliest instant at which `tick` has work to do.
    public var nextDeadline: ContinuousClock.Instant? {
        var deadlines: [ContinuousClock.Instant] = []
        for transaction in serverTransactions.values {
            if let at = transaction.retransmitAt { deadlines.append(at) }
            if let at = transaction.expiresAt { deadlines.append(at) }
        }
        for transaction in clientTransactions.values {
            if let at = transaction.retransmitAt { deadlines.append(at) }
            if let at = transaction.timeoutAt { deadlines.append(at) }
            if let at = transaction.expiresAt { deadlines.append(at) }
        }
        for call in calls.values {
            if let pending = call.pendingSuccess { deadlines.append(min(pending.nextAt, pending.giveUpAt)) }
            if let at = call.successAckExpiresAt { deadlines.append(at) }
            if let at = call.transfer?.giveUpAt { deadlines.append(at) }
        }
        return deadlines.min()
    }

    // MARK: - Timers

    private mutating func tickServerTransactions(now: ContinuousClock.Instant) -> [SIPAction] {
        var actions: [SIPAction] = []
        // Only due transactions are sorted (for deterministic output): a tick costs one pass.
        let due = serverTransactions.compactMap { key, transaction -> ServerTransactionKey? in
            (transaction.expiresAt.map { $0 <= now } ?? false) || (transaction.retransmitAt.map { $0 <= now } ?? false) ? key : nil
        }
        for key in due.sorted() {
            guard var transaction = serverTransactions[key] else { continue }
            if let expiry = transaction.expiresAt, expiry <= now {
                serverTransactions[key] = nil
                continue
            }
            if let at = transaction.retransmitAt, at <= now, let response = transaction.response {
                actions.append(.send(response, to: transaction.destination))
                transaction.retransmitInterval = min(transaction.retransmitInterval * 2, configuration.t2)
                transaction.retransmitAt = now + transaction.retransmitInterval
            }
            serverTransactions[key] = transaction
        }
        return actions
    }

    private mutating func tickClientTransactions(now: ContinuousClock.Instant) -> [SIPAction] {
        var actions: [SIPAction] = []
        let due = clientTransactions.compactMap { key, transaction -> String? in
            [transaction.expiresAt, transaction.timeoutAt, transaction.retransmitAt].contains { $0.map { $0 <= now } ?? false } ? key : nil
        }
        for key in due.sorted() {
            guard var transaction = clientTransactions[key] else { continue }
            if let expiry = transaction.expiresAt, expiry <= now {
                clientTransactions[key] = nil
                continue
            }
            if let timeout = transaction.timeoutAt, timeout <= now {
                clientTransactions[key] = nil
                if transaction.method == "INVITE", let call = calls.removeValue(forKey: transaction.callID), !call.endReported {
                    actions.append(.callEnded(callID: call.id, reason: .timeout))
                }
                if transaction.method == "REFER" { actions += referTimedOut(callID: transaction.callID, transactionKey: key) }
                continue
            }
            if let at = transaction.retransmitAt, at <= now {
                actions.append(.send(transaction.request, to: transaction.destination))
                let doubled = transaction.retransmitInterval * 2
                transaction.retransmitInterval = transaction.method == "INVITE" ? doubled : min(doubled, configuration.t2)
                transaction.retransmitAt = now + transaction.retransmitInterval
            }
            clientTransactions[key] = transaction
        }
        return actions
    }

    private mutating func tickCalls(now: ContinuousClock.Instant) -> [SIPAction] {
        var actions: [SIPAction] = []
        for id in calls.keys.sorted() {
            guard var call = calls[id] else { continue }
            if let expiry = call.successAckExpiresAt, expiry <= now {
                call.successAck = nil
                call.successAckExpiresAt = nil
            }
            if let transfer = call.transfer, transfer.giveUpAt <= now {
                call.transfer = nil
                actions.append(.transferEnded(callID: id, outcome: .timedOut))
            }
            if var pending = call.pendingSuccess {
                if pending.giveUpAt <= now {
                    // No ACK for our 2xx: the dialog is confirmed and then ended with BYE (§13.3.1.4).
                    call.pendingSuccess = nil
                    call.state = .established
                    actions += abandonTransfer(&call)
                    actions += sendBye(&call, now: now)
                    calls[id] = nil
                    if !call.endReported { actions.append(.callEnded(callID: id, reason: .noAck)) }
                    continue
                }
                if pending.nextAt <= now {
                    actions.append(.send(pending.bytes, to: pending.destination))
                    pending.interval = min(pending.interval * 2, configuration.t2)
                    pending.nextAt = now + pending.interval
                    call.pendingSuccess = pending
                }
            }
            calls[id] = call
        }
        return actions
    }

    // MARK: - Shared helpers

    /// `<sip:switchboard@host:port>`.
    var contactValue: String {
        "<sip:switchboard@" + SIPEndpoint(host: configuration.localHost, port: configuration.localPort).description + ">"
    }

    /// A Via for a new request from this agent.
    func newVia(branch: String) -> String {
        SIPVia(host: configuration.localHost, port: configuration.localPort, branch: branch, rport: true).description
    }

    /// `64 × T1`, the transaction timeout.
    var timeout64: Duration { configuration.t1 * 64 }

    /// Random 32-bit-sized value for SDP session ids.
    static func randomSessionID() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return UInt64.random(in: 1...0xFFFF_FFFF, using: &generator)
    }
}
