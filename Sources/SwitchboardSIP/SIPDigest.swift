import Crypto

/// HTTP digest authentication as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC 7616): the hash
/// algorithms, the `Authorization` credentials, the response computation and challenges.
public enum SIPDigest {
    /// The digest algorithms the hub accepts (`qop=auth` only; no `-sess`).
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case sha256 = "SHA-256"
        case md5 = "MD5"

        /// The algorithm named by an `algorithm=` value (case-insensitive), or nil.
        public init?(name: String) {
            switch name.uppercased() {
            case "MD5": self = .md5
            case "SHA-256": self = .sha256
            default: return nil
            }
        }

        /// The lowercase hex digest of `text`'s UTF-8 bytes.
        public func hash(_ text: String) -> String {
            switch self {
            case .md5: return hex(Insecure.MD5.hash(data: Array(text.utf8)))
            case .sha256: return hex(SHA256.hash(data: Array(text.utf8)))
            }
        }

        /// Hex digits of one digest.
        public var hexLength: Int { self == .md5 ? 32 : 64 }
    }

    /// `H(username:realm:password)`, what a users file may store instead of the password.
    public static func ha1(username: String, realm: String, password: String, algorithm: Algorithm) -> String {
        algorithm.hash(username + ":" + realm + ":" + password)
    }

    /// The `response` value for `qop=auth` (RFC 7616 §3.4.1):
    /// `H(HA1:nonce:nc:cnonce:qop:H(method:uri))`.
    public static func response(ha1: String, nonce: String, nonceCount: String, cnonce: String, qop: String = "auth",
                                method: String, uri: String, algorithm: Algorithm) -> String {
        let ha2 = algorithm.hash(method + ":" + uri)
        return algorithm.hash([ha1, nonce, nonceCount, cnonce, qop, ha2].joined(separator: ":"))
    }

    /// A `WWW-Authenticate` value: `Digest realm="…", nonce="…", algorithm=…, qop="auth"`, with
    /// `stale=true` when the credentials were right but the nonce too old.
    public static func challenge(realm: String, nonce: String, algorithm: Algorithm, stale: Bool) -> String {
        var value = "Digest realm=\"\(quotedEscaped(realm))\", nonce=\"\(nonce)\", algorithm=\(algorithm.rawValue), qop=\"auth\""
        if stale { value += ", stale=true" }
        return value
    }

    /// Lowercase hex of bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    /// Bytes of an even-length hex string, or nil.
    static func bytes(hex text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = hexDigit(characters[index]), let low = hexDigit(characters[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static func quotedEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}

/// The digest credentials of an `Authorization` header (RFC 3261 §25.1, RFC 7616 §3.4).
public struct SIPDigestCredentials: Sendable, Hashable {
    /// Every parameter, names lowercased, values unquoted.
    public var parameters: [String: String]

    /// Parses `Digest name=value, name="quoted", …`; nil when the scheme is not Digest, a
    /// parameter is malformed or repeated.
    public init?(parsing header: String) {
        let text = header.trimmedSIP
        guard let space = text.firstIndex(where: { $0.isSIPSpace }), text[..<space].equalsIgnoringCase("Digest") else { return nil }
        var parameters: [String: String] = [:]
        for item in splitOutsideQuotes(text[text.index(after: space)...], separator: ",") {
            let pair = item.trimmedSIP
            if pair.isEmpty { continue }
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = pair[..<equals].trimmedSIP.lowercased()
            let rawValue = pair[pair.index(after: equals)...].trimmedSIP
            guard !name.isEmpty, parameters[name] == nil else { return nil }
            if rawValue.first == "\"" {
                guard rawValue.count >= 2, rawValue.last == "\"" else { return nil }
            }
            parameters[name] = unquoted(rawValue)
        }
        self.parameters = parameters
    }

    public var username: String? { parameters["username"] }
    public var realm: String? { parameters["realm"] }
    public var nonce: String? { parameters["nonce"] }
    public var uri: String? { parameters["uri"] }
    public var response: String? { parameters["response"] }
    /// The algorithm; RFC 2617 says an absent one means MD5.
    public var algorithmName: String { parameters["algorithm"] ?? "MD5" }
    public var cnonce: String? { parameters["cnonce"] }
    public var qop: String? { parameters["qop"] }
    public var nonceCount: String? { parameters["nc"] }
}

/// Signed, timestamped nonces: any replica holding the same key accepts a nonce another issued,
/// and an old one is recognised as stale (RFC 7616 §3.3, §5.4), with no shared state.
///
/// A nonce is 64 hex digits: 8 bytes of issue time (Unix seconds, big-endian), 8 random bytes,
/// and the first 16 bytes of HMAC-SHA256(key, "sip-nonce" | time | random | realm).
public struct SIPNonceSigner: Sendable {
    private let key: SymmetricKey
    /// The realm the nonces are for (a nonce from another realm does not verify).
    public let realm: String

    /// A signer whose key is derived from `secret` (every replica must use the same secret).
    public init(secret: [UInt8], realm: String) {
        key = SymmetricKey(data: SHA256.hash(data: Array("switchboard sip nonce key\n".utf8) + secret))
        self.realm = realm
    }

    /// A fresh nonce issued at `time` (Unix seconds).
    public func make(time: Int64, random: UInt64? = nil) -> String {
        var generator = SystemRandomNumberGenerator()
        let randomValue = random ?? generator.next()
        let body = Self.bigEndian(UInt64(bitPattern: time)) + Self.bigEndian(randomValue)
        return SIPDigest.hex(body + mac(body))
    }

    /// The issue time of a nonce this signer (or a replica with the same key) made, or nil when
    /// it was not made with this key and realm.
    public func issueTime(of nonce: String) -> Int64? {
        guard nonce.utf8.count == 64, let bytes = SIPDigest.bytes(hex: nonce) else { return nil }
        let body = Array(bytes[0..<16])
        let expected = mac(body)
        var difference: UInt8 = 0
        for index in 0..<16 { difference |= expected[index] ^ bytes[16 + index] }
        guard difference == 0 else { return nil }
        let time = body[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int64(bitPattern: time)
    }

    private func mac(_ body: [UInt8]) -> [UInt8] {
        let message = Array("sip-nonce".utf8) + body + Array(realm.utf8)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(16).map { $0 }
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}
