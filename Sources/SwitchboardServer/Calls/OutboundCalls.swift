import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import OpenAIRealtime
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardCore
import SwitchboardSIP
import SwitchboardTelephony
import SwitchboardTools

/// The running SIP bridge, for placing calls from HTTP requests.
final class SIPBridge: Sendable {
    private let signaling = NIOLockedValueBox<NIOLoopBound<SIPSignaling>?>(nil)

    func attach(_ handler: NIOLoopBound<SIPSignaling>) { signaling.withLockedValue { $0 = handler } }

    /// Hangs every call up (BYE), on the bridge's event loop, then runs `then` there.
    func hangUpAll(then: @escaping @Sendable () -> Void) {
        guard let bound = signaling.withLockedValue({ $0 }) else { return then() }
        bound.eventLoop.execute {
            bound.value.hangUpAll()
            then()
        }
    }

    /// Transfers a call by REFER (RFC 3515) to `target`, a number or `sip:` URI: returns once the
    /// peer reports the target answered; throws `SIPTransferFailed` when it did not (the call
    /// stays up).
    func transfer(callID: String, to target: String) async throws {
        guard let bound = signaling.withLockedValue({ $0 }) else {
            throw SIPTransferFailed(outcome: .notSent("the SIP bridge is not running"))
        }
        try await bound.eventLoop.flatSubmit { bound.value.transfer(callID: callID, to: target) }.get()
    }

    /// Puts a call through to `target` by calling them through `peer` and patching the calls
    /// (a warm transfer's `announcement`, PCM16 at 8 kHz, first): returns once they are patched;
    /// throws `SIPTransferFailed` when the person did not answer (the call stays with its session).
    func bridgeTransfer(callID: String, to target: String, peer: SIPEndpoint, from number: String, announcement: [Int16]?) async throws {
        guard let bound = signaling.withLockedValue({ $0 }) else {
            throw SIPTransferFailed(outcome: .notSent("the SIP bridge is not running"))
        }
        try await bound.eventLoop.flatSubmit {
            bound.value.bridgeTransfer(callID: callID, to: target, via: peer, from: number, announcement: announcement)
        }.get()
    }

    /// Places a call on the bridge's event loop.
    func placeCall(to destination: String, peer: SIPEndpoint, from number: String, callee: SessionKey?,
                   plan: OutboundCallPlan) async throws -> String {
        guard let bound = signaling.withLockedValue({ $0 }) else { throw OutboundCallError(status: .serviceUnavailable, "the SIP bridge is not running yet") }
        do {
            return try await bound.eventLoop.flatSubmit {
                bound.value.placeCall(to: destination, peer: peer, from: number, callee: callee, plan: plan)
            }.get()
        } catch let limit as SIPCallLimitReached {
            throw OutboundCallError(status: .serviceUnavailable, "\(limit.maxCalls) SIP calls are in progress (--sip-max-calls); try again later")
        }
    }
}

/// Why a call could not be placed: an HTTP status and a message for the caller of the API.
struct OutboundCallError: Error {
    var status: HTTPResponse.Status
    var message: String
    /// A machine-readable code (`invalid_api_key`, `rate_limit_exceeded`, …).
    var code: String?
    init(status: HTTPResponse.Status, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code
    }
}

