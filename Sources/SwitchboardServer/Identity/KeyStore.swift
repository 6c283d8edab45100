import Crypto
import Foundation
import HTTPTypes
import NIOHTTP1

/// What an API key may do. Each scope includes the ones below it: admin ⊇ server ⊇ client.
public enum KeyScope: Int, Sendable, Comparable, CustomStringConvertible {
    /// Open sessions (`--api-key`).
    case client = 1
    /// Also mint client secrets, name the customer of a session, open phone-number sessions (`--server-key`).
    case server = 2
    /// Also place calls (`POST /calls`) and every admin route (`--admin-key`).
    case admin = 3

    public static func < (a: KeyScope, b: KeyScope) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self {
        case .client: "client"
        case .server: "server"
        case .admin: "admin"
        }
    }
}

/// The hub's API keys, kept only as SHA-256 digests. A presented key is hashed and compared with
/// every digest in constant time (no early exit), so neither the keys nor their count leak
/// through timing.
struct KeyStore: Sendable {
    struct Entry: Sendable {
        let digest: [UInt8]
        let scope: KeyScope
        /// A short, stable, non-secret name of the key (the first 12 hex digits of its digest),
        /// for logs and the per-key limits.
        let id: String
    }

    private let entries: [Entry]

    init(client: [String], server: [String], admin: [String]) {
        var entries: [Entry] = []
        for (keys, scope) in [(client, KeyScope.client), (server, .server), (admin, .admin)] {
            for key in keys where !key.isEmpty {
                let digest = Array(SHA256.hash(data: Array(key.utf8)))
                entries.append(Entry(digest: digest, scope: scope, id: Self.id(of: digest)))
            }
        }
        self.entries = entries
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The scope and id of `presented`, when it is one of the keys (the widest scope when a key
    /// was given more than once).
    func match(_ presented: String) -> (scope: KeyScope, id: String)? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var found: Entry?
        for entry in entries {
            var difference: UInt8 = 0
            for i in 0..<digest.count { difference |= digest[i] ^ entry.digest[i] }
            if difference == 0, found.map({ $0.scope < entry.scope }) ?? true { found = entry }
        }
        return found.map { ($0.scope, $0.id) }
    }

    static func id(of digest: [UInt8]) -> String {
        digest.prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// The credentials a WebSocket upgrade carries: `Authorization: Bearer`, `api-key`, and the
    /// `openai-insecure-api-key.` subprotocol.
    static func presented(headers: HTTPHeaders) -> [String] {
        var presented: [String] = []
        if let bearer = headers["Authorization"].first { presented.append(contentsOf: bearerToken(bearer)) }
        presented.append(contentsOf: headers["api-key"])
        for proto in headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init) where proto.hasPrefix(insecureKeyProtocol) {
            presented.append(String(proto.dropFirst(insecureKeyProtocol.count)))
        }
        return presented.filter { !$0.isEmpty }
    }

    /// The credentials an HTTP request carries: `Authorization: Bearer` and `api-key`.
    static func presented(fields: HTTPFields) -> [String] {
        var presented: [String] = []
        if let bearer = fields[.authorization] { presented.append(contentsOf: bearerToken(bearer)) }
        if let name = HTTPField.Name("api-key"), let key = fields[name] { presented.append(key) }
        return presented.filter { !$0.isEmpty }
    }

    static let insecureKeyProtocol = "openai-insecure-api-key."

    private static func bearerToken(_ header: String) -> [String] {
        guard header.lowercased().hasPrefix("bearer ") else { return [] }
        return [String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)]
    }
}
