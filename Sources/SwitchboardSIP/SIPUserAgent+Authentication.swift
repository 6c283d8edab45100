/// Who may start calls, and how a caller's number is proven.
///
/// An INVITE from a trusted address (`trusted`, e.g. the PBX or trunk in front of the hub) is
/// accepted and its `P-Asserted-Identity` (else `From`) is believed, as RFC 3325 describes for a
/// trust domain. Anyone else must answer a digest challenge (RFC 3261 §22, RFC 7616: MD5 or
/// SHA-256, `qop=auth`) as a user of `users`, and the call is then from that user's number
/// whatever From or P-Asserted-Identity claim. Without `users` such INVITEs get 403 Forbidden.
public struct SIPAuthentication: Sendable {
    /// Addresses whose INVITEs and asserted identities are believed.
    public var trusted: SIPTrustedNetworks
    /// The digest realm (`WWW-Authenticate: Digest realm=…`).
    public var realm: String
    /// Users who may call from elsewhere; nil: nobody may.
    public var users: SIPDigestUsers?
    /// Signs nonces; replicas with the same secret and realm accept each other's.
    public var nonces: SIPNonceSigner
    /// Seconds a nonce is good for; an older one with right credentials gets `stale=true`.
    public var nonceLifetime: Int64 = 300
    /// Seconds a nonce's time may lie in the future (clock differences between replicas).
    public var clockSkew: Int64 = 30
    /// Algorithms offered, one `WWW-Authenticate` each in order of preference (RFC 7616 §3.7,
    /// RFC 8760). MD5 comes first: sipp, older baresip and many phones answer only the first
    /// challenge and know only MD5; clients that do SHA-256 can still pick the second.
    public var algorithms: [SIPDigest.Algorithm] = [.md5, .sha256]
    /// The wall clock in Unix seconds (nonces carry it, so replicas agree on their age).
    public var wallClock: @Sendable () -> Int64

    /// Creates the policy; `secret` keys the nonce signatures (the same on every replica).
    public init(trusted: SIPTrustedNetworks, realm: String, users: SIPDigestUsers?, secret: [UInt8],
                nonceLifetime: Int64 = 300, wallClock: @escaping @Sendable () -> Int64) {
        self.trusted = trusted
        self.realm = realm
        self.users = users
        self.nonces = SIPNonceSigner(secret: secret, realm: realm)
        self.nonceLifetime = nonceLifetime
        self.wallClock = wallClock
    }

    /// Every address trusted: no authentication (the agent's default; the hub always configures one).
    public static let trustingEveryone = SIPAuthentication(trusted: .everyone, realm: "switchboard", users: nil, secret: [],
                                                           wallClock: { 0 })
}

/// How an accepted caller's number was proven.
public enum SIPCallerProof: Sendable, Hashable {
    /// The INVITE came from a trusted address: its P-Asserted-Identity (else From) is believed.
    case trustedPeer
    /// The caller answered the digest challenge as this user; the number is the user's.
    case digest(user: String)
}

/// The highest nonce-count seen for a nonce (RFC 7616 §3.4: a repeated count is a replay).
struct NonceUse: Sendable, Hashable {
    var count: UInt32
    var issued: Int64
}

extension SIPUserAgent {
    /// Nonces whose counts are remembered at most (older ones are forgotten first).
    static let maximumTrackedNonces = 20_000

    /// What an INVITE's source and credentials allow.
    enum InviteAuthorization {
        case trusted
        case authenticated(SIPDigestUsers.User)
        case refused(status: Int, reason: String, headers: [(String, String)])
    }

    /// True when `host` is a trusted peer.
    func isTrusted(_ host: String) -> Bool { authentication.trusted.contains(host: host) }

    /// Checks a new INVITE's source, then its digest credentials.
    mutating func authorize(_ request: SIPMessage, method: String, source: SIPEndpoint) -> InviteAuthorization {
        if isTrusted(source.host) { return .trusted }
        guard let users = authentication.users else {
            statistics.authForbidden += 1
            return .refused(status: 403, reason: "Forbidden (Untrusted Address)", headers: [])
        }
        let now = authentication.wallClock()
        let realm = authentication.realm
        let offered = request.headers.values("Authorization").compactMap(SIPDigestCredentials.init(parsing:))
        guard let credentials = offered.first(where: { $0.realm == realm }) else {
            statistics.authChallenged += 1
            return challenge(now: now, stale: false)
        }
        guard let name = credentials.username, let user = users[name],
              let algorithm = SIPDigest.Algorithm(name: credentials.algorithmName), authentication.algorithms.contains(algorithm),
              credentials.qop?.lowercased() == "auth", let cnonce = credentials.cnonce, !cnonce.isEmpty,
              let countText = credentials.nonceCount, countText.utf8.count == 8, let count = UInt32(countText, radix: 16), count > 0,
              let nonce = credentials.nonce, let uri = credentials.uri, uri == request.requestURIText,
              let response = credentials.response, let ha1 = user.ha1(realm: realm, algorithm: algorithm) else {
            statistics.authFailed += 1
            return challenge(now: now, stale: false)
        }
        let expected = SIPDigest.response(ha1: ha1, nonce: nonce, nonceCount: countText, cnonce: cnonce, method: method,
                                          uri: uri, algorithm: algorithm)
        guard SIPDigest.constantTimeEqual(expected, response.lowercased()) else {
            statistics.authFailed += 1
            return challenge(now: now, stale: false)
        }
        // Right credentials; now the nonce: ours, not from the future, not too old.
        guard let issued = authentication.nonces.issueTime(of: nonce), issued <= now + authentication.clockSkew else {
            statistics.authFailed += 1
            return challenge(now: now, stale: false)
        }
        if now - issued > authentication.nonceLifetime {
            statistics.authStale += 1
            return challenge(now: now, stale: true)
        }
        if let seen = nonceCounts[nonce], count <= seen.count {
            statistics.authReplayed += 1
            return challenge(now: now, stale: false)
        }
        rememberNonceCount(nonce, count: count, issued: issued, now: now)
        statistics.authAccepted += 1
        return .authenticated(user)
    }

    /// 401 Unauthorized with one challenge per algorithm, all with one fresh nonce.
    private func challenge(now: Int64, stale: Bool) -> InviteAuthorization {
        let nonce = authentication.nonces.make(time: now)
        let headers = authentication.algorithms.map {
            ("WWW-Authenticate", SIPDigest.challenge(realm: authentication.realm, nonce: nonce, algorithm: $0, stale: stale))
        }
        return .refused(status: 401, reason: "Unauthorized", headers: headers)
    }

    private mutating func rememberNonceCount(_ nonce: String, count: UInt32, issued: Int64, now: Int64) {
        if nonceCounts[nonce] == nil, nonceCounts.count >= Self.maximumTrackedNonces {
            // Expired nonces are refused as stale anyway: forget them first, then the oldest.
            let horizon = now - authentication.nonceLifetime - authentication.clockSkew
            nonceCounts = nonceCounts.filter { $0.value.issued >= horizon }
            if nonceCounts.count >= Self.maximumTrackedNonces,
               let oldest = nonceCounts.min(by: { $0.value.issued < $1.value.issued })?.key {
                nonceCounts[oldest] = nil
            }
        }
        nonceCounts[nonce] = NonceUse(count: count, issued: issued)
    }
}
