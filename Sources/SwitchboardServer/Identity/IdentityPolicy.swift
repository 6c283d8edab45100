import Foundation
import RealtimeProtocol

/// Who opened a connection, as proven by what it presented.
enum Principal: Sendable, Equatable {
    /// A loopback hub with no keys at all (the embedded defaults): no credential needed.
    case open
    /// An API key of this scope.
    case key(KeyScope, id: String)
    /// A client secret minted by a trusted backend.
    case clientSecret(ClientSecretClaims)

    var scope: KeyScope? {
        if case .key(let scope, _) = self { return scope }
        return nil
    }

    /// Whether it may name customers and open phone-number sessions (a server or admin key).
    var isTrusted: Bool { (scope ?? .client) >= .server }

    /// How `switchboard_session_credentials_total` names it.
    var credentialLabel: String {
        switch self {
        case .open: "open"
        case .key(let scope, _): "\(scope)_key"
        case .clientSecret: "client_secret"
        }
    }

    /// The key the per-key limits count against: the key itself, or the key that minted the secret.
    var limitID: String? {
        switch self {
        case .open: nil
        case .key(_, let id): id
        case .clientSecret(let claims): claims.minter.map { $0 }
        }
    }
}

/// Checks credentials: scoped API keys (hashed) and client secrets (signed).
struct IdentityPolicy: Sendable {
    let keys: KeyStore
    let secrets: ClientSecretSigner
    /// A loopback hub with no keys: every connection is `.open`.
    let isOpen: Bool

    init(configuration: HubConfiguration) {
        keys = KeyStore(client: configuration.apiKeys, server: configuration.serverKeys, admin: configuration.adminKeys)
        secrets = configuration.secretKey.map(ClientSecretSigner.init(secret:)) ?? .random()
        isOpen = configuration.isLoopback && keys.isEmpty
    }

    /// The principal `presented` proves, or `nil` (refused: `invalid_api_key`). A client secret
    /// that is expired, tampered with or unknown is refused even on an open hub.
    func authenticate(_ presented: [String], now: Date = Date()) -> Principal? {
        var best: Principal?
        for credential in presented {
            if credential.hasPrefix(ClientSecretSigner.prefix) {
                guard case .success(let claims) = secrets.verify(credential, now: now) else { return nil }
                if best == nil { best = .clientSecret(claims) }
            } else if let (scope, id) = keys.match(credential), (best?.scope ?? .client) <= scope {
                best = .key(scope, id: id)
            }
        }
        return best ?? (isOpen ? .open : nil)
    }

    /// The scope an HTTP route's caller has: a key's, or `.admin` on an open hub; `nil`: none.
    func scope(of presented: [String]) -> KeyScope? {
        if isOpen { return .admin }
        return presented.compactMap { keys.match($0)?.scope }.max()
    }
}

extension RealtimeError {
    /// A per-key limit was hit (OpenAI's code).
    static func rateLimitExceeded(_ message: String) -> RealtimeError {
        RealtimeError(type: "invalid_request_error", code: "rate_limit_exceeded", message: message)
    }
}
