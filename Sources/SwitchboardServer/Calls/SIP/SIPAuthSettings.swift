import Foundation
import SwitchboardSIP

extension HubConfiguration {
    /// The SIP bridge's admission policy from `--sip-trust`, `--sip-realm` and `--sip-users`:
    /// trusted peers, the digest realm and users, and the nonce key.
    ///
    /// Nonces are signed with a key derived from the users file's bytes (its passwords or HA1s are
    /// the secret already), so every replica started with the same file accepts the others'
    /// nonces; a changed file invalidates outstanding nonces, and callers are simply challenged again.
    func sipAuthentication(advertisedHost: String) throws(ConfigurationError) -> SIPAuthentication {
        let trusted: SIPTrustedNetworks
        do {
            trusted = try SIPTrustedNetworks(parsing: sipTrust)
        } catch {
            throw ConfigurationError("--sip-trust: \(error.message)")
        }
        let realm = sipRealm ?? advertisedHost
        guard !realm.isEmpty, realm.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value != 127 && $0 != "\"" && $0 != "\\" }) else {
            throw ConfigurationError("--sip-realm must be non-empty text without quotes, backslashes or control characters")
        }
        var users: SIPDigestUsers?
        var secret: [UInt8] = []
        if let path = sipUsersFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("\(path): cannot read the --sip-users file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("\(path): the --sip-users file is not UTF-8 text")
            }
            do {
                users = try SIPDigestUsers(parsing: text, file: path)
            } catch {
                throw ConfigurationError(error.message)
            }
            secret = Array(data)
        }
        var algorithms: [SIPDigest.Algorithm] = []
        for name in sipDigestAlgorithms {
            guard let algorithm = SIPDigest.Algorithm(name: name) else {
                throw ConfigurationError("--sip-digest-algorithms: '\(name)' is not MD5 or SHA-256")
            }
            if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
        }
        guard !algorithms.isEmpty else { throw ConfigurationError("--sip-digest-algorithms must name MD5, SHA-256 or both") }
        var authentication = SIPAuthentication(trusted: trusted, realm: realm, users: users, secret: secret,
                                               wallClock: { Int64(Date().timeIntervalSince1970) })
        authentication.algorithms = algorithms
        return authentication
    }
}
