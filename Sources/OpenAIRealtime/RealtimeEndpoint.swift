import RealtimeProtocol
import SwitchboardCore

/// Where and how to reach a realtime model over WebSocket.
public struct RealtimeEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Which service this is.
    public enum Provider: String, Sendable { case openAI = "openai", azure, url = "ws" }

    public var provider: Provider
    /// `true` for `wss`.
    public var tls: Bool
    public var host: String
    public var port: Int
    /// The path, without the query.
    public var path: String
    /// Query parameters that every connection carries.
    public var query: [(String, String)]
    /// The secret sent as `Authorization: Bearer` (OpenAI, URL) or `api-key` (Azure).
    public var apiKey: String?
    /// The model (OpenAI) or deployment (Azure) used when the client names none.
    public var defaultModel: String?
    /// Azure's `api-version`, for beta-dialect sessions.
    public var apiVersion: String?

    public static func == (lhs: RealtimeEndpoint, rhs: RealtimeEndpoint) -> Bool {
        lhs.provider == rhs.provider && lhs.tls == rhs.tls && lhs.host == rhs.host && lhs.port == rhs.port && lhs.path == rhs.path
            && lhs.query.map { "\($0.0)=\($0.1)" } == rhs.query.map { "\($0.0)=\($0.1)" } && lhs.apiKey == rhs.apiKey
            && lhs.defaultModel == rhs.defaultModel && lhs.apiVersion == rhs.apiVersion
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(path)
    }

    /// The endpoint for logs: scheme, host, port, path and query with secret values hidden;
    /// never the API key.
    public var description: String {
        let query = self.query.isEmpty ? "" : "?" + self.query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return Redacted.url("\(tls ? "wss" : "ws")://\(host):\(port)\(path)\(query)") + (apiKey == nil ? "" : " (with an API key)")
    }

    /// OpenAI's realtime API.
    public static func openAI(apiKey: String, model: String = "gpt-realtime") -> RealtimeEndpoint {
        RealtimeEndpoint(provider: .openAI, tls: true, host: "api.openai.com", port: 443, path: "/v1/realtime", query: [],
                         apiKey: apiKey, defaultModel: model, apiVersion: nil)
    }

    /// An Azure OpenAI resource (`https://NAME.openai.azure.com`) and deployment.
    public static func azure(endpoint: String, deployment: String, apiKey: String, apiVersion: String = "2025-04-01-preview") throws(EndpointError) -> RealtimeEndpoint {
        var parsed = try parse(endpoint.replacingPrefix("https://", with: "wss://").replacingPrefix("http://", with: "ws://"))
        parsed.provider = .azure
        parsed.path = ""
        parsed.apiKey = apiKey
        parsed.defaultModel = deployment
        parsed.apiVersion = apiVersion
        return parsed
    }

    /// Any realtime-protocol server by URL (`ws://host:port/v1/realtime`).
    public static func url(_ text: String, apiKey: String? = nil) throws(EndpointError) -> RealtimeEndpoint {
        var endpoint = try parse(text)
        endpoint.apiKey = apiKey
        return endpoint
    }

    /// Why a URL cannot be used.
    public struct EndpointError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    static func parse(_ text: String) throws(EndpointError) -> RealtimeEndpoint {
        let tls: Bool
        var rest: Substring
        if text.hasPrefix("wss://") {
            tls = true
            rest = text.dropFirst(6)
        } else if text.hasPrefix("ws://") {
            tls = false
            rest = text.dropFirst(5)
        } else {
            throw EndpointError(description: "a model URL must start with ws:// or wss:// (got \(Redacted.url(text)))")
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        var host = String(authority)
        var port = tls ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw EndpointError(description: "bad IPv6 address in \(Redacted.url(text))") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw EndpointError(description: "bad port in \(Redacted.url(text))") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw EndpointError(description: "bad port in \(Redacted.url(text))")
            }
            port = p
        }
        guard !host.isEmpty else { throw EndpointError(description: "no host in \(Redacted.url(text))") }
        var path = "/"
        var query: [(String, String)] = []
        if let q = rest.firstIndex(of: "?") {
            path = rest[..<q].isEmpty ? "/" : String(rest[..<q])
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            }
        } else if !rest.isEmpty {
            path = String(rest)
        }
        return RealtimeEndpoint(provider: .url, tls: tls, host: host, port: port, path: path, query: query,
                                apiKey: nil, defaultModel: nil, apiVersion: nil)
    }

    /// The request target and headers for a session in `dialect` with `model` (the client's choice).
    public func request(dialect: Dialect, model: String?) -> (uri: String, headers: [(String, String)]) {
        var query = self.query
        var headers: [(String, String)] = []
        let chosen = model ?? defaultModel
        var path = self.path
        switch provider {
        case .openAI:
            if let chosen, !query.contains(where: { $0.0 == "model" }) { query.append(("model", chosen)) }
            if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
            if dialect == .beta { headers.append(("OpenAI-Beta", "realtime=v1")) }
        case .azure:
            // On Azure the deployment is the hub's choice, whatever model name the client sent.
            let deployment = defaultModel ?? chosen ?? ""
            if dialect == .ga {
                path = "/openai/v1/realtime"
                query.append(("model", deployment))
            } else {
                path = "/openai/realtime"
                query.append(("api-version", apiVersion ?? "2025-04-01-preview"))
                query.append(("deployment", deployment))
            }
            if let apiKey { headers.append(("api-key", apiKey)) }
        case .url:
            if let chosen, !query.contains(where: { $0.0 == "model" }) { query.append(("model", chosen)) }
            if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
            if dialect == .beta { headers.append(("OpenAI-Beta", "realtime=v1")) }
        }
        let encoded = query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        return (encoded.isEmpty ? path : path + "?" + encoded, headers)
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded2()
            }
        }
        return out
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
    fileprivate func leftPadded2() -> String { count == 1 ? "0" + self : self }
}