/// `POST /calls`: the hub phones someone, with a given agent and purpose: through Twilio's REST
/// API when a Twilio account is configured, else with a SIP INVITE (to a `sip:` URI, or to a
/// number through `--sip-trunk`). The called number is the session's key, so the conversation
/// continues if they call back. Body: `{"to": "+15551234567" | "sip:…", "agent": "appointments",
/// "purpose": "…", "via": "twilio" | "sip"}`; answers 202 with `{call_id, via, session_key}`.
enum OutboundCalls {
    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext, sip: SIPBridge?) {
        router.post("/calls") { request, _ -> Response in
            do {
                try authorize(request, hub: hub)
                let body = try await request.body.collect(upTo: 16 * 1024)
                let placed = try await place(body: body, hub: hub, sip: sip)
                return json(.accepted, [("call_id", .string(placed.callID)), ("via", .string(placed.via)),
                                        ("session_key", placed.key.map { .string($0.rawValue) } ?? .null), ("record_id", .string(placed.recordID))])
            } catch let error as OutboundCallError {
                hub.logger.info("outbound call refused", metadata: ["reason": "\(error.message)"])
                var members: [(String, JSONValue)] = [("message", .string(error.message))]
                if let code = error.code { members.append(("code", .string(code))) }
                return json(error.status, [("error", .object(JSONObject(members)))])
            }
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ members: [(String, JSONValue)]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(JSONObject(members)).jsonString + "\n")))
    }

    /// An admin key (none on an open loopback hub), a JSON body, and the key's calls a minute.
    private static func authorize(_ request: Request, hub: HubContext) throws {
        let presented = KeyStore.presented(fields: request.headers)
        if !hub.identity.isOpen {
            let matched = presented.compactMap { hub.identity.keys.match($0) }.max { $0.scope < $1.scope }
            guard let matched else {
                throw OutboundCallError(status: .unauthorized, "Missing or wrong API key: send 'Authorization: Bearer <admin key>'.", code: "invalid_api_key")
            }
            guard matched.scope >= .admin else {
                throw OutboundCallError(status: .forbidden, "Placing calls needs an admin key (--admin-key); this key's scope is \(matched.scope).", code: "insufficient_scope")
            }
            if let hit = hub.keyLimits.admitCall(key: matched.id) {
                hub.metrics.limitHit(hit.rawValue)
                throw OutboundCallError(status: .tooManyRequests, "This key places calls faster than its limit of \(hub.keyLimits.callsPerMinute) a minute; try again later.",
                                        code: "rate_limit_exceeded")
            }
        }
        do {
            try ClientSecretRoute.requireJSON(request)
        } catch {
            throw OutboundCallError(status: .unsupportedMediaType, "Send the body as JSON with 'Content-Type: application/json'.", code: "unsupported_media_type")
        }
    }

    /// `voicemail`: `ignore` (the default), `hang_up`, or `leave_message` with `voicemail_message`.
    static func voicemail(_ object: JSONObject) throws -> VoicemailAction {
        guard let value = object["voicemail"] else { return .ignore }
        let message = object["voicemail_message"]?.stringValue
        if let message, message.count > 500 { throw OutboundCallError(status: .badRequest, "'voicemail_message' must be at most 500 characters") }
        guard let name = value.stringValue, let action = VoicemailAction(name: name, message: message) else {
            throw OutboundCallError(status: .badRequest,
                                    "'voicemail' must be ignore, hang_up or leave_message (which needs 'voicemail_message': what the agent says after the beep)")
        }
        return action
    }

    /// The longest and shortest a placed call may ring (`ring_timeout`, seconds).
    static let ringSeconds = 5...120

    /// Places the call described by `body`. Its call record starts as it is dialled
    /// (`call.started`); the answered call's session goes on with it, and a call nobody answers
    /// (or that cannot be placed) ends it with `busy`, `no_answer` or `failed` (`call.ended`).
    private static func place(body: ByteBuffer, hub: HubContext, sip: SIPBridge?) async throws -> (callID: String, via: String, key: SessionKey?, recordID: String) {
        guard let object = (try? JSONParser.parse(body.readableBytesView))?.objectValue else {
            throw OutboundCallError(status: .badRequest, "the body must be a JSON object: {\"to\": \"+15551234567\", \"agent\": \"appointments\", \"purpose\": \"…\"}")
        }
        guard let to = object["to"]?.stringValue?.trimmingCharacters(in: .whitespaces), !to.isEmpty else {
            throw OutboundCallError(status: .badRequest, "'to' is required: a number in E.164 (+15551234567) or a sip: URI")
        }
        let agent = object["agent"]?.stringValue
        if let agent, hub.catalog.persona(named: agent) == nil {
            let names = hub.catalog.personas.map(\.name).joined(separator: ", ")
            throw OutboundCallError(status: .badRequest, "unknown agent '\(agent.prefix(64))'; the agents are: \(names)")
        }
        let purpose = object["purpose"]?.stringValue
        if let purpose, purpose.count > 500 { throw OutboundCallError(status: .badRequest, "'purpose' must be at most 500 characters") }
        let voicemail = try Self.voicemail(object)
        var ring: Int?
        if let value = object["ring_timeout"] {
            guard let seconds = value.intValue, ringSeconds.contains(seconds) else {
                throw OutboundCallError(status: .badRequest, "'ring_timeout' must be a whole number of seconds, \(ringSeconds.lowerBound)…\(ringSeconds.upperBound)")
            }
            ring = seconds
        }
        var plan = OutboundCallPlan(agent: agent, purpose: purpose, voicemail: voicemail, ringSeconds: ring)
        // Who tells a person from a machine: the hub's detector, or Twilio's (the default on Twilio calls).
        let detection = object["machine_detection"]?.stringValue ?? "twilio"
        guard object["machine_detection"] == nil || ["twilio", "hub"].contains(detection) else {
            throw OutboundCallError(status: .badRequest, "'machine_detection' must be twilio (Twilio's, on Twilio calls) or hub (the hub's own detector)")
        }
        /// Starts the record, places the call with the record's id in its plan, and ends the
        /// record as failed when the call cannot be placed.
        func dial(_ channel: CallChannel, callee: SessionKey?, _ place: (OutboundCallPlan) async throws -> String) async throws -> (String, String) {
            let now = Date()
            let at = CallRecorder.milliseconds(now)
            var record = CallRecord(channel: channel, direction: .outbound, to: to, pack: hub.packs?.main.pack.name, sessionKey: callee?.rawValue ?? to,
                                    startedAt: at, agents: agent.map { [AgentStep(agent: $0, at: at)] } ?? [])
            hub.calls.save(record, events: [.callStarted], now: now)
            var placed = plan
            placed.recordID = record.id
            placed.placedAt = now
            do {
                let id = try await place(placed)
                // Known before the callee can answer: the session's record carries it on.
                record.providerCallID = id
                hub.calls.save(record, events: [])
                return (id, record.id)
            } catch {
                record.endedAt = CallRecorder.milliseconds(Date())
                record.endReason = .failed
                hub.calls.save(record, events: [.callEnded])
                throw error
            }
        }
        let number = SessionKey(to).flatMap { $0.kind == .phoneNumber ? $0 : nil }
        let sipURI = to.lowercased().hasPrefix("sip:") ? try? SIPURI(parsing: to) : nil
        guard number != nil || sipURI != nil else {
            throw OutboundCallError(status: .badRequest, "'to' must be a number in E.164 (+15551234567) or a sip: URI (got '\(to.prefix(64))')")
        }
        let twilio = TwilioCalls(configuration: hub.configuration)
        let via = object["via"]?.stringValue ?? (twilio != nil && number != nil ? "twilio" : "sip")
        switch via {
        case "twilio":
            guard let twilio else {
                throw OutboundCallError(status: .serviceUnavailable, "Twilio calls need --twilio-account-sid, --twilio-auth-token and --twilio-from")
            }
            guard let number else { throw OutboundCallError(status: .badRequest, "Twilio calls a number in E.164, not a SIP URI") }
            plan.providerDetects = voicemail != .ignore && detection == "twilio"
            let (id, record) = try await dial(.twilio, callee: number) { try await twilio.call(number, plan: $0, hub: hub) }
            return (id, "twilio", number, record)
        case "sip":
            guard let sip, hub.configuration.sipPort != nil else {
                throw OutboundCallError(status: .serviceUnavailable, "no phone bridge can place this call: start the hub with --sip-port (and --sip-trunk for numbers) or configure Twilio")
            }
            let peer: SIPEndpoint
            var callee = number
            if let sipURI {
                let port = sipURI.port ?? 5060
                guard (1...65_535).contains(port) else { throw OutboundCallError(status: .badRequest, "the sip: URI's port must be 1…65535") }
                peer = SIPEndpoint(host: sipURI.host, port: port)
                callee = sipURI.user.flatMap { e164Number($0) }.flatMap(SessionKey.init)
            } else if let trunk = hub.configuration.sipTrunk, let endpoint = Self.endpoint(trunk) {
                peer = endpoint
            } else {
                throw OutboundCallError(status: .serviceUnavailable, "calling a number over SIP needs --sip-trunk HOST:PORT")
            }
            let (id, record) = try await dial(.sip, callee: callee) { plan in
                do {
                    return try await sip.placeCall(to: to, peer: peer, from: hub.configuration.sipCallerID, callee: callee, plan: plan)
                } catch let error as OutboundCallError {
                    throw error
                } catch {
                    throw OutboundCallError(status: .serviceUnavailable, "could not place the SIP call: \(error)")
                }
            }
            return (id, "sip", callee, record)
        default:
            throw OutboundCallError(status: .badRequest, "'via' must be 'twilio' or 'sip'")
        }
    }

    /// `host:port` (an IP literal; IPv6 in brackets).
    static func endpoint(_ text: String) -> SIPEndpoint? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let port = text[close...].dropFirst().hasPrefix(":") ? Int(text[close...].dropFirst(2)) : 5060
            return port.flatMap { (1...65_535).contains($0) ? SIPEndpoint(host: host, port: $0) : nil }
        }
        let parts = text.split(separator: ":")
        guard parts.count <= 2, let host = parts.first else { return nil }
        let port = parts.count == 2 ? Int(parts[1]) : 5060
        return port.flatMap { (1...65_535).contains($0) ? SIPEndpoint(host: String(host), port: $0) : nil }
    }
}

