import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOHTTP1
import RealtimeProtocol
import Logging
import SwitchboardAgents
import SwitchboardCore
import SwitchboardTools
import SwitchboardData
@testable import SwitchboardServer
@testable import SwitchboardTelephony
import SwitchboardTesting
import Testing

/// An HTTP POST to the hub: the status and the JSON body.
private func post(_ port: Int, _ path: String, _ body: String, key: String? = nil, contentType: String? = "application/json",
                  origin: String? = nil) async throws -> (status: Int, body: JSONObject) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = "POST"
    request.httpBody = Data(body.utf8)
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    if let origin { request.setValue(origin, forHTTPHeaderField: "Origin") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONParser.parse(Array(data)))?.objectValue ?? JSONObject())
}

/// Mints a client secret; `hub` is the hub object's JSON members.
private func mint(_ port: Int, hub: String = "{}", seconds: Int = 600, key: String? = nil) async throws -> String {
    let answer = try await post(port, "/v1/realtime/client_secrets",
                                #"{"expires_after":{"anchor":"created_at","seconds":\#(seconds)},"session":{"type":"realtime","output_modalities":["text"]},"hub":\#(hub)}"#,
                                key: key)
    #expect(answer.status == 200)
    return try #require(answer.body["value"]?.stringValue)
}

/// The first event of a refused connection and its close code.
private func refusal(_ port: Int, _ uri: String, headers: [(String, String)] = []) async throws -> (code: String?, close: UInt16?, events: [String]) {
    let client = try await RealtimeTestClient.connect(port: port, uri: uri, headers: headers)
    let first = try await client.nextEvent()
    let close = try await client.closeFrame().code
    return (RealtimeError(event: first)?.code, close, [first.type])
}

