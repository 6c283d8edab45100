import Foundation
import PostgresNIO
import SwitchboardData

/// A `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE` URL, read as libpq reads it:
/// user, password and database percent-decoded; the port 5432 and the database named after the
/// user when left out; `sslmode` one of `disable`, `prefer` (the default), `require`,
/// `verify-ca` and `verify-full`, where only the last two check the server's certificate.
package struct PostgresURL: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var sslMode: SSLMode

    /// How much TLS the connection asks for.
    enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// The forms accepted, for messages.
    static let form = "postgres://USER:PASSWORD@HOST:PORT/DATABASE"

    /// Reads `text`; throws `DataError.unavailable` saying what is wrong with it (never with the
    /// password in the message).
    package init(parsing text: String) throws(DataError) {
        let shown = DataLocation.postgres(url: text).description
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else { throw DataError.unavailable("\"\(shown)\" is not a PostgreSQL URL; use \(Self.form)") }
        guard var host = components.host, !host.isEmpty else {
            throw DataError.unavailable("\"\(shown)\" has no host; use \(Self.form)")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        guard components.port.map({ (1...65_535).contains($0) }) ?? true else {
            throw DataError.unavailable("\"\(shown)\" has no valid port")
        }
        port = components.port ?? 5432
        guard let user = components.user, !user.isEmpty else {
            throw DataError.unavailable("\"\(shown)\" names no user; use \(Self.form)")
        }
        username = user
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw DataError.unavailable("\"\(shown)\" has a path that is not a database name") }
        database = path.isEmpty ? nil : path
        sslMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw DataError.unavailable("\"\(shown)\": sslmode must be one of \(modes)")
                }
                sslMode = mode
            default:
                throw DataError.unavailable("\"\(shown)\": unknown parameter \"\(item.name)\" (only sslmode is read)")
            }
        }
    }

    /// `host:port/database`, for messages.
    package var endpoint: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port)/\(database ?? username)"
    }

    /// The client configuration: this server and user, the TLS `sslMode` asks for.
    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
    }

    private var tls: PostgresClient.Configuration.TLS {
        var context = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable:
            return .disable
        case .prefer:
            context.certificateVerification = .none
            return .prefer(context)
        case .require:
            context.certificateVerification = .none
            return .require(context)
        case .verifyCA:
            context.certificateVerification = .noHostnameVerification
            return .require(context)
        case .verifyFull:
            return .require(context)
        }
    }
}

extension PostgresURL: CustomStringConvertible {
    /// The URL without its password, safe to log.
    package var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(endpoint)?sslmode=\(sslMode.rawValue)"
    }
}
