import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

/// `POST /v1/realtime/client_secrets` (and `/realtime/client_secrets`), as OpenAI's: a trusted
/// backend (a server key; no key on an open loopback hub) mints a short-lived secret a browser
/// connects with. Body: `{expires_after: {anchor: "created_at", seconds: 10-7200 (600)},
/// session: {…realtime session…}, hub: {customer_id, customer_name, session_state_key, agent}}`;
/// answer: `{value: "ek_…", expires_at, session}`.
enum ClientSecretRoute {
    static let paths = ["/v1/realtime/client_secrets", "/realtime/client_secrets"]

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        for path in paths {
            router.post(RouterPath(path)) { request, _ -> Response in
                do {
                    return try await mint(request, hub: hub)
                } catch let failure as HTTPFailure {
                    return failure.response
                }
            }
        }
    }

    private static func mint(_ request: Request, hub: HubContext) async throws -> Response {
        // A page of another site (or a rebound DNS name) cannot mint on the hub's behalf.
        guard hub.origins.permits(origin: request.headers[.origin], host: request.head.authority) else {
            throw HTTPFailure(.forbidden, "invalid_request_error", "origin_not_allowed", "This page's Origin may not mint client secrets (--allowed-origin).")
        }
        let presented = KeyStore.presented(fields: request.headers)
        let minter = presented.compactMap { hub.identity.keys.match($0) }.max { $0.scope < $1.scope }
        if !hub.identity.isOpen {
            guard let minter else {
                throw HTTPFailure(.unauthorized, "invalid_request_error", "invalid_api_key", "Minting client secrets needs a server key: send 'Authorization: Bearer <server key>'.")
            }
            guard minter.scope >= .server else {
                throw HTTPFailure(.forbidden, "invalid_request_error", "insufficient_scope", "This key has the client scope; minting client secrets needs a server key.")
            }
        }
        try requireJSON(request)
        let body = try await request.body.collect(upTo: 16 * 1024)
        let object: JSONObject
        if body.readableBytes == 0 {
            object = JSONObject()
        } else {
            guard let parsed = (try? JSONParser.parse(body.readableBytesView))?.objectValue else {
                throw HTTPFailure.badRequest("invalid_json", "The body must be a JSON object.", param: nil)
            }
            object = parsed
        }
        let now = Int(Date().timeIntervalSince1970)
        var seconds = 600
        if let expires = object["expires_after"], !expires.isNull {
            guard let expires = expires.objectValue else { throw HTTPFailure.badRequest("invalid_type", "expires_after must be an object.", param: "expires_after") }
            if let anchor = expires["anchor"], anchor.stringValue != "created_at" {
                throw HTTPFailure.badRequest("invalid_value", "expires_after.anchor must be 'created_at'.", param: "expires_after.anchor")
            }
            if let value = expires["seconds"] {
                guard let value = value.intValue, (10...7200).contains(value) else {
                    throw HTTPFailure.badRequest("invalid_value", "expires_after.seconds must be an integer from 10 to 7200.", param: "expires_after.seconds")
                }
                seconds = value
            }
        }
        var sessionObject: JSONObject?
        if let session = object["session"], !session.isNull {
            guard let session = session.objectValue else { throw HTTPFailure.badRequest("invalid_type", "session must be an object.", param: "session") }
            if let type = session["type"]?.stringValue, type != "realtime" {
                throw HTTPFailure.badRequest("invalid_value", "session.type must be 'realtime'.", param: "session.type")
            }
            do {
                _ = try SessionConfig(json: session, dialect: .ga)
            } catch {
                throw HTTPFailure.badRequest("invalid_value", error.message, param: "session." + error.param)
            }
            sessionObject = session
        }
        var claims = ClientSecretClaims(id: "cs_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24),
                                        issuedAt: now, expiresAt: now + seconds, session: sessionObject, minter: minter?.id)
        if let bound = object["hub"], !bound.isNull {
            guard let bound = bound.objectValue else { throw HTTPFailure.badRequest("invalid_type", "hub must be an object.", param: "hub") }
            func text(_ name: String, max: Int) throws -> String? {
                guard let value = bound[name], !value.isNull else { return nil }
                guard let string = value.stringValue, !string.isEmpty, string.count <= max else {
                    throw HTTPFailure.badRequest("invalid_value", "hub.\(name) must be a non-empty string of at most \(max) characters.", param: "hub.\(name)")
                }
                return string
            }
            claims.customerID = try text("customer_id", max: 128)
            claims.customerName = try text("customer_name", max: 200)
            claims.agent = try text("agent", max: 64)
            if let agent = claims.agent, hub.catalog.persona(named: agent) == nil {
                throw HTTPFailure.badRequest("invalid_value", "unknown agent '\(agent)'; the agents are: \(hub.catalog.personas.map(\.name).joined(separator: ", "))", param: "hub.agent")
            }
            if let key = try text("session_state_key", max: 64) {
                guard let parsed = SessionKey(key), parsed.kind == .uuid else {
                    throw HTTPFailure.badRequest("invalid_value", "hub.session_state_key must be a UUID: phone-number sessions belong to phone bridges.", param: "hub.session_state_key")
                }
                claims.sessionStateKey = parsed.rawValue
            }
        }
        let value = hub.identity.secrets.mint(claims)
        hub.metrics.sessionCredential("client_secret_minted")
        hub.logger.info("client secret minted", metadata: ["secret.id": "\(claims.id)", "secret.expires_in": "\(seconds)"])
        var session = JSONObject([("type", .string("realtime")), ("object", .string("realtime.session")),
                                  ("id", .string("sess_" + claims.id.dropFirst(3)))])
        for (name, member) in sessionObject ?? JSONObject() where name != "type" { session[name] = member }
        if session["model"] == nil { session["model"] = .string(hub.configuration.modelDeployment ?? "gpt-realtime") }
        return json(.ok, JSONObject([("value", .string(value)), ("expires_at", .int(claims.expiresAt)), ("session", .object(session))]))
    }

    /// 415 unless the body is declared JSON.
    static func requireJSON(_ request: Request) throws {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw HTTPFailure(.unsupportedMediaType, "invalid_request_error", "unsupported_media_type", "Send the body as JSON with 'Content-Type: application/json'.")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: JSONObject) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(object).jsonString + "\n")))
    }
}

/// An HTTP error in OpenAI's shape: `{"error": {"message", "type", "code", "param"}}`.
struct HTTPFailure: Error {
    var status: HTTPResponse.Status
    var type: String
    var code: String
    var message: String
    var param: String?

    init(_ status: HTTPResponse.Status, _ type: String, _ code: String, _ message: String, param: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    static func badRequest(_ code: String, _ message: String, param: String?) -> HTTPFailure {
        HTTPFailure(.badRequest, "invalid_request_error", code, message, param: param)
    }

    static func rateLimited(_ message: String) -> HTTPFailure {
        HTTPFailure(.tooManyRequests, "invalid_request_error", "rate_limit_exceeded", message)
    }

    var response: Response {
        ClientSecretRoute.json(status, JSONObject([("error", .object(JSONObject([
            ("message", .string(message)), ("type", .string(type)), ("code", .string(code)),
            ("param", param.map { .string($0) } ?? .null),
        ])))]))
    }
}
