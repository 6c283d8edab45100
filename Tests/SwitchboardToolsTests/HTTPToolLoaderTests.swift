import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardTools
import Testing

// kind: http as the loader and `packs check` see it: where a request may go (the url's scheme,
// host and port written out), where a secret may be (headers only), what a template may name,
// each problem at its file and line.

private let file = "tools/lookup_contact.yaml"

/// The problem the tool file's text has (`file:line: message`), or `nil` when it parses.
private func problem(_ text: String) -> String? {
    do {
        _ = try ToolDefinition.parse(yaml: text, file: file)
        return nil
    } catch {
        return error.description
    }
}

/// A tool file whose `http:` holds `http` (indented by the function).
private func tool(_ http: String, parameters: String = "{type: object, properties: {email: {type: string}, note: {type: string}}, required: [email]}") -> String {
    """
    name: lookup_contact
    description: Finds the caller's contact record in the CRM.
    parameters: \(parameters)
    kind: http
    http:
    \(http.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))

    """
}

@Suite("HTTPToolLoaderTests: kind http in a tool file")
struct HTTPToolLoaderTests {
    @Test("the example tool loads with every part")
    func exampleLoads() throws {
        let text = tool("""
            method: POST
            url: "https://crm.example.com:8443/api/contacts?email={{email}}&customer={{customer_id}}"
            headers:
              Authorization: "Bearer {{secret.crm_token}}"
              X-Day: "{{today}}"
            body: {email: "{{email}}", note: "called on {{today}}"}
            outcomes: {"200": found, "201": created, "404": not_found, "409": conflict, "5xx": unavailable}
            fields:
              name: /contact/name
              tier: /contact/tier
            """)
        let definition = try ToolDefinition.parse(yaml: text, file: file)
        guard case .http(let plan) = definition.kind else {
            Issue.record("not http")
            return
        }
        #expect(plan.method == .POST)
        #expect(plan.url.origin == "https://crm.example.com:8443")
        #expect(plan.url.host == "crm.example.com")
        #expect(plan.url.query?.count == 2)
        #expect(plan.headers.map(\.name) == ["Authorization", "X-Day"])
        #expect(plan.secrets.map(\.name) == ["crm_token"])
        #expect(plan.secrets.first?.line == 9)
        #expect(plan.fields?.map(\.name) == ["name", "tier"])
        #expect(plan.outcome(status: 201) == "created")
        #expect(plan.outcome(status: 204) == "found")
        #expect(plan.outcome(status: 503) == "unavailable")
        #expect(plan.outcome(status: 302) == "error")
        #expect(plan.outcome(status: 400) == "error")
        #expect(plan.retries == 0)
    }

