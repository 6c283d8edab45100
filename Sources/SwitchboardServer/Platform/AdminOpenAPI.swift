import HTTPTypes
import RealtimeProtocol

/// The admin API's OpenAPI 3.1 document, made from the route table the routes are served from,
/// so it cannot drift from them: each route's method, path, parameters, body, answer and the
/// problems it can give.
extension AdminAPI {
    static func openAPI(_ routes: [Route], packs: [String], agents: [String]) -> JSONValue {
        var paths = JSONObject()
        for route in routes {
            let path = base + route.path
            var operations = paths[path]?.objectValue ?? JSONObject()
            var operation = JSONObject([
                ("summary", .string(route.summary)),
                ("operationId", .string(operationID(route))),
                ("security", .array([.object(["bearer": .array([])])])),
            ])
            let names = parameterNames(route.path)
            if !names.isEmpty {
                operation["parameters"] = .array(names.map { name in
                    .object(JSONObject([("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
                                        ("schema", Schemas.pathParameter(name, agents: agents))]))
                })
            }
            if route.path.hasSuffix("/calls") {
                var parameters = operation["parameters"]?.arrayValue ?? []
                for (name, schema) in [("limit", Schemas.object(["type": .string("integer"), "minimum": .int(1), "maximum": .int(100)])),
                                       ("cursor", Schemas.string()), ("outcome", Schemas.string()), ("number", Schemas.string())] {
                    parameters.append(.object(JSONObject([("name", .string(name)), ("in", .string("query")), ("required", .bool(false)), ("schema", schema)])))
                }
                operation["parameters"] = .array(parameters)
            }
            if let body = route.requestBody {
                operation["requestBody"] = .object(JSONObject([
                    ("required", .bool(true)), ("content", .object(["application/json": .object(["schema": body])])),
                ]))
            }
            var responses = JSONObject()
            let success = String(route.status.code)
            if let schema = route.response {
                responses[success] = .object(JSONObject([("description", .string(route.status.reasonPhrase)),
                                                         ("content", .object(["application/json": .object(["schema": schema])]))]))
            } else {
                responses[success] = .object(["description": .string(route.status.reasonPhrase)])
            }
            var problems: [Int] = [401, 403, 503]
            if !names.isEmpty { problems.append(404) }
            if route.requestBody != nil { problems += [400, 413, 415, 422] }
            if route.method == .post { problems.append(409) }
            for status in problems.sorted() {
                responses[String(status)] = .object(JSONObject([
                    ("description", .string(HTTPResponse.Status(code: status).reasonPhrase)),
                    ("content", .object(["application/problem+json": .object(["schema": Schemas.ref("Problem")])])),
                ]))
            }
            operation["responses"] = .object(responses)
            operations[route.method.rawValue.lowercased()] = .object(operation)
            paths[path] = .object(operations)
        }
        return .object(JSONObject([
            ("openapi", .string("3.1.0")),
            ("info", .object(JSONObject([("title", .string("Switchboard platform admin API")), ("version", .string("1"))]))),
            ("paths", .object(paths)),
            ("components", .object(JSONObject([
                ("securitySchemes", .object(["bearer": .object(["type": .string("http"), "scheme": .string("bearer")])])),
                ("schemas", .object(Schemas.components(packs: packs, agents: agents))),
            ]))),
        ]))
    }

    static func operationID(_ route: Route) -> String {
        let words = route.path.split(separator: "/").map { $0.hasPrefix("{") ? "by_" + $0.dropFirst().dropLast() : $0 }
        return route.method.rawValue.lowercased() + "_" + words.joined(separator: "_")
    }
}

/// JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of the admin API's bodies and answers.
enum Schemas {
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func object(_ members: [String: JSONValue]) -> JSONValue { .object(JSONObject(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })) }
    static func string(maxLength: Int = 256) -> JSONValue { object(["type": .string("string"), "maxLength": .int(maxLength)]) }
    static let time = object(["type": .string("string"), "format": .string("date-time")])
    static func nullable(_ type: String) -> JSONValue { object(["type": .array([.string(type), .string("null")])]) }

    static func list(_ item: JSONValue) -> JSONValue {
        record(["object": object(["const": .string("list")]), "data": object(["type": .string("array"), "items": item])], required: ["object", "data"])
    }

    static func record(_ properties: [String: JSONValue], required: [String], closed: Bool = false) -> JSONValue {
        var members: [String: JSONValue] = ["type": .string("object"), "properties": object(properties), "required": .array(required.map { .string($0) })]
        if closed { members["additionalProperties"] = .bool(false) }
        return object(members)
    }

