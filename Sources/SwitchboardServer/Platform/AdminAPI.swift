import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardPlatform
import SwitchboardTools

/// The platform's store and the box its secrets are sealed with (`SWITCHBOARD_MASTER_KEY`;
/// without one no secret is stored).
struct PlatformContext: Sendable {
    let store: any PlatformStore
    let secrets: SecretBox?
    /// Which tenant and agent each dialled number reaches.
    let directory: NumberDirectory
}

/// `/admin/v1/…`: tenants, their numbers, keys, tool settings, secrets and calls. The platform's
/// admin key (`--admin-key`, or anyone on an open loopback hub) manages every tenant; a tenant's
/// admin key only its own, and another tenant's things are 404 to it. Errors are RFC 9457
/// problem details. Every route is described by the OpenAPI 3.1 document at
/// `/admin/v1/openapi.json`, made from the same table the routes are served from.
enum AdminAPI {
    static let base = "/admin/v1"

    /// Who is calling.
    enum Caller: Sendable, Equatable {
        case platform
        case tenant(String)
    }

    /// One route, as it is served and as the OpenAPI document describes it.
    struct Route: Sendable {
        var method: HTTPRequest.Method
        /// Under `base`, with `{name}` parameters.
        var path: String
        var summary: String
        /// Only the platform's admin key may call it.
        var platformOnly = false
        var requestBody: JSONValue?
        var status: HTTPResponse.Status
        var response: JSONValue?
        var handle: @Sendable (Call) async throws -> Response
    }

    /// One call of a route: the caller, the path's parameters and the JSON body.
    struct Call: Sendable {
        var caller: Caller
        var parameters: [String: String]
        var body: JSONObject
        var query: [(String, String)]
        var hub: HubContext
        var platform: PlatformContext

        func parameter(_ name: String) -> String { parameters[name] ?? "" }
    }

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        let table = routes()
        // The document names this hub's packs and agents, so it says what the routes accept.
        let served = hub.packs?.all ?? []
        let document = openAPI(table, packs: served.map(\.pack.name),
                               agents: Array(Set(served.flatMap { $0.pack.catalog.personas.map(\.name) })).sorted())
        router.get(RouterPath(base + "/openapi.json")) { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: document.jsonString + "\n")))
        }
        for route in table {
            let path = base + route.path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: "")
            let names = parameterNames(route.path)
            router.on(RouterPath(path), method: route.method) { request, context -> Response in
                do {
                    guard let platform = hub.platform else {
                        throw Problem(.serviceUnavailable, "no_platform_store", "The platform store is not open",
                                      "This hub keeps no tenants: it was started without its data (--data).")
                    }
                    let caller = try await authorize(request, hub: hub, platform: platform)
                    if route.platformOnly, caller != .platform { throw Problem.forbidden("Only the platform's admin key may do this.") }
                    var parameters: [String: String] = [:]
                    for name in names { parameters[name] = context.parameters.get(name).flatMap { $0.removingPercentEncoding } ?? "" }
                    if case .tenant(let own) = caller, let tenant = parameters["tenant"], tenant != own {
                        // Another tenant's things do not exist for this key.
                        throw Problem.notFound("No tenant \(tenant).")
                    }
                    let body = route.requestBody == nil ? JSONObject() : try await Self.body(request)
                    let call = Call(caller: caller, parameters: parameters, body: body, query: ConnectionRequest.query(of: request.uri.description),
                                    hub: hub, platform: platform)
                    return try await route.handle(call)
                } catch let problem as Problem {
                    return problem.response
                } catch let error as PlatformError {
                    if error.kind == .unavailable || error.kind == .corrupt {
                        hub.logger.error("the platform store failed", metadata: ["error": "\(error)"])
                    }
                    return Problem(error).response
                } catch {
                    hub.logger.error("an admin request failed", metadata: ["error": "\(error)"])
                    return Problem(.serviceUnavailable, "unavailable", "The request could not be served", "Try again later.").response
                }
            }
        }
    }

    static func parameterNames(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { $0.hasPrefix("{") && $0.hasSuffix("}") ? String($0.dropFirst().dropLast()) : nil }
    }

    // MARK: Who is calling

    static func authorize(_ request: Request, hub: HubContext, platform: PlatformContext) async throws -> Caller {
        let presented = KeyStore.presented(fields: request.headers)
        if hub.identity.isOpen { return .platform }
        if presented.contains(where: { hub.identity.keys.match($0)?.scope == .admin }) { return .platform }
        var weaker = false
        for key in presented {
            guard let found = try await platform.store.key(hash: TenantKeys.hash(key)), found.revokedAt == nil else { continue }
            if found.scope == .admin { return .tenant(found.tenantID) }
            weaker = true
        }
        if weaker || presented.contains(where: { hub.identity.keys.match($0) != nil }) {
            throw Problem.forbidden("The admin API needs an admin key; this key's scope is lower.")
        }
        throw Problem.unauthorized
    }

    // MARK: Bodies

    static func body(_ request: Request) async throws -> JSONObject {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw Problem(.unsupportedMediaType, "unsupported_media_type", "Send JSON", "Send the body as JSON with 'Content-Type: application/json'.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw Problem(.contentTooLarge, "too_large", "The body is too large", "A request body may be at most 64 KB.")
        }
        guard let object = (try? JSONParser.parse(buffer.readableBytesView))?.objectValue else {
            throw Problem(.badRequest, "invalid_json", "The body is not a JSON object", "Send one JSON object.")
        }
        return object
    }

    /// Refuses members the schema does not name.
    static func only(_ allowed: Set<String>, in body: JSONObject) throws {
        if let stray = body.members.map(\.key).first(where: { !allowed.contains($0) }) {
            throw Problem.invalid("'\(stray.prefix(64))' is not a field here; the fields are \(allowed.sorted().joined(separator: ", ")).")
        }
    }

    static func text(_ body: JSONObject, _ name: String, required: Bool, maximum: Int = 200) throws -> String? {
        guard let value = body[name], !value.isNull else {
            if required { throw Problem.invalid("'\(name)' is required.") }
            return nil
        }
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty, text.count <= maximum,
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.invalid("'\(name)' must be text of 1 to \(maximum) characters, without control characters.")
        }
        return text
    }

    static func list(_ items: [JSONValue]) -> JSONObject {
        JSONObject([("object", .string("list")), ("data", .array(items))])
    }

    static func json(_ status: HTTPResponse.Status, _ object: JSONObject) -> Response {
        ClientSecretRoute.json(status, object)
    }

    static func time(_ date: Date) -> JSONValue { .string(CallTime.format(date)) }
}

/// Tenant API keys: `sbk_` and 43 base64url characters (32 random bytes); only their SHA-256 is kept.
enum TenantKeys {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "sbk_" + text
    }

    static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