private func ask(_ client: RealtimeTestClient, _ text: String) async throws -> [RealtimeEvent] {
    try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
    try await client.send(#"{"type":"response.create"}"#)
    return try await client.events(until: "response.done")
}

private let secretKey = "identity-test-secret-key-0123456789"

@Suite("identity: proven customers, scoped keys, client secrets", .timeLimit(.minutes(2)))
struct IdentityTests {
    @Test("a web client naming a caller's number is refused and sees no history")
    func webClientCannotOpenPhoneSession() async throws {
        let store = MemorySessionStore()
        try await store.save(SessionState(key: "+15551230001", customer: Customer(name: "Sam Rivera", id: "C-1002"), activeAgent: "flight",
                                          history: [Turn(user: "my card ends 4242", assistant: "noted", agent: "flight")]), fence: nil)
        let configuration = testConfiguration { $0.apiKeys = ["client-key"]; $0.serverKeys = ["server-key"]; $0.adminKeys = ["admin-key"] }
        try await withHub(configuration, store: store) { port in
            let uri = "/v1/realtime?session_state_key=%2B15551230001&hub_events=1"
            let keyed = try await refusal(port, uri, headers: [("Authorization", "Bearer client-key")])
            #expect(keyed.code == "session_key_not_allowed")
            #expect(keyed.close == 1008)
            #expect(!keyed.events.contains("hub.session.ready"))
            let secret = try await mint(port, hub: #"{"customer_id":"C-1002"}"#, key: "server-key")
            let viaSecret = try await refusal(port, uri, headers: [("Authorization", "Bearer \(secret)")])
            #expect(viaSecret.code == "session_key_not_allowed")
            // A trusted backend opens the session, but the caller's history is not replayed to it.
            let server = try await RealtimeTestClient.connect(port: port, uri: uri, headers: [("Authorization", "Bearer server-key")])
            let ready = try await server.nextEvent()
            #expect(ready.type == "hub.session.ready")
            #expect(ready["history"]?.arrayValue?.isEmpty == true)
            #expect(ready["resumed"] == .bool(true))
            await server.close()
            // An admin key (operators' tools) sees it.
            let admin = try await RealtimeTestClient.connect(port: port, uri: uri, headers: [("Authorization", "Bearer admin-key")])
            #expect(try await admin.nextEvent()["history"]?.arrayValue?.count == 1)
            await admin.close()
        }
        // On an open loopback hub too.
        try await withHub(store: store) { port in
            let open = try await refusal(port, "/v1/realtime?session_state_key=%2B15551230001&hub_events=1")
            #expect(open.code == "session_key_not_allowed")
            #expect(open.close == 1008)
        }
        #expect(try await store.load("+15551230001")?.history.count == 1)
    }

    @Test("customer_id in a query without a server key is refused")
    func customerIDNeedsServerKey() async throws {
        try await withHub(testConfiguration { $0.apiKeys = ["client-key"]; $0.serverKeys = ["server-key"] }) { port in
            let client = try await refusal(port, "/v1/realtime?customer_id=C-1002", headers: [("Authorization", "Bearer client-key")])
            #expect(client.code == "customer_not_allowed")
            #expect(client.close == 1008)
            let server = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?customer_id=C-1002", headers: [("Authorization", "Bearer server-key")])
            #expect(try await server.nextEvent().type == "session.created")
            await server.close()
        }
        try await withHub { port in
            let open = try await refusal(port, "/v1/realtime?customer_id=C-1002")
            #expect(open.code == "customer_not_allowed")
        }
    }

    @Test("the same question through secrets minted for two customers gets each one's own bookings")
    func eachCustomerSeesOwnBookings() async throws {
        try await withHub(testConfiguration { $0.serverKeys = ["server-key"]; $0.secretKey = secretKey }) { port in
            var answers: [String: String] = [:]
            for customer in ["C-1001", "C-1002"] {
                let secret = try await mint(port, hub: #"{"customer_id":"\#(customer)"}"#, key: "server-key")
                let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1", headers: [("Authorization", "Bearer \(secret)")])
                _ = try await client.events(until: "session.created")
                let events = try await ask(client, "What are my upcoming flights?")
                // The secret's session (text only) is the session's initial client settings.
                #expect(!events.contains { $0.type == "response.output_audio.delta" })
                let result = try #require(events.first { $0.type == "hub.tool.result" })
                #expect(result["tool"] == .string("load_user_flight_info"))
                answers[customer] = result["output"].map { JSONValue.object(["o": $0]).jsonString } ?? ""
                await client.close()
            }
            #expect(answers["C-1001"]?.contains("BKQ431") == true)
            #expect(answers["C-1001"]?.contains("BKS602") == false)
            #expect(answers["C-1002"]?.contains("BKS602") == true)
            #expect(answers["C-1002"]?.contains("BKQ431") == false)
            // A client key (no proof of a customer) is a guest: no bookings, never the demo customer.
        }
    }

    @Test("expired, tampered and unknown client secrets are refused; a started session outlives its secret")
    func badSecretsAreRefused() async throws {
        try await withHub(testConfiguration { $0.serverKeys = ["server-key"]; $0.secretKey = secretKey }) { port in
            let now = Int(Date().timeIntervalSince1970)
            let signer = ClientSecretSigner(secret: secretKey)
            let expired = signer.mint(ClientSecretClaims(id: "cs_old", issuedAt: now - 700, expiresAt: now - 100))
            let unknown = ClientSecretSigner(secret: "another-hub-secret-key-0123456789").mint(ClientSecretClaims(id: "cs_x", issuedAt: now, expiresAt: now + 600))
            let good = try await mint(port, hub: #"{"customer_id":"C-1001"}"#, key: "server-key")
            var parts = good.split(separator: ".").map(String.init)
            parts[1] = ClientSecretSigner.base64URL(Array(#"{"iss":"switchboard","jti":"cs_y","iat":\#(now),"exp":\#(now + 600),"hub":{"customer_id":"C-1002"}}"#.utf8))
            let tampered = parts.joined(separator: ".")
            for bad in [expired, unknown, tampered, "ek_garbage"] {
                let refused = try await refusal(port, "/v1/realtime", headers: [("Authorization", "Bearer \(bad)")])
                #expect(refused.code == "invalid_api_key")
                #expect(refused.close == 1008)
            }
            // Also through the browser's subprotocol.
            let viaProtocol = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime",
                                                                   headers: [("Sec-WebSocket-Protocol", "realtime, openai-insecure-api-key.\(good)")])
            #expect(try await viaProtocol.nextEvent().type == "session.created")
            await viaProtocol.close()
            // A short-lived secret: the session it opened goes on after it expires.
            let short = signer.mint(ClientSecretClaims(id: "cs_short", issuedAt: now, expiresAt: Int(Date().timeIntervalSince1970) + 5))
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Authorization", "Bearer \(short)")])
            _ = try await client.events(until: "session.created")
            try await Task.sleep(for: .seconds(6))
            try await client.send(textTurn[0])
            #expect(try await client.nextEvent().type == "session.updated")
            await client.close()
            let late = try await refusal(port, "/v1/realtime", headers: [("Authorization", "Bearer \(short)")])
            #expect(late.code == "invalid_api_key")
        }
    }

    @Test("a secret minted on one hub works on another with the same --secret-key")
    func secretsWorkAcrossReplicas() async throws {
        let first = testConfiguration { $0.serverKeys = ["server-key"]; $0.secretKey = secretKey }
        let second = testConfiguration { $0.apiKeys = ["other"]; $0.secretKey = secretKey }
        let secret = try await withHub(first) { port in try await mint(port, hub: #"{"customer_id":"C-1002"}"#, key: "server-key") }
        try await withHub(second) { port in
            let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Authorization", "Bearer \(secret)")])
            #expect(try await client.nextEvent().type == "session.created")
            await client.close()
        }
        try await withHub(testConfiguration { $0.apiKeys = ["other"]; $0.secretKey = "a-different-secret-key-9876543210" }) { port in
            let refused = try await refusal(port, "/v1/realtime", headers: [("Authorization", "Bearer \(secret)")])
            #expect(refused.code == "invalid_api_key")
        }
    }

    @Test("a cross-origin upgrade is refused before upgrade; the hub's own origin and programs are not")
    func crossOriginUpgradeIsRefused() async throws {
        try await withHub(testConfiguration { $0.allowedOrigins = ["https://app.example.com"] }) { port in
            for origin in ["http://evil.example", "http://rebound.example:\(port)", "null"] {
                await #expect(throws: (any Error).self) {
                    _ = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Origin", origin)])
                }
            }
            for origin in ["http://127.0.0.1:\(port)", "https://app.example.com"] {
                let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Origin", origin)])
                #expect(try await client.nextEvent().type == "session.created")
                await client.close()
            }
            let program = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime")
            #expect(try await program.nextEvent().type == "session.created")
            await program.close()
            #expect(try await post(port, "/v1/realtime/client_secrets", "{}", origin: "http://evil.example").status == 403)
        }
    }

    @Test("a client key cannot call /calls; an admin key needs a JSON body; minting needs a server key")
    func scopes() async throws {
        let configuration = testConfiguration { $0.apiKeys = ["client-key"]; $0.serverKeys = ["server-key"]; $0.adminKeys = ["admin-key"] }
        try await withHub(configuration) { port in
            let call = #"{"to":"+15551234567","agent":"flight"}"#
            #expect(try await post(port, "/calls", call).status == 401)
            let client = try await post(port, "/calls", call, key: "client-key")
            #expect(client.status == 403)
            #expect(client.body["error"]?["code"] == .string("insufficient_scope"))
            #expect(try await post(port, "/calls", call, key: "server-key").status == 403)
            #expect(try await post(port, "/calls", call, key: "admin-key", contentType: "text/plain").status == 415)
            // Authorised: no phone bridge is configured, so the call itself cannot be placed.
            #expect(try await post(port, "/calls", call, key: "admin-key").status == 503)
            #expect(try await post(port, "/v1/realtime/client_secrets", "{}", key: "client-key").status == 403)
            #expect(try await post(port, "/v1/realtime/client_secrets", "{}").status == 401)
            #expect(try await post(port, "/v1/realtime/client_secrets", "{}", key: "admin-key").status == 200)
            let bad = try await post(port, "/v1/realtime/client_secrets", #"{"expires_after":{"anchor":"created_at","seconds":5}}"#, key: "server-key")
            #expect(bad.status == 400)
            #expect(bad.body["error"]?["param"] == .string("expires_after.seconds"))
            // A client key's session is a guest's, never the demo customer's.
            let guest = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1", headers: [("Authorization", "Bearer client-key")])
            _ = try await guest.events(until: "session.created")
            let events = try await ask(guest, "What are my upcoming flights?")
            // Without a client secret's settings the session keeps the default (audio) output.
            #expect(events.contains { $0.type == "response.output_audio.delta" })
            let result = events.first { $0.type == "hub.tool.result" }
            #expect(result?["output"].map { JSONValue.object(["o": $0]).jsonString.contains("BKQ431") } != true)
            await guest.close()
        }
    }

    @Test("per-key limits give rate_limit_exceeded")
    func rateLimits() async throws {
        let metrics = HubMetrics()
        let configuration = testConfiguration {
            $0.apiKeys = ["client-key"]; $0.adminKeys = ["admin-key"]
            $0.keyMaxSessions = 1; $0.keySessionsPerSecond = 0; $0.keyCallsPerMinute = 1
        }
        try await withHub(configuration, metrics: metrics) { port in
            let first = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Authorization", "Bearer client-key")])
            #expect(try await first.nextEvent().type == "session.created")
            let second = try await refusal(port, "/v1/realtime", headers: [("Authorization", "Bearer client-key")])
            #expect(second.code == "rate_limit_exceeded")
            #expect(second.close == 1008)
            await first.close()
            let call = #"{"to":"+15551234567"}"#
            #expect(try await post(port, "/calls", call, key: "admin-key").status == 503)
            let limited = try await post(port, "/calls", call, key: "admin-key")
            #expect(limited.status == 429)
            #expect(limited.body["error"]?["code"] == .string("rate_limit_exceeded"))
        }
        try await withHub(testConfiguration { $0.apiKeys = ["client-key"]; $0.keySessionsPerSecond = 1 }, metrics: metrics) { port in
            let first = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime", headers: [("Authorization", "Bearer client-key")])
            #expect(try await first.nextEvent().type == "session.created")
            #expect(try await refusal(port, "/v1/realtime", headers: [("Authorization", "Bearer client-key")]).code == "rate_limit_exceeded")
            await first.close()
        }
        let exposition = metrics.exposition()
        for limit in ["key_sessions", "key_call_rate", "key_session_rate"] {
            #expect(exposition.contains(#"switchboard_limit_hits_total{limit="\#(limit)"}"#))
        }
    }

    @Test("phone calls: a verified caller keys the session and is looked up by number; an unverified one is a guest")
    func phoneCallIdentity() async throws {
        let caller = try #require(SessionKey("+12125550187"))
        let verified = ConnectionRequest(call: CallStart(caller: caller, callerVerified: true, callID: "c1", codec: .g711ulaw, channel: "sip"))
        #expect(verified.sessionKey == caller)
        #expect(verified.customerSource == .phone("+12125550187"))
        #expect(verified.replayHistory)
        let unverified = ConnectionRequest(call: CallStart(caller: caller, callerVerified: false, callID: "c2", codec: .g711ulaw, channel: "sip"))
        #expect(unverified.sessionKey != caller)
        #expect(unverified.customerSource == .guest)
        let data = try await openTestData(testConfiguration())
        #expect(try await data.main.customer(phone: "+12125550187")?.id == "C-1002")
        #expect(try await data.main.customer(phone: "+1 (415) 555-0142")?.id == "C-1001")
        #expect(try await data.main.customer(phone: "+19995550000") == nil)
        #expect(try await data.main.customer(phone: "not a number") == nil)
        let configuration = testConfiguration()
        let catalog = data.main.pack.catalog
        let hub = HubContext(configuration: configuration, catalog: catalog,
                             model: ScriptedModel(), store: MemorySessionStore(), metrics: HubMetrics(), logger: .init(label: "t"),
                             tools: .init(tools: []), router: IntentRouter(catalog: catalog), packs: data)
        let logger = hub.logger
        #expect(await hub.resolveCustomer(.phone("+12125550187"), saved: Customer(), logger: logger) == Customer(name: "Sam Rivera", id: "C-1002"))
        #expect(await hub.resolveCustomer(.phone("+19995550000"), saved: Customer(), logger: logger) == Customer())
        #expect(await hub.resolveCustomer(.guest, saved: Customer(id: "C-1001"), logger: logger) == Customer())
    }

    @Test("a UUID session saved for one customer is refused to another, and its live connection stays")
    func foreignSessionIsRefused() async throws {
        let store = MemorySessionStore()
        let key = "0b5a3f4e-7c1d-4e2a-9f6b-1a2b3c4d5e6f"
        try await store.save(SessionState(key: key, customer: Customer(name: "Alex Morgan", id: "C-1001"), activeAgent: "flight",
                                          history: [Turn(user: "hello", assistant: "hi", agent: "flight")]), fence: nil)
        try await withHub(testConfiguration { $0.apiKeys = ["client-key"]; $0.serverKeys = ["server-key"] }, store: store) { port in
            let own = try await mint(port, hub: #"{"customer_id":"C-1001"}"#, key: "server-key")
            let owner = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(key)",
                                                             headers: [("Authorization", "Bearer \(own)")])
            let ready = try await owner.nextEvent()
            #expect(ready["history"]?.arrayValue?.count == 1)
            _ = try await owner.events(until: "session.created")
            let other = try await mint(port, hub: #"{"customer_id":"C-1002"}"#, key: "server-key")
            for credential in [other, "client-key"] {
                let refused = try await refusal(port, "/v1/realtime?hub_events=1&session_state_key=\(key)", headers: [("Authorization", "Bearer \(credential)")])
                #expect(refused.code == "session_not_allowed")
                #expect(refused.close == 1008)
            }
            // The owner's connection was not taken over.
            try await owner.send(textTurn[0])
            let after = try await owner.events(until: "session.updated")
            #expect(!after.contains { $0.type == "error" || $0.type == "hub.session.taken_over" })
            await owner.close()
        }
    }

    @Test("--ops-port: /metrics and /readyz leave the main port")
    func operationsPort() async throws {
        let ops = try Sockets.freePort()
        try await withHub(testConfiguration { $0.opsPort = ops }) { port in
            #expect(try await httpStatus(port: port, path: "/metrics") == 404)
            #expect(try await httpStatus(port: port, path: "/healthz") == 200)
            var status = 0
            for _ in 0..<50 {
                status = (try? await httpStatus(port: ops, path: "/metrics")) ?? 0
                if status == 200 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == 200)
            #expect(try await httpStatus(port: ops, path: "/readyz") == 200)
        }
    }

    @Test("credentials: keys are matched by their digest with their scope; admin ⊇ server ⊇ client")
    func keyStore() {
        let store = KeyStore(client: ["c"], server: ["s"], admin: ["a", "c"])
        #expect(store.match("c")?.scope == .admin)
        #expect(store.match("s")?.scope == .server)
        #expect(store.match("x") == nil)
        #expect(KeyScope.admin > .server && KeyScope.server > .client)
        var configuration = HubConfiguration()
        configuration.serverKeys = ["s"]
        #expect(Principal.key(.server, id: "1").isTrusted)
        #expect(!Principal.key(.client, id: "1").isTrusted)
        #expect(!configuration.isOpen)
    }
}
