import Foundation

/// Which web pages may open a WebSocket to the hub (cross-site WebSocket hijacking, DNS
/// rebinding). A request without `Origin` (a program, a phone bridge) is not a page and passes.
/// A page passes when its origin is in `--allowed-origin`, is `--public-url`'s, or is the hub's
/// own: the request's `Host`, which on a loopback hub must also name a loopback address (a
/// rebound DNS name resolves to 127.0.0.1 but keeps its own name in `Host`).
struct OriginPolicy: Sendable {
    let allowed: Set<String>
    let loopbackHub: Bool

    init(configuration: HubConfiguration) {
        var allowed = Set(configuration.allowedOrigins.map(Self.normalise))
        if let publicURL = configuration.publicURL, let origin = Self.origin(of: publicURL) { allowed.insert(origin) }
        self.allowed = allowed
        loopbackHub = configuration.isLoopback
    }

    func permits(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let normalised = Self.normalise(origin)
        if allowed.contains(normalised) { return true }
        guard let host = host?.lowercased(), let range = normalised.range(of: "://") else { return false }
        let scheme = normalised[..<range.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        let authority = String(normalised[range.upperBound...])
        guard authority == host || Self.withDefaultPort(authority, scheme: String(scheme)) == Self.withDefaultPort(host, scheme: String(scheme)) else {
            return false
        }
        return !loopbackHub || Self.isLoopbackName(host)
    }

    static func normalise(_ origin: String) -> String {
        var text = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return normalise(scheme + "://" + host + (components.port.map { ":\($0)" } ?? ""))
    }

    private static func withDefaultPort(_ authority: String, scheme: String) -> String {
        if authority.hasSuffix("]") || !authority.contains(":") { return authority + (scheme == "https" ? ":443" : ":80") }
        return authority
    }

    /// `localhost`, `127.x.x.x`, `[::1]`, with or without a port.
    static func isLoopbackName(_ host: String) -> Bool {
        var name = host
        if name.hasPrefix("[") { name = String(name.prefix(while: { $0 != "]" }).dropFirst()) }
        else if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }
}
