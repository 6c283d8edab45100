import Foundation
import RealtimeProtocol

/// The request of a `kind: http` tool and how its answer becomes the tool's output (see
/// docs/packs.md, "Other kinds"). Checked when the pack loads: the url's scheme, host and port
/// are literal, every template names a parameter, a session value or (in headers only) a secret.
public struct HTTPToolPlan: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case GET, POST, PUT, PATCH, DELETE

        /// Whether sending it twice does no more than sending it once: only these are retried.
        public var isIdempotent: Bool { self == .GET || self == .PUT || self == .DELETE }
        /// Whether it carries a body.
        public var hasBody: Bool { self == .POST || self == .PUT || self == .PATCH }
    }

    public var method: Method
    public var url: URLTemplate
    /// Request headers in file order; values may name secrets.
    public var headers: [Header]
    /// The body of a POST, PUT or PATCH; `nil`: the model's arguments as a JSON object.
    public var body: BodyTemplate?
    /// How many times an idempotent request is sent again after a connection failure, a
    /// timeout or a 502, 503 or 504.
    public var retries: Int
    /// Status codes (`404`) and classes (`4xx`) mapped to outcomes, checked in that order before
    /// the defaults (2xx `found`, 404 `not_found`, anything else `error`).
    public var outcomes: [OutcomeRule]
    /// Output fields read from the JSON answer; `nil`: the answer object's members.
    public var fields: [Field]?
    /// The line of `http:` in the tool file.
    public var line: Int

    public init(method: Method, url: URLTemplate, headers: [Header] = [], body: BodyTemplate? = nil, retries: Int = 0,
                outcomes: [OutcomeRule] = [], fields: [Field]? = nil, line: Int = 1) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.retries = retries
        self.outcomes = outcomes
        self.fields = fields
        self.line = line
    }

    public struct Header: Sendable {
        public var name: String
        public var value: HTTPTemplate
        public var line: Int

        public init(name: String, value: HTTPTemplate, line: Int) {
            self.name = name
            self.value = value
            self.line = line
        }
    }

    /// `404: not_found` (a status) or `4xx: refused` (a class).
    public struct OutcomeRule: Sendable, Equatable {
        public enum Match: Sendable, Equatable {
            case status(Int)
            case statusClass(Int)
        }

        public var match: Match
        public var outcome: String

        public init(match: Match, outcome: String) {
            self.match = match
            self.outcome = outcome
        }
    }

    /// An output field and where the answer holds it.
    public struct Field: Sendable {
        public var name: String
        public var pointer: JSONPointer
        public var line: Int

        public init(name: String, pointer: JSONPointer, line: Int) {
            self.name = name
            self.pointer = pointer
            self.line = line
        }
    }

    /// The outcome of an answer with this status: a status rule, else a class rule, else 2xx
    /// `found`, 404 `not_found`, anything else `error`. A redirect (3xx) is never followed and
    /// always an error.
    public func outcome(status: Int) -> String {
        if (300..<400).contains(status) { return "error" }
        if let rule = outcomes.first(where: { $0.match == .status(status) }) { return rule.outcome }
        if let rule = outcomes.first(where: { $0.match == .statusClass(status / 100) }) { return rule.outcome }
        if (200..<300).contains(status) { return "found" }
        if status == 404 { return "not_found" }
        return "error"
    }

    /// The secrets the request uses, each once, in file order, with the line that names it.
    public var secrets: [(name: String, line: Int)] {
        var found: [(name: String, line: Int)] = []
        for header in headers {
            for name in header.value.secretNames where !found.contains(where: { $0.name == name }) {
                found.append((name, header.line))
            }
        }
        return found
    }
}

/// A text with `{{name}}` (a model's argument or a session value) and `{{secret.NAME}}` parts.
public struct HTTPTemplate: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case text(String)
        case value(String)
        case secret(String)
    }

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// Parses `text`; throws the reason it is malformed (an unclosed `{{`, a `}}` without one,
    /// a tag that names nothing).
    public init(parsing text: String) throws(HTTPTemplateError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while true {
            let open = rest.range(of: "{{")
            if let close = rest.range(of: "}}"), open == nil || close.lowerBound < open!.lowerBound {
                throw HTTPTemplateError("'}}' without an opening '{{' in '\(text)'")
            }
            guard let open else {
                if !rest.isEmpty { parts.append(.text(String(rest))) }
                break
            }
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            let inside = rest[open.upperBound...]
            guard let close = inside.range(of: "}}") else { throw HTTPTemplateError("'{{' is never closed with '}}' in '\(text)'") }
            let name = inside[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("secret.") {
                let secret = String(name.dropFirst("secret.".count))
                guard secret.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                    throw HTTPTemplateError("'{{\(name)}}': a secret's name is lowercase letters, digits and '_' (it is read from SWITCHBOARD_SECRET_<NAME>)")
                }
                parts.append(.secret(secret))
            } else {
                guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                    throw HTTPTemplateError("'{{\(name)}}' must name a parameter, a session value or secret.NAME")
                }
                parts.append(.value(name))
            }
            rest = inside[close.upperBound...]
        }
        self.parts = parts
    }

    /// The argument and session value names, in order.
    public var valueNames: [String] {
        parts.compactMap { if case .value(let name) = $0 { name } else { nil } }
    }

    /// The secret names, in order.
    public var secretNames: [String] {
        parts.compactMap { if case .secret(let name) = $0 { name } else { nil } }
    }

    /// The value's name when the template is that one `{{name}}` and nothing else.
    public var soleValue: String? {
        if parts.count == 1, case .value(let name) = parts[0] { return name }
        return nil
    }

    /// Whether there is no tag at all.
    public var isLiteral: Bool {
        parts.allSatisfy { if case .text = $0 { true } else { false } }
    }

    /// The parts from `self` split at each `separator` in the text parts.
    func split(separator: Character) -> [HTTPTemplate] {
        var pieces: [HTTPTemplate] = [HTTPTemplate(parts: [])]
        for part in parts {
            guard case .text(let text) = part else {
                pieces[pieces.count - 1].parts.append(part)
                continue
            }
            let segments = text.split(separator: separator, omittingEmptySubsequences: false)
            for (index, segment) in segments.enumerated() {
                if index > 0 { pieces.append(HTTPTemplate(parts: [])) }
                if !segment.isEmpty { pieces[pieces.count - 1].parts.append(.text(String(segment))) }
            }
        }
        return pieces
    }
}

