/// A `sip:`, `sips:` or `tel:` URI (RFC 3261 §19.1, RFC 3966).
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
    /// `sip`, `sips` or `tel` (lowercased).
    public var scheme: String
    /// The user part (percent-decoded); for `tel:` the number itself.
    public var user: String?
    /// The password part of the user info, if any.
    public var password: String?
    /// The host (IPv6 addresses without brackets); empty for `tel:`.
    public var host: String
    /// The port, when given.
    public var port: Int?
    /// URI parameters (`;transport=udp;lr`).
    public var parameters: SIPParameters
    /// URI headers after `?`, as written.
    public var headers: String?

    /// Creates a URI.
    public init(scheme: String = "sip", user: String? = nil, host: String, port: Int? = nil, parameters: SIPParameters = SIPParameters()) {
        self.scheme = scheme
        self.user = user
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// Parses a URI such as `sip:+15551234567@example.com:5060;user=phone` or `tel:+15551234567`.
    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let trimmed = text.trimmedSIP
        guard let colon = trimmed.firstIndex(of: ":") else { throw SIPParseError("URI without scheme") }
        scheme = trimmed[..<colon].lowercased()
        var rest = trimmed[trimmed.index(after: colon)...]
        password = nil
        headers = nil
        port = nil
        switch scheme {
        case "tel":
            let parts = rest.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            guard let number = parts.first, !number.isEmpty else { throw SIPParseError("Empty tel URI") }
            user = percentDecoded(number)
            host = ""
            parameters = parts.count > 1 ? SIPParameters(parsing: parts[1]) : SIPParameters()
        case "sip", "sips":
            if let question = rest.firstIndex(of: "?") {
                headers = String(rest[rest.index(after: question)...])
                rest = rest[..<question]
            }
            if let at = rest.firstIndex(of: "@") {
                let userInfo = rest[..<at]
                if let passwordColon = userInfo.firstIndex(of: ":") {
                    user = percentDecoded(userInfo[..<passwordColon])
                    password = String(userInfo[userInfo.index(after: passwordColon)...])
                } else {
                    user = percentDecoded(userInfo)
                }
                rest = rest[rest.index(after: at)...]
            } else {
                user = nil
            }
            let hostAndParameters = rest.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            let hostPort = hostAndParameters.first ?? ""
            parameters = hostAndParameters.count > 1 ? SIPParameters(parsing: hostAndParameters[1]) : SIPParameters()
            (host, port) = try Self.parseHostPort(hostPort)
        default:
            throw SIPParseError("Unsupported URI scheme")
        }
    }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`.
    static func parseHostPort(_ text: Substring) throws(SIPParseError) -> (String, Int?) {
        let hostPort = text.trimmedSIP
        var host: Substring
        var portText: Substring?
        if hostPort.first == "[" {
            guard let close = hostPort.firstIndex(of: "]") else { throw SIPParseError("Unterminated IPv6 address") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.first == ":" { portText = after.dropFirst() } else if !after.isEmpty {
                throw SIPParseError("Malformed host")
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:_".contains($0)) }) else {
            throw SIPParseError("Malformed host")
        }
        var port: Int?
        if let portText {
            guard let value = DecimalNumber(portText.trimmedSIP).value(in: 0...65535) else {
                throw SIPParseError("Malformed port")
            }
            port = value
        }
        return (String(host), port)
    }

    /// The URI as text.
    public var description: String {
        var text = scheme + ":"
        if scheme == "tel" {
            return text + (user ?? "") + parameters.serialized
        }
        if let user {
            text += user
            if let password { text += ":" + password }
            text += "@"
        }
        text += host.contains(":") ? "[" + host + "]" : host
        if let port { text += ":" + String(port) }
        text += parameters.serialized
        if let headers { text += "?" + headers }
        return text
    }
}
