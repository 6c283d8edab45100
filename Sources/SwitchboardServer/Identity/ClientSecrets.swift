import Crypto
import Foundation
import RealtimeProtocol

/// What a client secret proves: who its sessions belong to and how they start. Minted by a
/// trusted backend (a server key), carried by a browser.
struct ClientSecretClaims: Sendable, Equatable {
    /// The secret's id (`jti`), for logs.
    var id: String
    var issuedAt: Int
    /// Seconds since the epoch after which no new session may open with it.
    var expiresAt: Int
    var customerID: String?
    var customerName: String?
    /// The session the secret opens (a UUID); `nil`: the client's own UUID, or a new one.
    var sessionStateKey: String?
    /// The agent new sessions start with.
    var agent: String?
    /// The session settings the client starts with (GA shape; formats, modalities).
    var session: JSONObject?
    /// The id of the key that minted it (the per-key limits count its sessions); `nil`: minted
    /// on a keyless loopback hub.
    var minter: String?
}

/// Client secrets are compact JWTs (RFC 7519, HS256) behind the prefix `ek_`, signed with the
/// hub's `--secret-key` by HMAC-SHA256 (swift-crypto). Every replica with the same key accepts
/// them; nothing is stored.
struct ClientSecretSigner: Sendable {
    enum Failure: Error, Equatable {
        case malformed, badSignature, expired
    }

    static let prefix = "ek_"
    private let key: SymmetricKey

    init(secret: String) {
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// A random per-process key (a loopback hub with the memory store and no `--secret-key`).
    static func random() -> ClientSecretSigner {
        ClientSecretSigner(secret: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() })
    }

    func mint(_ claims: ClientSecretClaims) -> String {
        let header = JSONValue.object(["alg": .string("HS256"), "typ": .string("JWT")]).jsonString
        var payload: [(String, JSONValue)] = [
            ("iss", .string("switchboard")), ("jti", .string(claims.id)),
            ("iat", .int(claims.issuedAt)), ("exp", .int(claims.expiresAt)),
        ]
        var hub: [(String, JSONValue)] = []
        if let v = claims.customerID { hub.append(("customer_id", .string(v))) }
        if let v = claims.customerName { hub.append(("customer_name", .string(v))) }
        if let v = claims.sessionStateKey { hub.append(("session_state_key", .string(v))) }
        if let v = claims.agent { hub.append(("agent", .string(v))) }
        if !hub.isEmpty { payload.append(("hub", .object(JSONObject(hub)))) }
        if let session = claims.session { payload.append(("session", .object(session))) }
        if let minter = claims.minter { payload.append(("mk", .string(minter))) }
        let signingInput = Self.base64URL(Array(header.utf8)) + "." + Self.base64URL(Array(JSONValue.object(JSONObject(payload)).jsonString.utf8))
        return Self.prefix + signingInput + "." + Self.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)))
    }

    /// The claims of `token` when it is a secret this hub's key signed and it has not expired at `now`.
    func verify(_ token: String, now: Date = Date()) -> Result<ClientSecretClaims, Failure> {
        guard token.hasPrefix(Self.prefix), token.utf8.count < 16 * 1024 else { return .failure(.malformed) }
        let parts = token.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(parts[2]) else { return .failure(.malformed) }
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            return .failure(.badSignature)
        }
        guard let headerBytes = Self.decodeBase64URL(parts[0]), let header = (try? JSONParser.parse(headerBytes))?.objectValue,
              header["alg"]?.stringValue == "HS256",
              let payloadBytes = Self.decodeBase64URL(parts[1]), let payload = (try? JSONParser.parse(payloadBytes))?.objectValue,
              let id = payload["jti"]?.stringValue, let issued = payload["iat"]?.intValue, let expires = payload["exp"]?.intValue
        else { return .failure(.malformed) }
        guard Int(now.timeIntervalSince1970) < expires else { return .failure(.expired) }
        let hub = payload["hub"]?.objectValue
        return .success(ClientSecretClaims(
            id: id, issuedAt: issued, expiresAt: expires,
            customerID: hub?["customer_id"]?.stringValue, customerName: hub?["customer_name"]?.stringValue,
            sessionStateKey: hub?["session_state_key"]?.stringValue, agent: hub?["agent"]?.stringValue,
            session: payload["session"]?.objectValue, minter: payload["mk"]?.stringValue))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
