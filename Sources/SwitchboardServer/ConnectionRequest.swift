import HTTPTypes
import NIOHTTP1
import RealtimeProtocol
import SwitchboardCore

/// What a client asked for when it opened `/realtime`.
struct ConnectionRequest: Sendable {
    /// Why a connection is refused (sent as an `error` event, then close 1008).
    enum Refusal: Sendable, Equatable {
        case badSessionKey(String)
        case unauthorized
    }

    var sessionKey: SessionKey
    /// Whether the hub made the key up (none was given).
    var keyGenerated: Bool
    var model: String?
    var customer: Customer
    var hubEvents: Bool
    var dialect: Dialect
    /// `realtime` when the client offered that subprotocol (browsers do).
    var subprotocol: String?
    var refusal: Refusal?
    /// The agent the session must start with (an outbound call placed for that agent).
    var agent: String?

    /// Reads the request target and headers.
    init(uri: String, headers: HTTPHeaders, apiKeys: [String]) {
        let query = Self.query(of: uri)
        func value(_ name: String) -> String? { query.last(where: { $0.0 == name })?.1 }
        model = value("model").flatMap { $0.isEmpty ? nil : $0 }
        customer = Customer(name: value("customer_name"), id: value("customer_id"))
        hubEvents = ["1", "true", "yes"].contains(value("hub_events")?.lowercased() ?? "")
        dialect = Dialect.fromBetaHeader(headers["OpenAI-Beta"].first)
        let protocols = headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        subprotocol = protocols.contains("realtime") ? "realtime" : nil
        refusal = nil
        // The credential is checked before anything the client sent is looked at: an
        // unauthorised client learns nothing about its other parameters.
        if !apiKeys.isEmpty, !Self.presentsKey(headers: headers, protocols: protocols, apiKeys: apiKeys) {
            refusal = .unauthorized
        }
        if let text = value("session_state_key") {
            if let key = SessionKey(text) {
                sessionKey = key
                keyGenerated = false
            } else {
                sessionKey = SessionKey.random()
                keyGenerated = true
                if refusal == nil { refusal = .badSessionKey(text) }
            }
        } else {
            sessionKey = SessionKey.random()
            keyGenerated = true
        }
    }

    /// Whether the request carries one of `apiKeys` (`Authorization: Bearer`, `api-key`, or the
    /// `openai-insecure-api-key.` subprotocol), compared in constant time.
    static func presentsKey(headers: HTTPHeaders, protocols: [String], apiKeys: [String]) -> Bool {
        var presented: [String] = []
        if let bearer = headers["Authorization"].first, bearer.lowercased().hasPrefix("bearer ") {
            presented.append(String(bearer.dropFirst(7)).trimmingCharacters(in: " "))
        }
        presented.append(contentsOf: headers["api-key"])
        for proto in protocols where proto.hasPrefix("openai-insecure-api-key.") {
            presented.append(String(proto.dropFirst("openai-insecure-api-key.".count)))
        }
        return presented.contains { candidate in apiKeys.contains { constantTimeEquals($0, candidate) } }
    }

    /// A phone call's session: keyed by the caller's number (a call from a number that is not
    /// E.164 gets a session of its own), GA dialect, no hub events (a phone shows none).
    init(call: CallStart) {
        sessionKey = call.caller ?? SessionKey.random()
        keyGenerated = call.caller == nil
        model = nil
        customer = Customer(name: nil, id: nil)
        hubEvents = false
        dialect = .ga
        subprotocol = nil
        refusal = nil
        agent = call.outbound?.agent
    }

    /// The error a refused client is sent.
    var refusalError: RealtimeError? {
        switch refusal {
        case .badSessionKey(let text)?:
            let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
            return .invalidRequest("invalid_session_key",
                                   "session_state_key must be a UUID or a phone number in E.164 form (+15551234567); got '\(shown)'.",
                                   param: "session_state_key")
        case .unauthorized?:
            return RealtimeError(type: "invalid_request_error", code: "invalid_api_key",
                                 message: "Missing or wrong API key: send 'Authorization: Bearer <key>'.")
        case nil:
            return nil
        }
    }

    static func query(of uri: String) -> [(String, String)] {
        guard let q = uri.firstIndex(of: "?") else { return [] }
        // `?=`, `?&=x`, `?a=`: empty names and values are kept as empty strings, never indexed past.
        return uri[uri.index(after: q)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts.first.map { percentDecode(String($0)) } ?? ""
            return (name, parts.count > 1 ? percentDecode(String(parts[1])) : "")
        }
    }

    static func path(of uri: String) -> Substring {
        uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri[...]
    }

    static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
                let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
