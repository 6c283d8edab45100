import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardTools
import Testing

// kind: http against a real HTTP server on a loopback port: what arrives (percent-encoded
// query values, templated bodies, the secret header), what comes back (outcomes by status,
// fields by JSON pointer, secrets scrubbed) and every way a request can go wrong (timeouts,
// retries, non-JSON and oversized answers, redirects, cancellation).

private let caller = ToolContext(customer: Customer(name: "Ada Lovelace", id: "C-1001"), sessionKey: "session-ada")

/// A secret long and odd enough to be found anywhere it leaks.
private let crmToken = "crm-token/Q8v2K5x9+ZZ"

/// An http tool from a tool file's text.
private func httpTool(_ yaml: String, secrets: [String: String] = [:]) throws -> HTTPTool {
    let definition = try ToolDefinition.parse(yaml: yaml, file: "tools/test.yaml")
    guard case .http(let plan) = definition.kind else { throw ToolTestError("not an http tool") }
    return try HTTPTool(definition: definition, plan: plan, secrets: secrets, timeout: definition.timeout ?? .seconds(5))
}

private struct ToolTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A call through the registry (schema validation, the tool's time limit), output parsed.
private struct Call {
    var result: ToolCallResult
    var output: JSONObject

    var outcome: String { result.outcome }
    subscript(key: String) -> JSONValue? { output[key] }
    var errorCode: String? { output["error"]?["code"]?.stringValue }
    var errorMessage: String { output["error"]?["message"]?.stringValue ?? "" }
}

private func call(_ tool: HTTPTool, _ arguments: String = "{}", timeout: Duration? = nil) async throws -> Call {
    let registry = ToolRegistry(tools: [tool], timeout: timeout ?? .seconds(5))
    let result = await registry.call(ToolCallRequest(callID: "call-1", name: tool.spec.name, arguments: arguments), context: caller)
    let output = try #require(try JSONParser.parse(result.output).objectValue)
    #expect(output["outcome"]?.stringValue == result.outcome)
    return Call(result: result, output: output)
}

/// A tool file: `name: test`, its parameters, then `http:` with `lines` indented under it.
private func toolFile(parameters: String = "{type: object, properties: {}}", timeout: String? = nil, _ http: String) -> String {
    """
    name: test
    description: A tool for the test.
    parameters: \(parameters)
    kind: http
    \(timeout.map { "timeout: \($0)\n" } ?? "")http:
    \(http.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))

    """
}

@Suite("HTTPTool: requests to a business's own systems", .serialized)
struct HTTPToolTests {
    @Test("GET: each value is one query value or path segment, whatever it holds")
    func queryValuesPercentEncoded() async throws {
        let server = try await LocalHTTPServer.start { _, _ in .json(200, #"{"contact": {"name": "Ada"}}"#) }
        defer { Task { await server.stop() } }
        let tool = try httpTool(toolFile(parameters: "{type: object, properties: {id: {type: string}, q: {type: string}, note: {type: string}}, required: [id, q]}", """
            method: GET
            url: "\(server.base)/api/contacts/{{id}}?q={{q}}&customer={{customer_id}}&day={{today}}&note={{note}}&fixed=1"
            """))
        let hostile = "Tom & Jerry / ñandú 🦙 ?x=1#y+z=%41 ok"
        let arguments = JSONValue.object(["id": .string("a/b c.d"), "q": .string(hostile)]).jsonString
        let result = try await call(tool, arguments)
        #expect(result.outcome == "found", "\(result.output)")
        #expect(result["contact"]?["name"]?.stringValue == "Ada")
        #expect(result["q"]?.stringValue == hostile, "the arguments are in the output")

        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.rawPath == "/api/contacts/a%2Fb%20c.d", "one path segment: \(request.uri)")
        let query = request.query
        #expect(query.map(\.name) == ["q", "customer", "day", "fixed"], "an optional value left out drops its item: \(request.uri)")
        #expect(query.first { $0.name == "q" }?.value == hostile, "\(request.uri)")
        #expect(query.first { $0.name == "customer" }?.value == "C-1001")
        #expect(query.first { $0.name == "day" }?.value == CalendarDate(caller.today).iso)
        #expect(request.header("Accept") == "application/json")
        #expect(request.body.isEmpty)

        // A path value that is missing or would climb out of its segment, a header value that
        // would break its header: the call is refused before anything is sent.
        let strict = try httpTool(toolFile(parameters: "{type: object, properties: {id: {type: string}, who: {type: string}}}", """
            url: "\(server.base)/api/contacts/{{id}}"
            headers: {X-Who: "caller {{who}}"}
            """))
        for arguments in [#"{}"#, #"{"id": ".."}"#, #"{"id": "ok", "who": "x\r\nX-Admin: yes"}"#] {
            let refused = try await call(strict, arguments)
            #expect(refused.errorCode == "invalid_arguments", "\(arguments): \(refused.output)")
        }
        #expect(server.requests.count == 1)
    }

    @Test("POST: the body template takes typed values and text; without a body the arguments are sent")
    func postBodyTemplating() async throws {
        let server = try await LocalHTTPServer.start { _, _ in .json(201, #"{"booking": "B-77", "email": "stored@example.com"}"#) }
        defer { Task { await server.stop() } }
        let parameters = "{type: object, properties: {email: {type: string}, count: {type: integer}, extras: {type: array, items: {type: string}}}, required: [email, count]}"
        let tool = try httpTool(toolFile(parameters: parameters, """
            method: POST
            url: "\(server.base)/bookings"
            body: {email: "{{email}}", seats: "{{count}}", note: "called on {{today}} by {{customer_name}}: {{email}}", tags: ["{{email}}", fixed, 3], missing: "{{extras}}", nested: {customer: "{{customer_id}}", yes: true}}
            outcomes: {"201": created}
            """))
        let arguments = #"{"email": "ada\"@example.com", "count": 3}"#
        let result = try await call(tool, arguments)
        #expect(result.outcome == "created", "\(result.output)")
        #expect(result["booking"]?.stringValue == "B-77")
        #expect(result["email"]?.stringValue == "stored@example.com", "the answer's fields come after the arguments")

        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.header("Content-Type") == "application/json")
        let today = CalendarDate(caller.today).iso
        let expected: JSONValue = .object([
            "email": .string("ada\"@example.com"), "seats": .int(3), "note": .string("called on \(today) by Ada Lovelace: ada\"@example.com"),
            "tags": .array([.string("ada\"@example.com"), .string("fixed"), .int(3)]), "missing": .null,
            "nested": .object(["customer": .string("C-1001"), "yes": .bool(true)]),
        ])
        #expect(request.bodyJSON == expected, "\(String(decoding: request.body, as: UTF8.self))")

        // Without `body:`, the model's arguments as a JSON object.
        let plain = try httpTool(toolFile(parameters: parameters, """
            method: PUT
            url: "\(server.base)/bookings/current"
            """))
        _ = try await call(plain, #"{"email": "b@example.com", "count": 2, "extras": ["x"]}"#)
        let second = try #require(server.requests.last)
        #expect(second.method == "PUT")
        #expect(second.bodyJSON == .object(["email": .string("b@example.com"), "count": .int(2), "extras": .array([.string("x")])]))
    }

    @Test("the secret header arrives, and the secret never comes back in an output or a message")
    func secretHeader() async throws {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let server = try await LocalHTTPServer.start { request, index in
            let auth = request.header("Authorization") ?? ""
            switch index {
            case 0:
                // A server that echoes what it was sent, the secret with it.
                let echo = JSONValue.object([
                    "auth": .string(auth), "seen": .object(["headers": .array([.string(auth)])]),
                    auth: .string("as a name"), "encoded": .string("token=" + (auth.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")),
                ])
                return .json(200, echo.jsonString)
            case 1: return .json(500, #"{"error": "bad token \#(auth)"}"#)
            case 2: return .respond(status: 200, headers: [("Content-Type", "text/plain")], body: Array("your token is \(auth)".utf8))
            default: return .respond(status: 302, headers: [("Location", "/login?token=\(auth)")])
            }
        }
        defer { Task { await server.stop() } }
        let file = toolFile("""
            url: "\(server.base)/api/me"
            headers:
              Authorization: "Bearer {{secret.crm_token}}"
              X-Customer: "{{customer_id}}"
            """)
        let tool = try httpTool(file, secrets: ["crm_token": crmToken, "unused": "never-sent-secret"])
        // A tool printed whole (a service described in a debug log line) shows no secret.
        var dumped = ""
        dump(tool, to: &dumped)
        for text in [String(describing: tool), String(reflecting: tool), dumped, "\([tool])"] {
            #expect(!text.contains("Q8v2K5x9") && !text.contains("never-sent-secret"), "\(text)")
        }

        let echoed = try await call(tool)
        let request = try #require(server.requests.first)
        #expect(request.header("Authorization") == "Bearer \(crmToken)")
        #expect(request.header("X-Customer") == "C-1001")
        #expect(echoed.outcome == "found")
        #expect(echoed["auth"]?.stringValue == "Bearer ***")
        #expect(echoed["seen"]?["headers"]?.arrayValue?.first?.stringValue == "Bearer ***")
        #expect(!echoed.result.output.contains(crmToken), "\(echoed.result.output)")
        #expect(!echoed.result.output.contains("Q8v2K5x9"), "not even percent-encoded: \(echoed.result.output)")

        for _ in 1...3 {
            let failed = try await call(tool)
            #expect(failed.outcome == "error")
            #expect(failed.errorCode == "tool_failed")
            #expect(!failed.result.output.contains(crmToken), "\(failed.result.output)")
            #expect(!failed.result.output.contains("Q8v2K5x9"), "\(failed.result.output)")
        }
        #expect(server.requests.allSatisfy { $0.header("Authorization") == "Bearer \(crmToken)" })

        // A missing secret: the tool, the file and the secret are named, no value.
        let definition = try ToolDefinition.parse(yaml: file, file: "tools/test.yaml")
        guard case .http(let plan) = definition.kind else { throw ToolTestError("not http") }
        #expect {
            try HTTPTool(definition: definition, plan: plan, secrets: ["other": crmToken])
        } throws: { error in
            "\(error)" == "tools/test.yaml:8: tool 'test' needs the secret 'crm_token': set SWITCHBOARD_SECRET_CRM_TOKEN or --secret crm_token=VALUE"
        }
    }

    @Test("outcomes come from the status code: the tool's map, then 2xx found, 404 not_found, else error")
    func outcomesByStatus() async throws {
        let server = try await LocalHTTPServer.start { request, _ in
            let status = Int(request.query.first { $0.name == "status" }?.value ?? "") ?? 400
            if status == 204 { return .respond(status: 204) }
            return .json(status, #"{"status_seen": \#(status), "detail": "d"}"#)
        }
        defer { Task { await server.stop() } }
        let parameters = "{type: object, properties: {status: {type: integer}}, required: [status]}"
        let mapped = try httpTool(toolFile(parameters: parameters, """
            url: "\(server.base)/check?status={{status}}"
            outcomes: {"200": found, "201": created, "404": not_found, "409": conflict, "422": invalid}
            """))
        for (status, outcome) in [(200, "found"), (201, "created"), (404, "not_found"), (409, "conflict"), (500, "error"), (204, "found"), (401, "error")] {
            let result = try await call(mapped, #"{"status": \#(status)}"#)
            #expect(result.outcome == outcome, "\(status): \(result.output)")
            if outcome == "error" {
                #expect(result.errorCode == "tool_failed")
                #expect(result.errorMessage.contains("the server answered \(status)"), "\(result.errorMessage)")
                #expect(result["status_seen"] == nil, "an error carries no fields of the answer")
            } else if status != 204 {
                #expect(result["status_seen"]?.intValue == status, "\(result.output)")
            }
        }
        // Classes.
        let classes = try httpTool(toolFile(parameters: parameters, """
            url: "\(server.base)/check?status={{status}}"
            outcomes: {"4xx": refused, "409": conflict}
            """))
        #expect(try await call(classes, #"{"status": 409}"#).outcome == "conflict", "a status before its class")
        #expect(try await call(classes, #"{"status": 404}"#).outcome == "refused")
        #expect(try await call(classes, #"{"status": 503}"#).outcome == "error")
        // The defaults.
        let plain = try httpTool(toolFile(parameters: parameters, "url: \"\(server.base)/check?status={{status}}\""))
        #expect(try await call(plain, #"{"status": 200}"#).outcome == "found")
        #expect(try await call(plain, #"{"status": 404}"#).outcome == "not_found")
        #expect(try await call(plain, #"{"status": 409}"#).outcome == "error")
        #expect(try await call(plain, #"{"status": 500}"#).outcome == "error")
    }

    @Test("fields by JSON pointer: a missing pointer leaves its field out; without fields the answer's members or items")
    func fieldsByPointer() async throws {
        let server = try await LocalHTTPServer.start { request, _ in
            if request.path == "/list" { return .json(200, #"[{"id": 1}, {"id": 2}]"#) }
            return .json(200, #"{"contact": {"name": "Ada", "tier": "gold", "tags": ["vip", "new"], "a/b": "slash", "m~n": "tilde", "gone": null}, "total": 3}"#)
        }
        defer { Task { await server.stop() } }
        let tool = try httpTool(toolFile("""
            url: "\(server.base)/contact"
            fields:
              name: /contact/name
              tier: /contact/tier
              first_tag: /contact/tags/0
              third_tag: /contact/tags/2
              slash: /contact/a~1b
              tilde: /contact/m~0n
              gone: /contact/gone
              missing: /contact/nothing/deeper
              contact: /contact
            """))
        let result = try await call(tool)
        #expect(result.outcome == "found")
        #expect(result["name"]?.stringValue == "Ada")
        #expect(result["tier"]?.stringValue == "gold")
        #expect(result["first_tag"]?.stringValue == "vip")
        #expect(result["slash"]?.stringValue == "slash")
        #expect(result["tilde"]?.stringValue == "tilde")
        #expect(result["contact"]?["tags"]?.arrayValue?.count == 2)
        #expect(result["third_tag"] == nil && result["missing"] == nil && result["gone"] == nil, "\(result.output)")
        #expect(result["total"] == nil, "only the fields named")
        #expect(result.result.sources == [.object(["source": .string("http:127.0.0.1"), "id": .string("test")])])

        let whole = try httpTool(toolFile("url: \"\(server.base)/contact\""))
        let members = try await call(whole)
        #expect(members["total"]?.intValue == 3)
        #expect(members["contact"]?["name"]?.stringValue == "Ada")

        let list = try httpTool(toolFile("url: \"\(server.base)/list\""))
        let items = try await call(list)
        #expect(items["count"]?.intValue == 2)
        #expect(items["items"]?.arrayValue?.count == 2)
    }

    @Test("a server slower than timeout: fails the call with tool_failed")
    func timeout() async throws {
        let server = try await LocalHTTPServer.start { _, _ in .json(200, #"{"late": true}"#, delay: .seconds(600)) }
        defer { Task { await server.stop() } }
        let tool = try httpTool(toolFile(timeout: "300ms", "url: \"\(server.base)/slow\""))
        let started = ContinuousClock.now
        let registry = ToolRegistry(tools: [tool], timeout: .seconds(5), timeouts: ["test": .milliseconds(300)])
        let result = await registry.call(ToolCallRequest(callID: "c", name: "test", arguments: "{}"), context: caller)
        let elapsed = ContinuousClock.now - started
        let output = try #require(try JSONParser.parse(result.output).objectValue)
        #expect(result.outcome == "error")
        #expect(output["error"]?["code"]?.stringValue == "tool_failed")
        #expect(output["error"]?["message"]?.stringValue?.contains("did not answer within") == true, "\(result.output)")
        // Far below the server's 600 s: the call did not wait for the answer.
        #expect(elapsed < .seconds(120), "\(elapsed)")
        // The abandoned request is cancelled: its connection closes.
        #expect(await server.wait(until: { $0.closedConnections >= 1 }), "the request was not cancelled")
    }

    @Test("retries: a GET is sent again after 503s and succeeds; a POST is never sent twice")
    func retries() async throws {
        // A port that refuses connections (held, so no other test's server can take it).
        let closed = try RefusingPort()
        // Two 503s, then an answer, over and over.
        let failing = try await LocalHTTPServer.start { request, index in
            index % 3 < 2 ? .json(503, #"{"busy": true}"#) : .json(200, #"{"ok": true, "method": "\#(request.method)"}"#)
        }
        defer { Task { await failing.stop() } }
        let get = try httpTool(toolFile("""
            method: GET
            url: "\(failing.base)/status"
            retries: 2
            """))
        let started = ContinuousClock.now
        let fetched = try await call(get)
        #expect(fetched.outcome == "found", "\(fetched.output)")
        #expect(fetched["ok"]?.boolValue == true)
        #expect(failing.requests.count == 3)
        #expect(ContinuousClock.now - started >= .milliseconds(300), "backs off between tries")

        let post = try httpTool(toolFile("""
            method: POST
            url: "\(failing.base)/orders"
            """))
        let posted = try await call(post)
        #expect(posted.outcome == "error")
        #expect(posted.errorMessage.contains("503"), "\(posted.errorMessage)")
        #expect(failing.requests.count == 4, "the POST was sent once")

        // Too few retries: the last 503 is the answer.
        let busy = try await LocalHTTPServer.start { _, _ in .json(503, #"{"busy": true}"#) }
        defer { Task { await busy.stop() } }
        let once = try httpTool(toolFile("""
            method: DELETE
            url: "\(busy.base)/orders/1"
            retries: 1
            """))
        let deleted = try await call(once)
        #expect(busy.requests.map(\.method) == ["DELETE", "DELETE"])
        #expect(deleted.outcome == "error", "503 then 503: \(deleted.output)")
        #expect(deleted.errorMessage == "test failed: the server answered 503 Service Unavailable", "\(deleted.errorMessage)")

        // A try that does not answer in its share of the time is given up and tried again.
        let slowFirst = try await LocalHTTPServer.start { _, index in index == 0 ? .hang : .json(200, #"{"second": true}"#) }
        defer { Task { await slowFirst.stop() } }
        let patient = try httpTool(toolFile(timeout: "3s", """
            url: "\(slowFirst.base)/slow"
            retries: 1
            """))
        let second = try await call(patient, timeout: .seconds(3))
        #expect(second.outcome == "found", "\(second.output)")
        #expect(second["second"]?.boolValue == true)
        #expect(slowFirst.requests.count == 2)

        // A connection refused is retried too, then reported.
        let refused = try httpTool(toolFile("""
            url: "\(closed.base)/gone"
            retries: 2
            """))
        let unreachable = try await call(refused)
        withExtendedLifetime(closed) {}
        #expect(unreachable.outcome == "error")
        #expect(unreachable.errorCode == "tool_failed")
        #expect(unreachable.errorMessage.contains("could not get an answer from 127.0.0.1"), "\(unreachable.errorMessage)")
    }

    @Test("an answer that is not JSON is an error on success, and no fields on another outcome")
    func nonJSONBody() async throws {
        let server = try await LocalHTTPServer.start { request, _ in
            let page = Array("<html><body>Not here</body></html>".utf8)
            return .respond(status: request.path == "/missing" ? 404 : 200, headers: [("Content-Type", "text/html")], body: page)
        }
        defer { Task { await server.stop() } }
        let found = try await call(try httpTool(toolFile("url: \"\(server.base)/page\"")))
        #expect(found.outcome == "error")
        #expect(found.errorMessage == "test failed: the server answered 200 OK with an answer that is not JSON (text/html)", "\(found.errorMessage)")
        let missing = try await call(try httpTool(toolFile("url: \"\(server.base)/missing\"")))
        #expect(missing.outcome == "not_found", "\(missing.output)")
    }

    @Test("an answer over 1 MiB is an error, with or without a Content-Length")
    func oversizedBody() async throws {
        let big = Array(("{\"pad\": \"" + String(repeating: "x", count: 2 << 20) + "\"}").utf8)
        let server = try await LocalHTTPServer.start { request, _ in
            .respond(status: 200, headers: [("Content-Type", "application/json")], body: big, chunked: request.path == "/chunked")
        }
        defer { Task { await server.stop() } }
        for path in ["/sized", "/chunked"] {
            let result = try await call(try httpTool(toolFile("url: \"\(server.base)\(path)\"")))
            #expect(result.outcome == "error", "\(path)")
            #expect(result.errorMessage.contains("more than 1 MiB"), "\(path): \(result.errorMessage)")
        }
        // Just under the limit is read.
        let fits = Array(("{\"pad\": \"" + String(repeating: "x", count: (1 << 20) - 20) + "\"}").utf8)
        let small = try await LocalHTTPServer.start { _, _ in .respond(status: 200, headers: [("Content-Type", "application/json")], body: fits) }
        defer { Task { await small.stop() } }
        let read = try await call(try httpTool(toolFile("url: \"\(small.base)/fits\"\nfields: {size: /pad}")))
        #expect(read.outcome == "found")
        #expect(read["size"]?.stringValue?.count == (1 << 20) - 20)
    }

    @Test("a redirect is not followed: 302 is an error")
    func redirectNotFollowed() async throws {
        let server = try await LocalHTTPServer.start { request, _ in
            request.path == "/elsewhere" ? .json(200, #"{"followed": true}"#) : .respond(status: 302, headers: [("Location", "/elsewhere")])
        }
        defer { Task { await server.stop() } }
        let result = try await call(try httpTool(toolFile("url: \"\(server.base)/start\"")))
        #expect(result.outcome == "error")
        #expect(result.errorMessage.contains("302"), "\(result.errorMessage)")
        #expect(result.errorMessage.contains("redirects are not followed"), "\(result.errorMessage)")
        #expect(server.requests.map(\.path) == ["/start"])
    }

    @Test("cancelling the calling task aborts the request")
    func cancellation() async throws {
        let server = try await LocalHTTPServer.start { _, _ in .hang }
        defer { Task { await server.stop() } }
        let tool = try httpTool(toolFile(timeout: "600s", "url: \"\(server.base)/forever\""))
        let task = Task { try await tool.run(JSONObject(), context: caller) }
        #expect(await server.wait(until: { $0.requests.count == 1 }), "the request arrived")
        let started = ContinuousClock.now
        task.cancel()
        let result = await task.result
        // Far below the tool's 600 s limit: the cancel aborted the request.
        #expect(ContinuousClock.now - started < .seconds(120))
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(await server.wait(upTo: .seconds(2), until: { $0.closedConnections >= 1 }), "the connection was closed")
    }
}