    @Test("the url's scheme, host and port must be written out", arguments: [
        "https://{{email}}/api", "https://api.{{note}}.example.com/x", "{{note}}/api/contacts", "https://crm.example.com:{{note}}/x",
        "https://crm.example.com{{note}}", "{{note}}",
    ])
    func templatedOrigin(_ url: String) {
        #expect(problem(tool("url: \"\(url)\"")) ==
            "\(file):6: the url's scheme, host and port must be written out, with no {{…}} before the path: the model's text never chooses where a request goes")
    }

    @Test("only http and https; no credentials, fragment or bad host")
    func urlShape() {
        #expect(problem(tool("url: \"ftp://files.example.com/{{email}}\"")) == "\(file):6: the url must be http:// or https:// (got 'ftp://')")
        #expect(problem(tool("url: \"https://user:pw@crm.example.com/x\""))
            == "\(file):6: the url may not carry credentials (user:password@); send them in a header with {{secret.NAME}}")
        #expect(problem(tool("url: \"https://crm.example.com/x#{{email}}\"")) == "\(file):6: the url may not have a fragment (#…): it is never sent")
        #expect(problem(tool("url: \"https://crm.example.com:99999/x\"")) == "\(file):6: the url's host and port are not valid ('crm.example.com:99999')")
        #expect(problem(tool("url: \"https:///x\"")) == "\(file):6: the url's host and port are not valid ('')")
        #expect(problem(tool("url: \"https://crm.example.com/a b/{{email}}\""))?.hasSuffix("is not a valid URL (write spaces and other special characters percent-encoded)") == true)
        #expect(problem(tool("url: \"http://127.0.0.1:8080/{{email}}\"")) == nil)
        #expect(problem(tool("url: \"https://[::1]:8443/v1?q={{email}}\"")) == nil)
    }

    @Test("a secret may be used in headers only")
    func secretOutsideHeaders() {
        #expect(problem(tool("url: \"https://crm.example.com/api?token={{secret.crm_token}}\"")) ==
            "\(file):6: {{secret.crm_token}} is in the url: a secret may be used in headers only (not the url or body), so it never lands in logs of URLs")
        #expect(problem(tool("url: \"https://crm.example.com/{{secret.crm_token}}/x\"")) ==
            "\(file):6: {{secret.crm_token}} is in the url: a secret may be used in headers only (not the url or body), so it never lands in logs of URLs")
        #expect(problem(tool("""
            method: POST
            url: https://crm.example.com/api
            body:
              email: "{{email}}"
              key: "key {{secret.crm_token}}"
            """)) == "\(file):10: {{secret.crm_token}} is in 'http.body': a secret may be used in headers only (not the url or body), so it never lands in logs of URLs")
        #expect(problem(tool("""
            url: https://crm.example.com/api
            headers: {X-Key: "{{secret.CRM}}"}
            """)) == "\(file):7: '{{secret.CRM}}': a secret's name is lowercase letters, digits and '_' (it is read from SWITCHBOARD_SECRET_<NAME>)")
    }

    @Test("templates name the tool's parameters and the session values only")
    func unknownNames() {
        let known = "(email, note) or a session value (customer_id, customer_name, today, now)"
        #expect(problem(tool("url: \"https://crm.example.com/api?email={{emial}}\"")) ==
            "\(file):6: '{{emial}}' in 'http.url' is not a parameter of the tool \(known)")
        #expect(problem(tool("""
            url: https://crm.example.com/api
            headers:
              X-Who: "{{customer_id}}"
              X-Phone: "{{phone}}"
            """)) == "\(file):9: '{{phone}}' in 'http.headers.X-Phone' is not a parameter of the tool \(known)")
        #expect(problem(tool("""
            method: PATCH
            url: https://crm.example.com/api
            body: {a: [1, {b: "{{today}} {{tomorrow}}"}]}
            """)) == "\(file):8: '{{tomorrow}}' in 'http.body' is not a parameter of the tool \(known)")
        #expect(problem(tool("url: \"https://crm.example.com/{{email\"")) == "\(file):6: '{{' is never closed with '}}' in 'https://crm.example.com/{{email'")
        #expect(problem(tool("url: \"https://crm.example.com/{{ email | date }}\"")) == "\(file):6: '{{email | date}}' must name a parameter, a session value or secret.NAME")
    }

    @Test("method, body, retries, outcomes and fields are checked")
    func otherFields() {
        #expect(problem(tool("method: FETCH\nurl: https://crm.example.com/")) == "\(file):6: 'http.method' must be GET, POST, PUT, PATCH or DELETE (got 'FETCH')")
        #expect(problem(tool("url: https://crm.example.com/\nbody: {a: 1}")) == "\(file):7: a GET request has no body (only POST, PUT and PATCH)")
        #expect(problem(tool("method: POST\nurl: https://crm.example.com/\nretries: 2"))
            == "\(file):8: a POST request is never retried (it may have been carried out): retries are for GET, PUT and DELETE")
        #expect(problem(tool("method: PUT\nurl: https://crm.example.com/\nretries: 2")) == nil)
        #expect(problem(tool("url: https://crm.example.com/\nretries: 9")) == "\(file):7: 'http.retries' must be 0 to 5")
        #expect(problem(tool("url: https://crm.example.com/\noutcomes: {\"302\": moved}")) == "\(file):7: a 302 answer is always an error: redirects are not followed")
        #expect(problem(tool("url: https://crm.example.com/\noutcomes: {\"ok\": found}"))
            == "\(file):7: 'ok' in 'http.outcomes' is not a status code (like \"404\") or class (like \"4xx\")")
        #expect(problem(tool("url: https://crm.example.com/\noutcomes: {\"404\": Not Found}"))
            == "\(file):7: the outcome for 404 must be a name like not_found (lowercase letters, digits and '_')")
        #expect(problem(tool("url: https://crm.example.com/\nfields: {name: contact/name}"))
            == "\(file):7: the field 'name' must be a JSON pointer like /contact/name ('' for the whole answer; ~1 for '/', ~0 for '~')")
        #expect(problem(tool("url: https://crm.example.com/\nfields: {name: /a~2b}"))?.hasPrefix("\(file):7: the field 'name' must be a JSON pointer") == true)
        #expect(problem(tool("url: https://crm.example.com/\nheaders: {Host: evil.example.com}")) == "\(file):7: the header 'Host' is written by the hub")
        #expect(problem(tool("url: https://crm.example.com/\nverb: GET")) == "\(file):7: unknown field 'verb' in 'http'")
        #expect(problem("name: t\ndescription: T.\nkind: http\n") == "\(file):3: a kind: http tool needs an 'http' mapping (method, url)")
        #expect(problem("name: t\ndescription: T.\nkind: knowledge\nhttp: {url: https://x.example.com/}\n") == "\(file):4: 'http' is only for kind: http")
    }

    @Test("packs check: an http tool's answer templates name its fields; a pack with one checks clean")
    func packCheck() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-http-pack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try write("pack.yaml", "name: crm\ntitle: CRM\nrouter: desk\n")
        try write("agents/desk.yaml", "name: desk\nrole: router\ndescription: Greets callers.\ninstructions: You greet callers.\n")
        let agent = """
            name: contacts
            role: agent
            description: Contacts.
            instructions: You look up contacts.
            routing:
              examples: [Find my contact record, What tier am I, Is my email on file]
            tools: [lookup_contact]
            answers:
              lookup_contact:
                found: "You are {{name}}, tier {{tier}}, email {{email}}."
                not_found: "No contact for {{email}}."

            """
        try write("agents/contacts.yaml", agent)
        try write("tools/lookup_contact.yaml", tool("""
            url: "https://crm.example.com/api/contacts?email={{email}}"
            headers: {Authorization: "Bearer {{secret.crm_token}}"}
            fields: {name: /contact/name, tier: /contact/tier}
            """))
        let pack = try Pack.load(directory: directory)
        #expect(await PackCheck.problems(pack).isEmpty)

        try write("agents/contacts.yaml", agent.replacingOccurrences(of: "tier {{tier}}", with: "since {{since}}"))
        let broken = try Pack.load(directory: directory)
        let found = await PackCheck.problems(broken).map(\.description)
        #expect(found.count == 1)
        #expect(found.first?.hasSuffix("answers.lookup_contact.found names 'since', which lookup_contact does not return (it returns email, name, note, tier)") == true, "\(found)")
        #expect(PackRuntime.missingSecrets(broken, secrets: [:]).map(\.message) == [
            "tool 'lookup_contact' needs the secret 'crm_token': set SWITCHBOARD_SECRET_CRM_TOKEN or --secret crm_token=VALUE",
        ])
        #expect(PackRuntime.missingSecrets(broken, secrets: ["crm_token": "t0ken-value"]).isEmpty)
    }
}
