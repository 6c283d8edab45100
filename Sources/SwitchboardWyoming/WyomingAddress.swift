import NIOCore

/// A Wyoming server's address as the hub is told it: `wyoming://HOST:PORT` (or `tcp://HOST:PORT`).
enum WyomingAddress {
    /// The host and port of `url`; `nil` when it is not a Wyoming address.
    static func hostAndPort(_ url: String) -> (host: String, port: Int)? {
        let rest: Substring
        if url.hasPrefix("wyoming://") { rest = url.dropFirst("wyoming://".count) } else if url.hasPrefix("tcp://") { rest = url.dropFirst("tcp://".count) } else { return nil }
        let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let colon = authority.lastIndex(of: ":") else { return nil }
        var host = String(authority[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
        return (host, port)
    }

    /// `timeout` as the connect timeout NIO takes.
    static func connectTimeout(_ timeout: Duration) -> TimeAmount {
        .milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
    }
}
