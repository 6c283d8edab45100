import HTTPTypes
import NIOHTTP1
import RealtimeProtocol
import SwitchboardCalls
import SwitchboardCore
import SwitchboardTelephony

/// Where the customer of a session comes from: always from a proof, never from what an
/// untrusted client says.
enum CustomerSource: Sendable, Equatable {
    /// The demo customer (`--demo-customer`): only on an open hub (loopback, no keys).
    case demo
    /// Named by a client secret, or by a server key's `customer_id` / `customer_name`.
    case proven(Customer)
    /// Whoever the saved session belongs to (a server key naming no customer); a guest when new.
    case saved
    /// Nobody: a caller with no customer record.
    case guest
    /// A phone bridge's verified caller: looked up by number in the business data (unknown: a guest).
    case phone(String)
}

/// What a client asked for when it opened `/realtime`, and what it proved.
struct ConnectionRequest: Sendable {
    /// Why a connection is refused (sent as an `error` event, then close 1008).
    enum Refusal: Sendable, Equatable {
        case badSessionKey(String)
        case unauthorized
        /// `customer_id` / `customer_name` in the query without a server key.
        case customerNotAllowed(String)
        /// A phone number as the session key without a server key.
        case phoneKeyNotAllowed
        /// A session key other than the one the client secret is bound to.
        case sessionKeyMismatch
    }

    var sessionKey: SessionKey
    /// Whether the hub made the key up (none was given).
    var keyGenerated: Bool
    var model: String?
    var customerSource: CustomerSource
    var hubEvents: Bool
    var dialect: Dialect
    /// `realtime` when the client offered that subprotocol (browsers do).
    var subprotocol: String?
    var refusal: Refusal?
    /// The agent the session must start with (an outbound call placed for that agent, a client secret's agent).
    var agent: String?
    /// Who proved what (`nil`: nothing valid was presented, or a phone bridge).
    var principal: Principal?
    /// Whether a saved history is replayed into the model and shown in `hub.session.ready`: the
    /// history of a phone-number session only on a phone channel that proved the number.
    var replayHistory = true
    /// The client settings the session starts with (a client secret's `session`).
    var initialSession: JSONObject?
    /// The phone call the session is for, when a phone bridge opened it.
    var call: CallStart?
    /// The call's recording, when its pack records phone calls.
    var recording: SessionRecording?
    /// `call_id`: the live call this connection follows (a record id or the provider's call id).
    var followCallID: String?

    /// Whether the credential may follow calls: an admin key, or anyone on an open hub.
    var mayFollowCalls: Bool {
        if case .open? = principal { return true }
        return principal?.scope == .admin
    }

    /// How the session's call record starts: the phone call's channel, direction and parties,
    /// or a realtime client's connection.
    var recordStart: CallRecorder.Start {
        guard let call else { return CallRecorder.Start(channel: .websocket, direction: .inbound) }
        let channel: CallChannel = call.channel == "sip" ? .sip : .twilio
        let number = call.caller?.rawValue
        if let plan = call.outbound {
            return CallRecorder.Start(channel: channel, direction: .outbound, to: number, providerCallID: call.callID,
                                      placedRecordID: plan.recordID, placedAt: plan.placedAt, tenant: call.tenant)
        }
        return CallRecorder.Start(channel: channel, direction: .inbound, from: number, to: call.dialled, providerCallID: call.callID, tenant: call.tenant)
    }