/// Why a template is malformed.
public struct HTTPTemplateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A tool's url: its origin written out (`https://crm.example.com:8443`), then a path and query
/// that may take values, each percent-encoded where it lands.
public struct URLTemplate: Sendable {
    /// `scheme://host[:port]`, literal.
    public var origin: String
    /// The host, for messages and sources.
    public var host: String
    /// The path (`/api/contacts/{{id}}`), possibly empty.
    public var path: HTTPTemplate
    /// The query's `&`-separated items (`email={{email}}`); `nil` without a `?`.
    public var query: [HTTPTemplate]?
    /// The text as the file writes it.
    public var text: String

    /// Parses and checks `text`: only http and https, the scheme, host and port literal, no
    /// credentials, no fragment, no secret.
    public init(parsing text: String) throws(HTTPTemplateError) {
        let template = try HTTPTemplate(parsing: text)
        guard case .text(let head)? = template.parts.first, let schemeEnd = head.range(of: "://") else {
            throw HTTPTemplateError("the url's scheme, host and port must be written out, with no {{…}} before the path: the model's text never chooses where a request goes")
        }
        let scheme = head[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw HTTPTemplateError("the url must be http:// or https:// (got '\(head[..<schemeEnd.lowerBound])://')")
        }
        let afterScheme = head[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" }
        if authorityEnd == nil && template.parts.count > 1 {
            throw HTTPTemplateError("the url's scheme, host and port must be written out, with no {{…}} before the path: the model's text never chooses where a request goes")
        }
        let authority = afterScheme[..<(authorityEnd ?? afterScheme.endIndex)]
        if authority.contains("@") {
            throw HTTPTemplateError("the url may not carry credentials (user:password@); send them in a header with {{secret.NAME}}")
        }
        guard let components = URLComponents(string: "\(scheme)://\(authority)"), let host = components.host, !host.isEmpty,
              components.percentEncodedPath.isEmpty, components.port.map({ (1...65535).contains($0) }) ?? true,
              !authority.hasSuffix(":")
        else {
            throw HTTPTemplateError("the url's host and port are not valid ('\(authority)')")
        }
        if !template.secretNames.isEmpty {
            throw HTTPTemplateError("{{secret.\(template.secretNames[0])}} is in the url: a secret may be used in headers only (not the url or body), so it never lands in logs of URLs")
        }
        if text.contains("#") {
            throw HTTPTemplateError("the url may not have a fragment (#…): it is never sent")
        }
        var rest = template
        rest.parts[0] = .text(String(afterScheme[(authorityEnd ?? afterScheme.endIndex)...]))
        if case .text("")? = rest.parts.first { rest.parts.removeFirst() }
        let pieces = rest.split(separator: "?")
        guard pieces.count <= 2 else { throw HTTPTemplateError("the url has more than one '?'") }
        self.origin = "\(scheme)://\(authority)"
        self.host = host
        self.path = pieces[0]
        self.query = pieces.count == 2 ? pieces[1].split(separator: "&") : nil
        self.text = text
        // The literal parts must make a valid URL with any value in place.
        let sample = origin + Self.sample(path) + (query.map { "?" + $0.map(Self.sample).joined(separator: "&") } ?? "")
        guard URL(string: sample) != nil, !sample.contains(" ") else {
            throw HTTPTemplateError("'\(text)' is not a valid URL (write spaces and other special characters percent-encoded)")
        }
    }

    /// Every template, for checks.
    public var templates: [HTTPTemplate] { [path] + (query ?? []) }

    private static func sample(_ template: HTTPTemplate) -> String {
        template.parts.map { if case .text(let text) = $0 { text } else { "x" } }.joined()
    }
}

/// A JSON body written in YAML whose strings may hold templates: a string that is one
/// `{{name}}` and nothing else becomes the value itself (a number stays a number), any other
/// string with tags becomes text.
public indirect enum BodyTemplate: Sendable {
    case literal(JSONValue)
    case value(String)
    case text(HTTPTemplate)
    case array([BodyTemplate])
    case object([(String, BodyTemplate)])

    /// Every template, for checks.
    public var templates: [HTTPTemplate] {
        switch self {
        case .literal: []
        case .value(let name): [HTTPTemplate(parts: [.value(name)])]
        case .text(let template): [template]
        case .array(let items): items.flatMap(\.templates)
        case .object(let members): members.flatMap(\.1.templates)
        }
    }
}

/// An RFC 6901 JSON pointer: `""` is the whole document, `/contact/name` a member of a member,
/// `/items/0` an array element; `~1` stands for `/` and `~0` for `~`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public let tokens: [String]
    public let description: String

    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        var tokens: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var token = ""
            var characters = raw.makeIterator()
            while let character = characters.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch characters.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: return nil
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
        self.description = text
    }

    /// The value at this pointer in `document`; `nil` when there is none.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(token), token == String(index), index >= 0, index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }
}
