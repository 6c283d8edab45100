import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardPlatform
import SwitchboardTools

extension AdminAPI {
    /// Every admin route, in the order the OpenAPI document lists them.
    static func routes() -> [Route] {
        [
            Route(method: .get, path: "/tenants", summary: "The tenants this key may see (all of them for the platform's key).",
                  status: .ok, response: Schemas.list(Schemas.ref("Tenant"))) { call in
                let tenants: [Tenant]
                switch call.caller {
                case .platform: tenants = try await call.platform.store.tenants()
                case .tenant(let id): tenants = try await call.platform.store.tenant(id: id).map { [$0] } ?? []
                }
                return json(.ok, list(tenants.map { .object(tenantJSON($0)) }))
            },
            Route(method: .post, path: "/tenants", summary: "Creates a tenant running some of the hub's packs.", platformOnly: true,
                  requestBody: Schemas.ref("TenantCreate"), status: .created, response: Schemas.ref("Tenant")) { call in
                try only(["name", "packs", "default_agent", "limits"], in: call.body)
                let name = try text(call.body, "name", required: true, maximum: 100)!
                let packs = try packNames(call.body["packs"], hub: call.hub, required: true)!
                let agent = try agentName(call.body["default_agent"], packs: packs, hub: call.hub, field: "default_agent")
                let tenant = Tenant(name: name, packs: packs, defaultAgent: agent, limits: try limits(call.body["limits"]) ?? TenantLimits())
                try await call.platform.store.createTenant(tenant)
                call.hub.logger.info("tenant created", metadata: ["tenant.id": "\(tenant.id)"])
                return json(.created, tenantJSON(tenant))
            },
            Route(method: .get, path: "/tenants/{tenant}", summary: "One tenant.", status: .ok, response: Schemas.ref("Tenant")) { call in
                json(.ok, tenantJSON(try await tenant(call)))
            },
            Route(method: .patch, path: "/tenants/{tenant}",
                  summary: "Changes a tenant: its default agent (its own admin key may), its name, packs and limits (the platform's key).",
                  requestBody: Schemas.ref("TenantUpdate"), status: .ok, response: Schemas.ref("Tenant")) { call in
                try only(["name", "packs", "default_agent", "limits"], in: call.body)
                var tenant = try await tenant(call)
                if call.caller != .platform, call.body.members.contains(where: { $0.key != "default_agent" }) {
                    throw Problem.forbidden("A tenant's key may change its default agent only.")
                }
                if let name = try text(call.body, "name", required: false, maximum: 100) { tenant.name = name }
                if let packs = try packNames(call.body["packs"], hub: call.hub, required: false) { tenant.packs = packs }
                if call.body["default_agent"] != nil || call.body["packs"] != nil {
                    tenant.defaultAgent = try agentName(call.body["default_agent"] ?? .string(tenant.defaultAgent), packs: tenant.packs, hub: call.hub,
                                                        field: "default_agent")
                }
                if let limits = try limits(call.body["limits"]) { tenant.limits = limits }
                try await call.platform.store.updateTenant(tenant)
                return json(.ok, tenantJSON(tenant))
            },
            Route(method: .delete, path: "/tenants/{tenant}", summary: "Removes a tenant with its numbers, keys, settings and secrets.",
                  platformOnly: true, status: .noContent) { call in
                try await call.platform.store.deleteTenant(id: call.parameter("tenant"))
                return Response(status: .noContent)
            },

            // Numbers
            Route(method: .get, path: "/tenants/{tenant}/numbers", summary: "The tenant's numbers and the agent each reaches.",
                  status: .ok, response: Schemas.list(Schemas.ref("Number"))) { call in
                let tenant = try await tenant(call)
                return json(.ok, list(try await call.platform.store.numbers(tenant: tenant.id).map { .object(numberJSON($0)) }))
            },
            Route(method: .post, path: "/tenants/{tenant}/numbers", summary: "Binds a phone number (E.164) or SIP address to one of the tenant's agents.",
                  requestBody: Schemas.ref("NumberCreate"), status: .created, response: Schemas.ref("Number")) { call in
                try only(["number", "agent"], in: call.body)
                let tenant = try await tenant(call)
                guard let text = try text(call.body, "number", required: true, maximum: 256), let number = NumberBinding.normalized(text) else {
                    throw Problem.invalid("'number' must be a number in E.164 (+15551230000) or a sip:user@host address.")
                }
                let agent = try agentName(call.body["agent"], packs: tenant.packs, hub: call.hub, field: "agent")
                let binding = NumberBinding(number: number, tenantID: tenant.id, agent: agent)
                try await call.platform.store.bind(binding)
                return json(.created, numberJSON(binding))
            },
            Route(method: .delete, path: "/tenants/{tenant}/numbers/{number}", summary: "Unbinds a number.", status: .noContent) { call in
                let tenant = try await tenant(call)
                guard let number = NumberBinding.normalized(call.parameter("number")) else { throw Problem.notFound("No such number.") }
                try await call.platform.store.unbind(number, tenant: tenant.id)
                return Response(status: .noContent)
            },

            // Keys
            Route(method: .get, path: "/tenants/{tenant}/keys", summary: "The tenant's API keys (never the keys themselves: their last four characters).",
                  status: .ok, response: Schemas.list(Schemas.ref("Key"))) { call in
                let tenant = try await tenant(call)
                return json(.ok, list(try await call.platform.store.keys(tenant: tenant.id).map { .object(keyJSON($0)) }))
            },
            Route(method: .post, path: "/tenants/{tenant}/keys", summary: "Makes an API key for the tenant; the key is in this answer only.",
                  requestBody: Schemas.ref("KeyCreate"), status: .created, response: Schemas.ref("KeyCreated")) { call in
                try only(["scope"], in: call.body)
                let tenant = try await tenant(call)
                guard let scope = call.body["scope"]?.stringValue.flatMap(TenantKey.Scope.init(rawValue:)) else {
                    throw Problem.invalid("'scope' must be client, server or admin.")
                }
                let key = TenantKeys.make()
                let stored = TenantKey(tenantID: tenant.id, scope: scope, hash: TenantKeys.hash(key), hint: "…" + String(key.suffix(4)))
                try await call.platform.store.addKey(stored)
                var object = keyJSON(stored)
                object["key"] = .string(key)
                return json(.created, object)
            },
            Route(method: .delete, path: "/tenants/{tenant}/keys/{key}", summary: "Revokes a key: it opens nothing from now on.", status: .noContent) { call in
                let tenant = try await tenant(call)
                try await call.platform.store.revokeKey(id: call.parameter("key"), tenant: tenant.id, at: Date())
                return Response(status: .noContent)
            },

            // Tools
            Route(method: .get, path: "/tenants/{tenant}/tools", summary: "Every tool of the tenant's agents: enabled or not, and its settings.",
                  status: .ok, response: Schemas.list(Schemas.ref("ToolSetting"))) { call in
                let tenant = try await tenant(call)
                let stored = try await call.platform.store.tools(tenant: tenant.id)
                var items: [JSONValue] = []
                for (agent, tool) in agentTools(tenant, hub: call.hub) {
                    let setting = stored.first { $0.agent == agent && $0.tool == tool }
                    items.append(.object(toolJSON(agent: agent, tool: tool, setting: setting)))
                }
                return json(.ok, list(items))
            },
            Route(method: .put, path: "/tenants/{tenant}/agents/{agent}/tools/{tool}",
                  summary: "Enables or disables one of an agent's tools and sets its public settings; new sessions use it, sessions under way keep theirs.",
                  requestBody: Schemas.ref("ToolSettingPut"), status: .ok, response: Schemas.ref("ToolSetting")) { call in
                try only(["enabled", "settings"], in: call.body)
                let tenant = try await tenant(call)
                let agent = call.parameter("agent"), tool = call.parameter("tool")
                guard agentTools(tenant, hub: call.hub).contains(where: { $0 == (agent, tool) }) else {
                    throw Problem.notFound("The tenant's agent \(agent.prefix(64)) has no tool \(tool.prefix(64)).")
                }
                guard let enabled = call.body["enabled"]?.boolValue else { throw Problem.invalid("'enabled' must be true or false.") }
                let settings = call.body["settings"] ?? .object(JSONObject())
                guard case .object = settings, settings.jsonString.utf8.count <= 16 * 1024 else {
                    throw Problem.invalid("'settings' must be a JSON object of at most 16 KB.")
                }
                let setting = ToolSetting(tenantID: tenant.id, agent: agent, tool: tool, enabled: enabled, settings: settings.jsonString)
                try await call.platform.store.setTool(setting)
                return json(.ok, toolJSON(agent: agent, tool: tool, setting: setting))
            },

            // Secrets
            Route(method: .get, path: "/tenants/{tenant}/secrets", summary: "The tenant's secrets: names, hints and when they changed; never their values.",
                  status: .ok, response: Schemas.list(Schemas.ref("Secret"))) { call in
                let tenant = try await tenant(call)
                return json(.ok, list(try await call.platform.store.secrets(tenant: tenant.id).map { .object(secretJSON($0)) }))
            },
            Route(method: .put, path: "/tenants/{tenant}/secrets/{name}",
                  summary: "Sets (or rotates) a secret; it is sealed under the master key and never returned.",
                  requestBody: Schemas.ref("SecretPut"), status: .ok, response: Schemas.ref("Secret")) { call in
                try only(["value"], in: call.body)
                let tenant = try await tenant(call)
                guard let box = call.platform.secrets else {
                    throw Problem(.serviceUnavailable, "no_master_key", "Secrets cannot be stored",
                                  "The hub has no SWITCHBOARD_MASTER_KEY (32 random bytes, base64): without it no secret is stored.")
                }
                let name = call.parameter("name")
                guard name.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                    throw Problem.invalid("A secret's name is lowercase letters, digits and '_', starting with a letter (at most 64).")
                }
                guard let value = call.body["value"]?.stringValue, !value.isEmpty, value.count <= 4096 else {
                    throw Problem.invalid("'value' must be text of 1 to 4096 characters.")
                }
                let secret = SealedSecret(tenantID: tenant.id, name: name, sealed: try box.seal(value, tenant: tenant.id, name: name), hint: SecretBox.hint(value))
                try await call.platform.store.setSecret(secret)
                call.hub.logger.info("secret set", metadata: ["tenant.id": "\(tenant.id)", "secret.name": "\(name)"])
                return json(.ok, secretJSON(secret))
            },
            Route(method: .delete, path: "/tenants/{tenant}/secrets/{name}", summary: "Removes a secret.", status: .noContent) { call in
                let tenant = try await tenant(call)
                try await call.platform.store.deleteSecret(tenant: tenant.id, name: call.parameter("name"))
                return Response(status: .noContent)
            },

            // Calls
            Route(method: .get, path: "/tenants/{tenant}/calls", summary: "The tenant's call records, newest first (as /v1/calls, for this tenant).",
                  status: .ok, response: Schemas.ref("CallPage")) { call in
                let tenant = try await tenant(call)
                var query: CallQuery
                do {
                    query = try CallsAPI.query(call.query)
                } catch let failure as HTTPFailure {
                    throw Problem.invalid(failure.message)
                }
                query.tenant = tenant.id
                let page: CallPage
                do {
                    page = try await call.hub.calls.store.records(query)
                } catch let error as CallStoreError where error.kind == .badCursor {
                    throw Problem.invalid("The cursor is not one this hub gave: pass the 'next' of the previous page as it came.")
                }
                return json(.ok, JSONObject([("object", .string("list")), ("data", .array(page.data.map(\.json))),
                                             ("next", page.next.map { .string($0) } ?? .null)]))
            },
        ]
    }

    // MARK: Reading and checking

    static func tenant(_ call: Call) async throws -> Tenant {
        guard let tenant = try await call.platform.store.tenant(id: call.parameter("tenant")) else {
            throw Problem.notFound("No tenant \(call.parameter("tenant").prefix(64)).")
        }
        return tenant
    }

    static func packNames(_ value: JSONValue?, hub: HubContext, required: Bool) throws -> [String]? {
        guard let value, !value.isNull else {
            if required { throw Problem.invalid("'packs' is required: the names of packs this hub serves.") }
            return nil
        }
        let served = hub.packs?.all.map(\.pack.name) ?? []
        guard let names = value.arrayValue?.compactMap(\.stringValue), names.count == value.arrayValue?.count, !names.isEmpty, names.count <= 20 else {
            throw Problem.invalid("'packs' must be a list of 1 to 20 pack names.")
        }
        if let unknown = names.first(where: { !served.contains($0) }) {
            throw Problem.invalid("This hub serves no pack '\(unknown.prefix(64))'; it serves \(served.joined(separator: ", ")).")
        }
        return Array(NSOrderedSet(array: names).compactMap { $0 as? String })
    }

    /// An agent of one of `packs`.
    static func agentName(_ value: JSONValue?, packs: [String], hub: HubContext, field: String) throws -> String {
        guard let name = value?.stringValue, !name.isEmpty else { throw Problem.invalid("'\(field)' is required: an agent of the tenant's packs.") }
        let agents = (hub.packs?.all ?? []).filter { packs.contains($0.pack.name) }.flatMap { $0.pack.catalog.personas.map(\.name) }
        guard agents.contains(name) else {
            throw Problem.invalid("'\(field)': no agent '\(name.prefix(64))' in the packs \(packs.joined(separator: ", ")); they have \(agents.joined(separator: ", ")).")
        }
        return name
    }

    /// Every (agent, tool) of the tenant's packs.
    static func agentTools(_ tenant: Tenant, hub: HubContext) -> [(String, String)] {
        (hub.packs?.all ?? []).filter { tenant.packs.contains($0.pack.name) }.flatMap { runtime in
            runtime.pack.catalog.personas.flatMap { persona in persona.tools.map { (persona.name, $0.name) } }
        }
    }

    static func limits(_ value: JSONValue?) throws -> TenantLimits? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.objectValue else { throw Problem.invalid("'limits' must be an object.") }
        try only(["concurrent_calls", "calls_per_minute", "monthly_spend"], in: object)
        func count(_ name: String) throws -> Int? {
            guard let member = object[name], !member.isNull else { return nil }
            guard let number = member.intValue, (1...1_000_000).contains(number) else { throw Problem.invalid("'limits.\(name)' must be a whole number from 1.") }
            return number
        }
        var spend: Double?
        if let member = object["monthly_spend"], !member.isNull {
            guard let number = member.doubleValue, number.isFinite, number >= 0, number <= 1e9 else {
                throw Problem.invalid("'limits.monthly_spend' must be an amount from 0.")
            }
            spend = number
        }
        return TenantLimits(concurrentCalls: try count("concurrent_calls"), callsPerMinute: try count("calls_per_minute"), monthlySpend: spend)
    }

    // MARK: Answers

    static func tenantJSON(_ tenant: Tenant) -> JSONObject {
        var limits = JSONObject()
        limits["concurrent_calls"] = tenant.limits.concurrentCalls.map { .int($0) } ?? .null
        limits["calls_per_minute"] = tenant.limits.callsPerMinute.map { .int($0) } ?? .null
        limits["monthly_spend"] = tenant.limits.monthlySpend.map { .double($0) } ?? .null
        return JSONObject([
            ("id", .string(tenant.id)), ("object", .string("tenant")), ("name", .string(tenant.name)), ("packs", .array(tenant.packs.map { .string($0) })),
            ("default_agent", .string(tenant.defaultAgent)), ("limits", .object(limits)), ("created_at", time(tenant.createdAt)),
        ])
    }

    static func numberJSON(_ binding: NumberBinding) -> JSONObject {
        JSONObject([("number", .string(binding.number)), ("agent", .string(binding.agent)), ("created_at", time(binding.createdAt))])
    }

    static func keyJSON(_ key: TenantKey) -> JSONObject {
        JSONObject([("id", .string(key.id)), ("scope", .string(key.scope.rawValue)), ("hint", .string(key.hint)), ("created_at", time(key.createdAt)),
                    ("revoked_at", key.revokedAt.map(time) ?? .null)])
    }

    static func toolJSON(agent: String, tool: String, setting: ToolSetting?) -> JSONObject {
        JSONObject([
            ("agent", .string(agent)), ("tool", .string(tool)), ("enabled", .bool(setting?.enabled ?? true)),
            ("settings", setting.flatMap { try? JSONParser.parse($0.settings) } ?? .object(JSONObject())),
            ("updated_at", setting.map { time($0.updatedAt) } ?? .null),
        ])
    }

    static func secretJSON(_ secret: SealedSecret) -> JSONObject {
        JSONObject([("name", .string(secret.name)), ("hint", .string(secret.hint)), ("updated_at", time(secret.updatedAt))])
    }
}