    /// Reads the request target and headers; `identity` checks the credentials.
    init(uri: String, headers: HTTPHeaders, identity: IdentityPolicy) {
        let query = Self.query(of: uri)
        func value(_ name: String) -> String? { query.last(where: { $0.0 == name })?.1 }
        model = value("model").flatMap { $0.isEmpty ? nil : $0 }
        followCallID = value("call_id").flatMap { $0.isEmpty || $0.utf8.count > 128 ? nil : $0 }
        hubEvents = ["1", "true", "yes"].contains(value("hub_events")?.lowercased() ?? "")
        dialect = Dialect.fromBetaHeader(headers["OpenAI-Beta"].first)
        let protocols = headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
        subprotocol = protocols.contains("realtime") ? "realtime" : nil
        refusal = nil
        customerSource = .guest
        // The credential is checked before anything the client sent is looked at: an
        // unauthorised client learns nothing about its other parameters.
        let principal = identity.authenticate(KeyStore.presented(headers: headers))
        self.principal = principal
        if principal == nil { refusal = .unauthorized }
        var text = value("session_state_key")
        if case .clientSecret(let claims)? = principal, let bound = claims.sessionStateKey {
            if let text, SessionKey(text)?.rawValue != bound, refusal == nil { refusal = .sessionKeyMismatch }
            text = bound
        }
        if let text {
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
        let trusted = principal?.isTrusted ?? false
        // Phone-number sessions belong to phone bridges and trusted backends; a server key gets
        // the session without the caller's history, an admin key (operators' tools) with it.
        if sessionKey.kind == .phoneNumber {
            replayHistory = principal?.scope == .admin
            if !trusted, refusal == nil { refusal = .phoneKeyNotAllowed }
        }
        let named = Customer(name: value("customer_name"), id: value("customer_id"))
        if named != Customer(), !trusted, refusal == nil {
            refusal = .customerNotAllowed(named.id != nil ? "customer_id" : "customer_name")
        }
        switch principal {
        case .open?:
            customerSource = .demo
        case .key(let scope, _)?:
            customerSource = scope >= .server ? (named != Customer() ? .proven(named) : .saved) : .guest
        case .clientSecret(let claims)?:
            let customer = Customer(name: claims.customerName, id: claims.customerID)
            // A secret that names nobody: the demo customer on an open hub, else a guest.
            customerSource = customer != Customer() ? .proven(customer) : identity.isOpen ? .demo : .guest
            agent = claims.agent
            initialSession = claims.session
        case nil:
            customerSource = .guest
        }
    }

    /// A request checked against client-scope `apiKeys` on a loopback hub (tests).
    init(uri: String, headers: HTTPHeaders, apiKeys: [String]) {
        var configuration = HubConfiguration()
        configuration.apiKeys = apiKeys
        self.init(uri: uri, headers: headers, identity: IdentityPolicy(configuration: configuration))
    }

    /// A phone call's session, GA dialect, no hub events (a phone shows none). A verified
    /// caller's number is the session key (calling back resumes, with its history) and names
    /// the customer; an unverified or missing number gets a session of its own and a guest.
    init(call: CallStart) {
        if let caller = call.caller, call.callerVerified {
            sessionKey = caller
            keyGenerated = false
            customerSource = .phone(caller.rawValue)
        } else {
            sessionKey = SessionKey.random()
            keyGenerated = true
            customerSource = .guest
        }
        model = nil
        hubEvents = false
        dialect = .ga
        subprotocol = nil
        refusal = nil
        agent = call.outbound?.agent ?? call.agent
        principal = nil
        self.call = call
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
                                 message: "Missing, wrong or expired API key or client secret: send 'Authorization: Bearer <key or ek_ secret>'.")
        case .customerNotAllowed(let name)?:
            return .invalidRequest("customer_not_allowed",
                                   "\(name) can only be set by a server key; a client's customer comes from its client secret.",
                                   param: name)
        case .phoneKeyNotAllowed?:
            return .invalidRequest("session_key_not_allowed",
                                   "Phone-number session keys belong to phone bridges; web clients use a UUID (or none, and the hub makes one).",
                                   param: "session_state_key")
        case .sessionKeyMismatch?:
            return .invalidRequest("session_key_not_allowed",
                                   "This client secret is bound to another session_state_key; leave it out.",
                                   param: "session_state_key")
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
}
