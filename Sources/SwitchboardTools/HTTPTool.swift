import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData

/// A `kind: http` tool: one request to the business's own systems (its CRM, its booking
/// system), built from the pack's templates, and the JSON answer read into the tool's output
/// (see docs/packs.md, "Other kinds").
///
/// Values are percent-encoded in the url and JSON-encoded in the body; secrets go in headers
/// only and never come back: every string of the output and every message is scrubbed of them.
/// Redirects are not followed, answers are read up to 1 MiB, idempotent requests are retried
/// on a connection failure, a timeout or a 502/503/504. Cancelling the calling task cancels the
/// request.
public struct HTTPTool: Tool {
    public let spec: ToolSpec
    public let plan: HTTPToolPlan
    /// The secrets the request's headers use, by name (shown as `***` by any description).
    let secrets: SecretValues
    /// How long one call may take (the registry enforces it): tries before the last get an
    /// equal share of it.
    let timeout: Duration
    let client: HTTPClient

    /// The largest answer read.
    public static let maximumResponseBytes = 1 << 20

    /// The client every http tool uses unless given another: redirects not followed, no
    /// decompression, connections pooled. A connection that cannot be made fails the try at
    /// once (the tool's `retries` decide what happens next) instead of being attempted again
    /// until the deadline.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)), decompression: .disabled)
        configuration.httpVersion = .automatic
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Throws a problem naming the tool, its file and the secret when a secret its headers use
    /// is not in `secrets`.
    public init(definition: ToolDefinition, plan: HTTPToolPlan, secrets: [String: String], timeout: Duration = .seconds(5),
                client: HTTPClient = HTTPTool.sharedClient) throws(PersonaProblem) {
        if let problem = Self.missingSecrets(definition: definition, plan: plan, secrets: secrets).first { throw problem }
        self.spec = ToolSpec(name: definition.name, description: definition.description, parameters: definition.parameters)
        self.plan = plan
        self.secrets = SecretValues(Dictionary(uniqueKeysWithValues: plan.secrets.compactMap { used in secrets[used.name].map { (used.name, $0) } }))
        self.timeout = timeout
        self.client = client
    }