/// Twilio's REST API for outbound calls: the call is created with TwiML that connects it to the
/// hub's media stream, carrying the called number (the session key), the agent and the purpose,
/// signed like the webhook's (`TwilioCallerProof`) so the callee's session is keyed and proven.
/// Twilio assigns the CallSid only after it has the TwiML, so this signature does not bind one;
/// it lives for the ring timeout (`Timeout`) plus the stream lifetime, and its nonce is single-use.
struct TwilioCalls: Sendable {
    let accountSID: String
    let authToken: String
    let from: String
    let apiBase: String
    let publicURL: String?
    let callerProof: TwilioCallerProof

    init?(configuration: HubConfiguration) {
        guard let sid = configuration.twilioAccountSID, let token = configuration.twilioAuthToken, let from = configuration.twilioFrom else { return nil }
        accountSID = sid
        authToken = token
        self.from = from
        apiBase = configuration.twilioAPIURL
        publicURL = configuration.publicURL
        callerProof = TwilioCallerProof(authToken: configuration.twilioAuthToken)
    }

    func call(_ number: SessionKey, plan: OutboundCallPlan, hub: HubContext) async throws -> String {
        guard let publicURL else {
            throw OutboundCallError(status: .serviceUnavailable, "Twilio calls need --public-url: Twilio must reach the hub's media stream")
        }
        var parameters: [(String, String)] = [("from", number.rawValue), ("direction", "outbound")]
        if let agent = plan.agent { parameters.append(("agent", agent)) }
        if let purpose = plan.purpose { parameters.append(("purpose", purpose)) }
        if plan.voicemail != .ignore { parameters.append(("voicemail", plan.voicemail.name)) }
        if case .leaveMessage(let message) = plan.voicemail { parameters.append(("voicemail_message", message)) }
        if let record = plan.recordID { parameters.append(("record", record)) }
        if plan.voicemail != .ignore, plan.providerDetects { parameters.append(("amd", "twilio")) }
        if let placed = plan.placedAt { parameters.append(("placed_at", String(Int64(placed.timeIntervalSince1970 * 1000)))) }
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        let ring = min(plan.ringSeconds ?? TwilioCallerProof.outboundRingSeconds, TwilioCallerProof.outboundRingSeconds)
        let lifetime = TimeInterval(TwilioCallerProof.outboundRingSeconds) + TwilioCallerProof.streamLifetime
        let twiml = TwiML.connectStream(url: TwilioWebhook.mediaURL(base: base),
                                        parameters: callerProof.signed(parameters, lifetime: lifetime))
        var form = [("To", number.rawValue), ("From", from), ("Twiml", twiml), ("Timeout", String(ring))]
        if plan.voicemail != .ignore, plan.providerDetects {
            // Twilio's answering machine detection, reported without holding the call up: the
            // agent waits for it (a person) or leaves the message once the greeting has ended.
            form += [("MachineDetection", "DetectMessageEnd"), ("AsyncAmd", "true"),
                     ("AsyncAmdStatusCallback", base + TwilioCallbacks.machinePath), ("AsyncAmdStatusCallbackMethod", "POST")]
        }
        if let record = plan.recordID {
            // Twilio reports the call's final status: a call nobody answers closes its record.
            form += [("StatusCallback", base + TwilioCallbacks.statusPath + "?record=" + Self.formEncoded(record)), ("StatusCallbackMethod", "POST")]
        }
        let answer = try await post("Calls.json", form: form, action: "the call")
        guard let sid = answer["sid"]?.stringValue else { throw OutboundCallError(status: .badGateway, "Twilio's answer has no call sid") }
        hub.logger.info("placing a call through Twilio", metadata: ["call.id": "\(sid)", "session.key": "\(number.redacted)"])
        return sid
    }

