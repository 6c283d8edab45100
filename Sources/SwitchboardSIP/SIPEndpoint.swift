/// A UDP address: host (IP literal) and port.
public struct SIPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The IP address (or host name) without IPv6 brackets.
    public var host: String
    /// The UDP port.
    public var port: Int

    /// Creates an endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around IPv6 addresses.
    public var description: String {
        (host.contains(":") ? "[" + host + "]" : host) + ":" + String(port)
    }
}