    /// A problem for each secret the tool's headers use that `secrets` lacks: the tool, the
    /// file and line, and the secret's name (never a value).
    public static func missingSecrets(definition: ToolDefinition, plan: HTTPToolPlan, secrets: [String: String]) -> [PersonaProblem] {
        plan.secrets.filter { secrets[$0.name] == nil }.map { used in
            PersonaProblem(file: definition.file, line: used.line, message:
                "tool '\(definition.name)' needs the secret '\(used.name)': set SWITCHBOARD_SECRET_\(used.name.uppercased()) or --secret \(used.name)=VALUE")
        }
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        var values = context.sessionValues
        for (name, value) in arguments.members where !Pack.sessionParameters.contains(name) { values[name] = value }
        let request: HTTPClientRequest
        switch makeRequest(arguments: arguments, values: values) {
        case .success(let made): request = made
        case .failure(let refusal): return .error(.invalidArguments, scrub(refusal.message))
        }
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let isLast = attempt >= plan.retries
            // A try before the last may use its share of the time; the last one the rest, and
            // the registry's deadline (a little sooner) decides.
            let share = isLast ? timeout - (ContinuousClock.now - started) + .seconds(1) : timeout / (plan.retries + 1)
            let deadline = NIODeadline.now() + .nanoseconds(Int64(max(share, .milliseconds(10)) / .nanoseconds(1)))
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, deadline: deadline)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                if !isLast {
                    try await backOff(attempt)
                    attempt += 1
                    continue
                }
                return failure("could not get an answer from \(plan.url.host): \(Self.describe(error))")
            }
            let status = Int(response.status.code)
            if !isLast, [502, 503, 504].contains(status) {
                _ = try? await response.body.collect(upTo: Self.maximumResponseBytes)
                if Task.isCancelled { throw CancellationError() }
                try await backOff(attempt)
                attempt += 1
                continue
            }
            return try await result(of: response, arguments: arguments)
        }
    }

    // MARK: The request

    struct Refusal: Error {
        var message: String
    }

    /// The request for these values, or why it cannot be made (a value the url's path needs is
    /// missing, a header value would break the header).
    func makeRequest(arguments: JSONObject, values: [String: JSONValue]) -> Result<HTTPClientRequest, Refusal> {
        do throws(Refusal) {
            var url = plan.url.origin
            for part in plan.url.path.parts {
                switch part {
                case .text(let text): url += text
                case .value(let name):
                    guard let value = values[name], let text = Self.text(value) else {
                        throw Refusal(message: "the url needs '\(name)', which has no value")
                    }
                    guard text != "." && text != ".." && !text.isEmpty else {
                        throw Refusal(message: "'\(name)' cannot be '\(text)' in the url's path")
                    }
                    url += Self.percentEncoded(text)
                case .secret:
                    throw Refusal(message: "a secret cannot be used in the url")
                }
            }
            if let query = plan.url.query {
                var items: [String] = []
                for item in query {
                    // `name={{value}}` without a value is left out: an optional filter not given.
                    if item.parts.count == 2, case .text(let head) = item.parts[0], head.hasSuffix("="), case .value(let name) = item.parts[1],
                       values[name].flatMap(Self.text) == nil {
                        continue
                    }
                    items.append(try item.parts.map { (part) throws(Refusal) -> String in
                        switch part {
                        case .text(let text): return text
                        case .value(let name): return Self.percentEncoded(values[name].flatMap(Self.text) ?? "")
                        case .secret: throw Refusal(message: "a secret cannot be used in the url")
                        }
                    }.joined())
                }
                if !items.isEmpty { url += "?" + items.joined(separator: "&") }
            }
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: plan.method.rawValue)
            var named: Set<String> = []
            for header in plan.headers {
                if let name = header.value.soleValue, values[name].flatMap(Self.text) == nil { continue }
                var value = ""
                for part in header.value.parts {
                    switch part {
                    case .text(let text): value += text
                    case .value(let name): value += values[name].flatMap(Self.text) ?? ""
                    case .secret(let name): value += secrets.values[name] ?? ""
                    }
                }
                if value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) {
                    throw Refusal(message: "the header '\(header.name)' would hold a line break or control character")
                }
                request.headers.add(name: header.name, value: value)
                named.insert(header.name.lowercased())
            }
            if !named.contains("accept") { request.headers.add(name: "Accept", value: "application/json") }
            if !named.contains("user-agent") { request.headers.add(name: "User-Agent", value: "switchboard") }
            if plan.method.hasBody {
                let body: JSONValue = plan.body.map { Self.render($0, values) } ?? .object(arguments)
                if !named.contains("content-type") { request.headers.add(name: "Content-Type", value: "application/json") }
                request.body = .bytes(ByteBuffer(bytes: body.jsonBytes))
            }
            return .success(request)
        } catch {
            return .failure(error)
        }
    }

    /// A value as text in a url or header: strings as they are, numbers and booleans as JSON
    /// writes them, lists and objects as JSON; `nil` for null.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .array, .object: value.jsonString
        }
    }

    /// Every byte but the unreserved ones (letters, digits, `-._~`) as `%XX`: a value stays one
    /// path segment or one query value whatever it holds (`&`, `/`, `?`, `#`, spaces, unicode).
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The body with its values in place: a sole `{{name}}` is the value itself (null when
    /// missing), text with tags is text.
    static func render(_ template: BodyTemplate, _ values: [String: JSONValue]) -> JSONValue {
        switch template {
        case .literal(let value): value
        case .value(let name): values[name] ?? .null
        case .text(let text):
            .string(text.parts.map { part in
                switch part {
                case .text(let text): text
                case .value(let name): values[name].flatMap(Self.text) ?? ""
                case .secret: ""
                }
            }.joined())
        case .array(let items): .array(items.map { render($0, values) })
        case .object(let members): .object(JSONObject(members.map { ($0.0, render($0.1, values)) }))
        }
    }

    // MARK: The answer

    func result(of response: HTTPClientResponse, arguments: JSONObject) async throws -> ToolResult {
        let status = Int(response.status.code)
        let reason = Self.short(response.status.reasonPhrase)
        let answered = "the server answered \(status)\(reason.isEmpty ? "" : " " + reason)"
        if (300..<400).contains(status) {
            return failure("\(answered), a redirect (redirects are not followed)")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch is NIOTooManyBytesError {
            return failure("\(answered) with more than 1 MiB, more than a tool may read")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            return failure("the answer from \(plan.url.host) broke off: \(Self.describe(error))")
        }
        let outcome = plan.outcome(status: status)
        guard outcome != ToolResult.errorOutcome else { return failure(answered) }
        var fields = arguments
        let success = (200..<300).contains(status)
        let body = bytes.readableBytesView
        guard body.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            return ToolResult(outcome: outcome, fields: fields, sources: sources)
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            guard success else { return ToolResult(outcome: outcome, fields: fields, sources: sources) }
            let type = response.headers.first(name: "content-type").map { " (\(Self.short($0)))" } ?? ""
            return failure("\(answered) with an answer that is not JSON\(type)")
        }
        if let wanted = plan.fields {
            guard document.objectValue != nil || document.arrayValue != nil else {
                guard success else { return ToolResult(outcome: outcome, fields: fields, sources: sources) }
                return failure("\(answered) with JSON that is not an object or array, and the tool reads fields from it")
            }
            for field in wanted {
                guard let value = field.pointer.resolve(in: document), value != .null else { continue }
                fields[field.name] = scrub(value)
            }
        } else {
            switch document {
            case .object(let object):
                for (name, value) in object where value != .null { fields[scrub(name)] = scrub(value) }
            case .array(let items):
                fields["items"] = scrub(.array(items))
                fields["count"] = .int(items.count)
            default:
                guard success else { break }
                return failure("\(answered) with JSON that is not an object or array")
            }
        }
        return ToolResult(outcome: outcome, fields: fields, sources: sources)
    }

    /// Where the answer came from.
    var sources: [JSONValue] {
        [.object(["source": .string("http:\(plan.url.host)"), "id": .string(spec.name)])]
    }

    /// `tool_failed` with `message`, scrubbed of the tool's secrets.
    func failure(_ message: String) -> ToolResult {
        .error(.toolFailed, scrub("\(spec.name) failed: \(message)"))
    }

    // MARK: Secrets

    /// The secrets long enough to be recognised in a text (as ``Redacted`` does for logs).
    var scrubbed: [String] {
        secrets.values.values.filter { $0.count >= Redacted.shortestScrubbed }.sorted { $0.count > $1.count }
    }

    func scrub(_ text: String) -> String {
        Redacted.scrub(text, secrets: scrubbed)
    }

    /// `value` with every string (and member name) scrubbed of the tool's secrets: a server
    /// that echoes its request never hands them to the model.
    func scrub(_ value: JSONValue) -> JSONValue {
        let secrets = scrubbed
        guard !secrets.isEmpty else { return value }
        func clean(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text): .string(Redacted.scrub(text, secrets: secrets))
            case .array(let items): .array(items.map(clean))
            case .object(let object): .object(JSONObject(object.members.map { (Redacted.scrub($0.key, secrets: secrets), clean($0.value)) }))
            default: value
            }
        }
        return clean(value)
    }

    // MARK: Retries

    /// 100 ms, 200 ms, 400 ms, … (at most a second), each with up to a quarter more at random.
    private func backOff(_ attempt: Int) async throws {
        let base = min(100 * (1 << min(attempt, 4)), 1000)
        try await Task.sleep(for: .milliseconds(base + Int.random(in: 0...(base / 4))))
    }

    /// A text the server chose (a reason phrase, a content type), cut to a length fit for a message.
    static func short(_ text: String) -> String {
        let printable = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return printable.count <= 60 ? printable : String(printable.prefix(60)) + "…"
    }

    /// An error of the client as a short reason.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) { return "it did not answer in time" }
            if error == .remoteConnectionClosed { return "the connection was closed" }
        }
        return "\(error)"
    }
}

extension ToolContext {
    /// The session values a template may use: `customer_id` and `customer_name` (null when
    /// anonymous), `today` (`yyyy-MM-dd`), `now` (ISO 8601 UTC).
    var sessionValues: [String: JSONValue] {
        [
            "customer_id": customer.id.map(JSONValue.string) ?? .null,
            "customer_name": customer.name.map(JSONValue.string) ?? .null,
            "today": .string(CalendarDate(today).iso),
            "now": .string(ISO8601DateFormatter().string(from: today)),
        ]
    }
}

/// Secrets by name that no description, debug description or mirror shows: a tool printed in a
/// log line (a service's description at debug level) shows `***`.
struct SecretValues: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let values: [String: String]

    init(_ values: [String: String]) {
        self.values = values
    }

    var description: String { "[" + values.keys.sorted().map { "\($0): \(Redacted.mask)" }.joined(separator: ", ") + "]" }
    var debugDescription: String { description }
    var customMirror: Mirror {
        let children: [Mirror.Child] = values.keys.sorted().map { (label: $0, value: Redacted.mask) }
        return Mirror(self, children: children)
    }
}

