import Foundation
import RealtimeProtocol
import Yams

extension ToolDefinition {
    /// Reads one tool file's text, as `Pack.load` reads each `tools/*.yaml`; `file` is the name
    /// problems give. Throws the first problem found, at its line.
    public static func parse(yaml text: String, file: String = "tool.yaml") throws(PersonaProblem) -> ToolDefinition {
        try ToolFileParser(file: file).parse(PackLoader.compose(text: text, file: file))
    }
}

/// The `http:` part of a `kind: http` tool.
extension ToolFileParser {
    static let httpFields: Set<String> = ["method", "url", "headers", "body", "retries", "outcomes", "fields"]
    /// Headers the hub writes itself.
    static let managedHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive"]
    static let maximumRetries = 5

    func readParameterNames(_ parameters: JSONValue) -> [String] {
        parameters.objectValue?["properties"]?.objectValue?.members.map(\.0) ?? []
    }

    /// `known`: the parameter and session value names a template may use.
    func readHTTP(_ fields: YAMLFields, known: Set<String>) throws(PersonaProblem) -> HTTPToolPlan {
        try fields.allowOnly(Self.httpFields)
        var method = HTTPToolPlan.Method.GET
        if let node = fields.node("method") {
            guard let text = node.scalar?.string, let value = HTTPToolPlan.Method(rawValue: text.uppercased()) else {
                throw fields.problem(at: node.line, "'http.method' must be GET, POST, PUT, PATCH or DELETE (got '\(node.scalar?.string ?? "a list or mapping")')")
            }
            method = value
        }

        guard let urlText = try fields.text("url", required: true) else { throw fields.problem(at: fields.line, "missing required field 'http.url'") }
        let urlLine = fields.line(of: "url")
        let url: URLTemplate
        do {
            url = try URLTemplate(parsing: urlText)
        } catch {
            throw fields.problem(at: urlLine, error.description)
        }
        for template in url.templates { try checkNames(template, known: known, line: urlLine, field: "http.url", secrets: false) }

        var headers: [HTTPToolPlan.Header] = []
        if let node = fields.node("headers") {
            let entries = try YAMLFields(node, file: file, context: "http.headers", what: "'http.headers' must map header names to values")
            for (name, line, value) in entries.all {
                guard name.range(of: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", options: .regularExpression) != nil else {
                    throw fields.problem(at: line, "'\(name)' is not a valid header name")
                }
                if Self.managedHeaders.contains(name.lowercased()) {
                    throw fields.problem(at: line, "the header '\(name)' is written by the hub")
                }
                if headers.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                    throw fields.problem(at: line, "the header '\(name)' appears twice")
                }
                guard let text = value.scalar?.string else { throw fields.problem(at: value.line, "the header '\(name)' must be text") }
                if text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                    throw fields.problem(at: value.line, "the header '\(name)' must be one line")
                }
                let template = try parseTemplate(text, line: value.line)
                try checkNames(template, known: known, line: value.line, field: "http.headers.\(name)", secrets: true)
                headers.append(.init(name: name, value: template, line: value.line))
            }
        }

        var body: BodyTemplate?
        if let node = fields.node("body") {
            guard method.hasBody else {
                throw fields.problem(at: fields.line(of: "body"), "a \(method.rawValue) request has no body (only POST, PUT and PATCH)")
            }
            body = try readBody(node, known: known)
        }

        var retries = 0
        if let node = fields.node("retries") {
            guard let count = node.int, (0...Self.maximumRetries).contains(count) else {
                throw fields.problem(at: node.line, "'http.retries' must be 0 to \(Self.maximumRetries)")
            }
            if count > 0 && !method.isIdempotent {
                throw fields.problem(at: node.line, "a \(method.rawValue) request is never retried (it may have been carried out): retries are for GET, PUT and DELETE")
            }
            retries = count
        }

        var outcomes: [HTTPToolPlan.OutcomeRule] = []
        if let node = fields.node("outcomes") {
            let entries = try YAMLFields(node, file: file, context: "http.outcomes", what: "'http.outcomes' must map status codes (\"404\", \"4xx\") to outcomes")
            for (key, line, value) in entries.all {
                let match: HTTPToolPlan.OutcomeRule.Match
                if let status = Int(key), key.count == 3, (100...599).contains(status) {
                    match = .status(status)
                } else if key.count == 3, key.lowercased().hasSuffix("xx"), let digit = Int(key.prefix(1)), (1...5).contains(digit) {
                    match = .statusClass(digit)
                } else {
                    throw fields.problem(at: line, "'\(key)' in 'http.outcomes' is not a status code (like \"404\") or class (like \"4xx\")")
                }
                if case .status(let status) = match, (300..<400).contains(status) {
                    throw fields.problem(at: line, "a \(status) answer is always an error: redirects are not followed")
                }
                if match == .statusClass(3) {
                    throw fields.problem(at: line, "a 3xx answer is always an error: redirects are not followed")
                }
                guard let outcome = value.scalar?.string, outcome.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                    throw fields.problem(at: value.line, "the outcome for \(key) must be a name like not_found (lowercase letters, digits and '_')")
                }
                outcomes.append(.init(match: match, outcome: outcome))
            }
        }

        var outputs: [HTTPToolPlan.Field]?
        if let node = fields.node("fields") {
            let entries = try YAMLFields(node, file: file, context: "http.fields", what: "'http.fields' must map output field names to JSON pointers (/contact/name)")
            var list: [HTTPToolPlan.Field] = []
            for (name, line, value) in entries.all {
                guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                    throw fields.problem(at: line, "the field name '\(name)' must be letters, digits and '_'")
                }
                if name == "outcome" {
                    throw fields.problem(at: line, "'outcome' comes from the status code ('http.outcomes'), not from a field")
                }
                guard let text = value.scalar?.string, let pointer = JSONPointer(text) else {
                    throw fields.problem(at: value.line, "the field '\(name)' must be a JSON pointer like /contact/name ('' for the whole answer; ~1 for '/', ~0 for '~')")
                }
                list.append(.init(name: name, pointer: pointer, line: line))
            }
            outputs = list
        }
        return HTTPToolPlan(method: method, url: url, headers: headers, body: body, retries: retries, outcomes: outcomes, fields: outputs, line: fields.line)
    }

    private func parseTemplate(_ text: String, line: Int) throws(PersonaProblem) -> HTTPTemplate {
        do {
            return try HTTPTemplate(parsing: text)
        } catch {
            throw PersonaProblem(file: file, line: line, message: error.description)
        }
    }

    /// Every `{{name}}` is a parameter or a session value; `{{secret.NAME}}` only where `secrets`.
    private func checkNames(_ template: HTTPTemplate, known: Set<String>, line: Int, field: String, secrets: Bool) throws(PersonaProblem) {
        for name in template.valueNames where !known.contains(name) {
            let parameters = known.subtracting(Pack.sessionParameters).sorted()
            throw PersonaProblem(file: file, line: line, message:
                "'{{\(name)}}' in '\(field)' is not a parameter of the tool (\(parameters.isEmpty ? "it has none" : parameters.joined(separator: ", "))) or a session value (customer_id, customer_name, today, now)")
        }
        if !secrets, let secret = template.secretNames.first {
            throw PersonaProblem(file: file, line: line, message:
                "{{secret.\(secret)}} is in '\(field)': a secret may be used in headers only (not the url or body), so it never lands in logs of URLs")
        }
    }

    /// The YAML body as a template: strings may hold tags.
    private func readBody(_ node: Node, known: Set<String>) throws(PersonaProblem) -> BodyTemplate {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            guard text.contains("{{") || text.contains("}}") else { return .literal(try YAMLJSON.value(node, file: file)) }
            let template = try parseTemplate(text, line: node.line)
            try checkNames(template, known: known, line: node.line, field: "http.body", secrets: false)
            if let name = template.soleValue { return .value(name) }
            return .text(template)
        case .sequence(let sequence):
            var items: [BodyTemplate] = []
            for item in sequence { items.append(try readBody(item, known: known)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [(String, BodyTemplate)] = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { throw PersonaProblem(file: file, line: key.line, message: "a key of 'http.body' must be plain text") }
                if members.contains(where: { $0.0 == name }) {
                    throw PersonaProblem(file: file, line: key.line, message: "'\(name)' appears twice in 'http.body'")
                }
                members.append((name, try readBody(value, known: known)))
            }
            return .object(members)
        case .alias:
            throw PersonaProblem(file: file, line: node.line, message: "YAML aliases are not allowed here")
        }
    }
}
