import Logging
import Synchronization

/// Secrets kept out of logs, error messages and anything else the hub prints.
///
/// - ``url(_:)`` hides what a URL carries that is secret: the password of its user information
///   (`redis://:pw@host`, `postgres://user:pw@host/db`) and the values of query parameters that
///   hold keys or tokens (`?api-key=…`, `?token=…`).
/// - ``scrub(_:)`` replaces every secret the process was configured with (``register(_:)``:
///   API keys, the model key, the Twilio token, store passwords) wherever it appears in a text,
///   the backstop for messages that quote something unexpected (an upstream error that echoes
///   a request). The hub's log handler (``LogHandler``) applies it to every log line.
public enum Redacted {
    /// What a hidden secret is shown as.
    public static let mask = "***"

    /// Query parameters whose values are secrets (compared without case, `-` and `_`).
    static let secretParameters: Set<String> = [
        "apikey", "key", "token", "accesstoken", "authtoken", "password", "pass", "pwd", "secret", "clientsecret",
        "sig", "signature", "auth", "authorization", "code", "credential", "credentials", "session", "sessiontoken",
    ]

    /// `text` (a URL) with the password of its user information and the values of secret query
    /// parameters replaced by `***`; anything that is not a URL comes back unchanged.
    public static func url(_ text: String) -> String {
        guard let schemeEnd = text.firstRange(of: "://")?.upperBound else {
            // Not quite a URL (`postgres:user:pw@host`, `user:pw@host`): whatever precedes an
            // `@` after a `:` may be a password.
            guard let at = text.lastIndex(of: "@"), let colon = text[..<at].firstIndex(of: ":") else { return text }
            return String(text[...colon]) + mask + String(text[at...])
        }
        var out = String(text[..<schemeEnd])
        let rest = text[schemeEnd...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out += userInfo[...colon] + mask
            } else {
                out += userInfo
            }
            out += authority[at...]
        } else {
            out += authority
        }
        var tail = rest[authorityEnd...]
        var fragment: Substring = ""
        if let hash = tail.firstIndex(of: "#") {
            fragment = tail[hash...]
            tail = tail[..<hash]
        }
        if let question = tail.firstIndex(of: "?") {
            out += tail[...question]
            let pairs = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
            out += pairs.map { pair -> String in
                guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
                let name = pair[..<equals]
                guard isSecretParameter(name) else { return String(pair) }
                return name + "=" + mask
            }.joined(separator: "&")
        } else {
            out += tail
        }
        return out + fragment
    }

    /// Whether a query parameter of this name carries a secret.
    public static func isSecretParameter(_ name: Substring) -> Bool {
        let decoded = name.lowercased().filter { $0 != "-" && $0 != "_" }
        return secretParameters.contains(decoded) || decoded.hasSuffix("apikey") || decoded.hasSuffix("token")
            || decoded.hasSuffix("secret") || decoded.hasSuffix("password")
    }

    // MARK: Secrets of this process

    /// Secrets shorter than this are not scrubbed from texts (a 1-character "key" would mask
    /// every occurrence of a letter); they still never appear where ``url(_:)`` is used.
    public static let shortestScrubbed = 4

    private static let registered = Mutex<[String]>([])

    /// Remembers `secrets` (empty and short ones are ignored) so that ``scrub(_:)`` hides them.
    public static func register(_ secrets: some Sequence<String?>) {
        let new = secrets.compactMap { $0 }.filter { $0.count >= shortestScrubbed }
        guard !new.isEmpty else { return }
        registered.withLock { list in
            for secret in new where !list.contains(secret) { list.append(secret) }
            // Longest first, so a secret that contains another is hidden whole.
            list.sort { $0.count > $1.count }
        }
    }

    /// Forgets every registered secret (for tests).
    public static func unregisterAll() {
        registered.withLock { $0.removeAll() }
    }

    /// The registered secrets.
    static var secrets: [String] { registered.withLock { $0 } }

    /// `text` with every registered secret, and its percent-encoded form, replaced by `***`.
    public static func scrub(_ text: String) -> String {
        scrub(text, secrets: secrets)
    }

    /// `text` with each of `secrets` (and its percent-encoded form) replaced by `***`.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var out = text
        for secret in secrets where !secret.isEmpty {
            if out.contains(secret) { out = out.replacing(secret, with: mask) }
            let encoded = percentEncoded(secret)
            if encoded != secret, out.contains(encoded) { out = out.replacing(encoded, with: mask) }
        }
        return out
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    // MARK: Logging

    /// A log handler that scrubs registered secrets from every message and metadata value
    /// before handing the line to `upstream`.
    public struct LogHandler: Logging.LogHandler {
        public var upstream: any Logging.LogHandler

        public init(_ upstream: any Logging.LogHandler) {
            self.upstream = upstream
        }

        public var logLevel: Logger.Level {
            get { upstream.logLevel }
            set { upstream.logLevel = newValue }
        }

        public var metadata: Logger.Metadata {
            get { upstream.metadata }
            set { upstream.metadata = newValue }
        }

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { upstream[metadataKey: key] }
            set { upstream[metadataKey: key] = newValue }
        }

        public var metadataProvider: Logger.MetadataProvider? {
            get { upstream.metadataProvider }
            set { upstream.metadataProvider = newValue }
        }

        public func log(event: LogEvent) {
            let secrets = Redacted.secrets
            guard !secrets.isEmpty else { return upstream.log(event: event) }
            var event = event
            event.message = "\(Redacted.scrub(event.message.description, secrets: secrets))"
            var cleaned = event.metadata?.mapValues { Self.scrub($0, secrets) }
            // The handler's own metadata (`logger[metadataKey:]`) is printed too: pass it scrubbed.
            for (key, value) in upstream.metadata where event.metadata?[key] == nil {
                let scrubbed = Self.scrub(value, secrets)
                if scrubbed != value {
                    if cleaned == nil { cleaned = [:] }
                    cleaned?[key] = scrubbed
                }
            }
            if let error = event.error {
                let text = Redacted.scrub("\(error)", secrets: secrets)
                if text != "\(error)" {
                    event.error = nil
                    if cleaned == nil { cleaned = [:] }
                    cleaned?["error"] = .string(text)
                }
            }
            event.metadata = cleaned
            upstream.log(event: event)
        }

        static func scrub(_ value: Logger.Metadata.Value, _ secrets: [String]) -> Logger.Metadata.Value {
            switch value {
            case .string(let text): .string(Redacted.scrub(text, secrets: secrets))
            case .stringConvertible(let convertible): .string(Redacted.scrub(convertible.description, secrets: secrets))
            case .array(let values): .array(values.map { scrub($0, secrets) })
            case .dictionary(let values): .dictionary(values.mapValues { scrub($0, secrets) })
            }
        }
    }
}