    /// Hands a live call to `destination` by updating it with `<Dial>` TwiML (Twilio dials and
    /// the media stream ends). With `--public-url` the dial reports its result to
    /// `/twilio/transfer-result` (the record's transfer is settled then, and a caller nobody
    /// answered comes back to the agent) and a warm transfer's `announcement` is said to the
    /// person before the caller is connected (`/twilio/whisper`). Returns whether the outcome
    /// comes later by that report.
    func transfer(callSid: String, to destination: String, announcement: String?, recordID: String, sessionKey: String) async throws -> Bool {
        guard callSid.range(of: "^CA[0-9a-fA-F]{32}$", options: .regularExpression) != nil else {
            throw OutboundCallError(status: .badRequest, "not a Twilio call sid")
        }
        var twiml = TwiML.dial(destination, callerID: from)
        var reported = false
        if let publicURL {
            let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
            let action = base + TwilioCallbacks.resultPath + "?record=\(Self.formEncoded(recordID))&key=\(Self.formEncoded(sessionKey))"
            let whisper = announcement.map { base + TwilioCallbacks.whisperPath + "?text=" + Self.formEncoded(String($0.prefix(TwilioCallbacks.maximumAnnouncement))) }
            twiml = TwiML.dial(destination, callerID: from, timeout: TwilioCallbacks.ringSeconds, action: action, whisper: whisper)
            reported = true
        }
        _ = try await post("Calls/\(callSid).json", form: [("Twiml", twiml)], action: "the transfer")
        return reported
    }

    /// A form POST to the account's REST resource `path`; the JSON answer of a 2xx.
    private func post(_ path: String, form: [(String, String)], action: String) async throws -> JSONObject {
        let body = form.map { "\(Self.formEncoded($0.0))=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        guard let url = URL(string: "\(apiBase)/2010-04-01/Accounts/\(accountSID)/\(path)") else {
            throw OutboundCallError(status: .internalServerError, "bad Twilio API URL")
        }
        let credentials = Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        let response: HTTPJSONClient.Response
        do {
            response = try await HTTPJSONClient().post(url, headers: [
                ("Authorization", "Basic \(credentials)"), ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
            ], body: Array(body.utf8), timeout: .seconds(10))
        } catch {
            throw OutboundCallError(status: .badGateway, "Twilio could not be reached: \(error)")
        }
        let answer = (try? JSONParser.parse(response.body))?.objectValue
        guard (200..<300).contains(response.status), let answer else {
            let message = answer?["message"]?.stringValue.map { String($0.prefix(300)) } ?? "status \(response.status)"
            throw OutboundCallError(status: .badGateway, "Twilio refused \(action): \(message)")
        }
        return answer
    }

    /// `application/x-www-form-urlencoded` encoding of one name or value.
    static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