    static let limits = record([
        "concurrent_calls": object(["type": .array([.string("integer"), .string("null")]), "minimum": .int(1), "maximum": .int(1_000_000)]),
        "calls_per_minute": object(["type": .array([.string("integer"), .string("null")]), "minimum": .int(1), "maximum": .int(1_000_000)]),
        "monthly_spend": object(["type": .array([.string("number"), .string("null")]), "minimum": .int(0), "maximum": .double(1e9)]),
    ], required: [], closed: true)

    static let name = object(["type": .string("string"), "minLength": .int(1), "maxLength": .int(100), "pattern": .string("^\\S(.*\\S)?$")])
    static let number = object(["type": .string("string"), "pattern": .string("^(\\+[1-9][0-9]{7,14}|sip:[a-z0-9._~+-]+@[a-z0-9.-]+)$")])

    /// A path parameter's schema.
    static func pathParameter(_ name: String, agents: [String]) -> JSONValue {
        switch name {
        case "tenant": object(["type": .string("string"), "pattern": .string("^ten_[0-9a-f]{24}$")])
        case "key": object(["type": .string("string"), "pattern": .string("^key_[0-9a-f]{24}$")])
        case "name": object(["type": .string("string"), "pattern": .string("^[a-z][a-z0-9_]{0,63}$")])
        case "agent": object(["enum": .array(agents.map { .string($0) })])
        case "number": number
        default: object(["type": .string("string"), "minLength": .int(1), "maxLength": .int(64), "pattern": .string("^[A-Za-z0-9_.-]+$")])
        }
    }

    static func components(packs served: [String], agents: [String]) -> JSONObject {
        let packs = object(["type": .string("array"), "items": object(["enum": .array(served.map { .string($0) })]), "minItems": .int(1),
                            "maxItems": .int(20), "uniqueItems": .bool(true)])
        let agent = object(["enum": .array(agents.map { .string($0) })])
        return JSONObject([
        ("Tenant", record(["id": string(), "object": object(["const": .string("tenant")]), "name": string(), "packs": packs, "default_agent": string(),
                           "limits": limits, "created_at": time], required: ["id", "object", "name", "packs", "default_agent", "limits", "created_at"])),
        ("TenantCreate", record(["name": name, "packs": packs, "default_agent": agent, "limits": limits], required: ["name", "packs", "default_agent"],
                                closed: true)),
        ("TenantUpdate", record(["name": name, "packs": packs, "default_agent": agent, "limits": limits], required: [], closed: true)),
        ("Number", record(["number": string(), "agent": string(), "created_at": time], required: ["number", "agent", "created_at"])),
        ("NumberCreate", record(["number": number, "agent": agent], required: ["number", "agent"], closed: true)),
        ("Key", record(["id": string(), "scope": object(["enum": .array(["client", "server", "admin"].map { .string($0) })]), "hint": string(),
                        "created_at": time, "revoked_at": object(["type": .array([.string("string"), .string("null")])])],
                       required: ["id", "scope", "hint", "created_at", "revoked_at"])),
        ("KeyCreate", record(["scope": object(["enum": .array(["client", "server", "admin"].map { .string($0) })])], required: ["scope"], closed: true)),
        ("KeyCreated", object(["allOf": .array([ref("Key"), record(["key": string()], required: ["key"])])])),
        ("ToolSetting", record(["agent": string(), "tool": string(), "enabled": object(["type": .string("boolean")]),
                                "settings": object(["type": .string("object")]), "updated_at": object(["type": .array([.string("string"), .string("null")])])],
                               required: ["agent", "tool", "enabled", "settings", "updated_at"])),
        ("ToolSettingPut", record(["enabled": object(["type": .string("boolean")]), "settings": object(["type": .string("object")])],
                                  required: ["enabled"], closed: true)),
        ("Secret", record(["name": string(), "hint": string(), "updated_at": time], required: ["name", "hint", "updated_at"])),
        ("SecretPut", record(["value": object(["type": .string("string"), "minLength": .int(1), "maxLength": .int(4096)])], required: ["value"], closed: true)),
        ("CallPage", record(["object": object(["const": .string("list")]), "data": object(["type": .string("array"), "items": object(["type": .string("object")])]),
                             "next": object(["type": .array([.string("string"), .string("null")])])], required: ["object", "data", "next"])),
        ("Problem", record(["type": string(), "title": string(), "status": object(["type": .string("integer")]), "detail": string(maxLength: 2000)],
                           required: ["type", "title", "status", "detail"])),
        ])
    }
}
