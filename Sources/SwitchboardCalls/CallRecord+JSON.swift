import Foundation
import RealtimeProtocol

extension CallRecord {
    /// The record as JSON, as stored and as sent in webhooks: snake_case keys in a fixed order,
    /// times as RFC 3339 UTC with milliseconds (`CallTime`), every optional present as `null`
    /// when absent, and `duration_seconds` (ended minus started, to the millisecond) only once
    /// the call has ended.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(id)),
            ("channel", .string(channel.rawValue)),
            ("direction", .string(direction.rawValue)),
            ("from", Self.text(from)),
            ("to", Self.text(to)),
            ("pack", Self.text(pack)),
            ("tenant", Self.text(tenant)),
            ("session_key", .string(sessionKey)),
            ("customer", Self.text(customer)),
            ("provider_call_id", Self.text(providerCallID)),
            ("started_at", Self.time(startedAt)),
            ("answered_at", answeredAt.map(Self.time) ?? .null),
            ("answered_by", Self.text(answeredBy)),
            ("ended_at", endedAt.map(Self.time) ?? .null),
            ("end_reason", Self.text(endReason?.rawValue)),
        ]
        if let endedAt {
            members.append(("duration_seconds", Self.seconds(CallTime.milliseconds(endedAt) - CallTime.milliseconds(startedAt))))
        }
        members += [
            ("agents", .array(agents.map { .object(["agent": .string($0.agent), "at": Self.time($0.at)]) })),
            ("transcript", .array(transcript.map { entry in
                .object(["role": .string(entry.role.rawValue), "text": .string(entry.text), "at": Self.time(entry.at), "agent": Self.text(entry.agent)])
            })),
            ("tool_calls", .array(toolCalls.map { call in
                .object(JSONObject([
                    ("call_id", .string(call.callID)),
                    ("name", .string(call.name)),
                    ("agent", Self.text(call.agent)),
                    ("arguments", .string(call.arguments)),
                    ("output", Self.text(call.output)),
                    ("outcome", Self.text(call.outcome?.rawValue)),
                    ("started_at", Self.time(call.startedAt)),
                    ("ended_at", call.endedAt.map(Self.time) ?? .null),
                ]))
            })),
            ("dtmf", .array(dtmf.map { .object(["digits": .string($0.digits), "at": Self.time($0.at)]) })),
            ("transfers", .array(transfers.map { transfer in
                .object(JSONObject([
                    ("destination", .string(transfer.destination)),
                    ("to", .string(transfer.to)),
                    ("mode", .string(transfer.mode)),
                    ("reason", Self.text(transfer.reason)),
                    ("started_at", Self.time(transfer.startedAt)),
                    ("ended_at", transfer.endedAt.map(Self.time) ?? .null),
                    ("outcome", Self.text(transfer.outcome?.rawValue)),
                    ("error", Self.text(transfer.error)),
                    ("method", Self.text(transfer.method)),
                ]))
            })),
            ("recording", recording ?? .null),
            ("analysis", analysis ?? .null),
            ("cost", cost ?? .null),
        ]
        return .object(JSONObject(members))
    }

    /// `json` as compact text.
    public var jsonText: String { json.jsonString }

    /// Reads a record from its JSON (`json`). Required fields (`id`, `channel`, `direction`,
    /// `session_key`, `started_at`, and the arrays `agents`, `transcript`, `tool_calls`, `dtmf`)
    /// must be present and of their type; optional ones may be `null` or missing, but not of
    /// another type. `duration_seconds` is computed, so it is not read. Throws
    /// `CallStoreError(.corrupt)` naming the field that is wrong.
    public init(json: JSONValue) throws(CallStoreError) {
        let fields = try JSONFields(json, path: "call record")
        self.init(
            id: try fields.string("id"),
            channel: try fields.value("channel", CallChannel.self),
            direction: try fields.value("direction", CallDirection.self),
            from: try fields.optionalString("from"),
            to: try fields.optionalString("to"),
            pack: try fields.optionalString("pack"),
            tenant: try fields.optionalString("tenant"),
            sessionKey: try fields.string("session_key"),
            customer: try fields.optionalString("customer"),
            providerCallID: try fields.optionalString("provider_call_id"),
            startedAt: try fields.time("started_at"),
            answeredAt: try fields.optionalTime("answered_at"),
            endedAt: try fields.optionalTime("ended_at"),
            endReason: try fields.optionalValue("end_reason", CallEndReason.self)
        )
        for item in try fields.objects("agents") {
            agents.append(AgentStep(agent: try item.string("agent"), at: try item.time("at")))
        }
        for item in try fields.objects("transcript") {
            transcript.append(TranscriptEntry(
                role: try item.value("role", TranscriptEntry.Role.self), text: try item.string("text"), at: try item.time("at"),
                agent: try item.optionalString("agent")
            ))
        }
        for item in try fields.objects("tool_calls") {
            toolCalls.append(ToolCallEntry(
                callID: try item.string("call_id"), name: try item.string("name"), agent: try item.optionalString("agent"),
                arguments: try item.string("arguments"), output: try item.optionalString("output"),
                outcome: try item.optionalValue("outcome", ToolCallEntry.Outcome.self), startedAt: try item.time("started_at"),
                endedAt: try item.optionalTime("ended_at")
            ))
        }
        for item in try fields.objects("dtmf") {
            dtmf.append(DTMFEntry(digits: try item.string("digits"), at: try item.time("at")))
        }
        answeredBy = try fields.optionalString("answered_by")
        // Records written before transfers were kept have none.
        for item in try fields.objects("transfers", required: false) {
            transfers.append(TransferEntry(
                destination: try item.string("destination"), to: try item.string("to"), mode: try item.string("mode"),
                reason: try item.optionalString("reason"), startedAt: try item.time("started_at"), endedAt: try item.optionalTime("ended_at"),
                outcome: try item.optionalValue("outcome", TransferEntry.Outcome.self), error: try item.optionalString("error"),
                method: try item.optionalString("method")
            ))
        }
        recording = fields.optionalJSON("recording")
        analysis = fields.optionalJSON("analysis")
        cost = fields.optionalJSON("cost")
    }

    /// Reads a record from JSON text; text that is not JSON is `CallStoreError(.corrupt)` too.
    public init(jsonText: String) throws(CallStoreError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(jsonText)
        } catch {
            throw CallStoreError(.corrupt, "call record: not JSON: \(error)")
        }
        try self.init(json: value)
    }

    private static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    private static func time(_ date: Date) -> JSONValue { .string(CallTime.format(date)) }

    /// Milliseconds as a decimal number of seconds: `12`, `12.5`, `-0.001`.
    private static func seconds(_ milliseconds: Int) -> JSONValue {
        let magnitude = milliseconds.magnitude
        var text = (milliseconds < 0 ? "-" : "") + String(magnitude / 1000)
        var fraction = magnitude % 1000
        if fraction != 0 {
            var digits = 3
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
        }
        return .number(text)
    }
}

/// The members of one JSON object being read, with the path to it for messages.
struct JSONFields {
    let object: JSONObject
    let path: String

    init(_ value: JSONValue, path: String) throws(CallStoreError) {
        guard let object = value.objectValue else { throw CallStoreError(.corrupt, "\(path): not a JSON object") }
        self.object = object
        self.path = path
    }

    private func wrong(_ key: String, _ expected: String) -> CallStoreError {
        object[key] == nil
            ? CallStoreError(.corrupt, "\(path): \"\(key)\" is missing")
            : CallStoreError(.corrupt, "\(path): \"\(key)\" is not \(expected)")
    }

    func string(_ key: String) throws(CallStoreError) -> String {
        guard let text = object[key]?.stringValue else { throw wrong(key, "a string") }
        return text
    }

    func optionalString(_ key: String) throws(CallStoreError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw wrong(key, "a string or null") }
        return text
    }

    func value<T: RawRepresentable<String>>(_ key: String, _ type: T.Type) throws(CallStoreError) -> T {
        let text = try string(key)
        guard let value = T(rawValue: text) else { throw CallStoreError(.corrupt, "\(path): \"\(key)\" is not a valid value (\(Self.shown(text)))") }
        return value
    }

    func optionalValue<T: RawRepresentable<String>>(_ key: String, _ type: T.Type) throws(CallStoreError) -> T? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = T(rawValue: text) else { throw CallStoreError(.corrupt, "\(path): \"\(key)\" is not a valid value (\(Self.shown(text)))") }
        return value
    }

    func time(_ key: String) throws(CallStoreError) -> Date {
        let text = try string(key)
        guard let date = CallTime.parse(text) else { throw CallStoreError(.corrupt, "\(path): \"\(key)\" is not an RFC 3339 time (\(Self.shown(text)))") }
        return date
    }

    func optionalTime(_ key: String) throws(CallStoreError) -> Date? {
        guard let text = try optionalString(key) else { return nil }
        guard let date = CallTime.parse(text) else { throw CallStoreError(.corrupt, "\(path): \"\(key)\" is not an RFC 3339 time (\(Self.shown(text)))") }
        return date
    }

    /// The array `key`, each element an object; a missing array is empty unless `required`.
    func objects(_ key: String, required: Bool = true) throws(CallStoreError) -> [JSONFields] {
        if !required, object[key] == nil { return [] }
        guard let array = object[key]?.arrayValue else { throw wrong(key, "an array") }
        var items: [JSONFields] = []
        items.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            items.append(try JSONFields(element, path: "\(path).\(key)[\(index)]"))
        }
        return items
    }

    /// Any JSON value; `null` and missing are `nil`.
    func optionalJSON(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// A value for a message: at most 40 characters of it, quoted.
    static func shown(_ text: String) -> String {
        text.count > 40 ? "\"\(text.prefix(40))…\"" : "\"\(text)\""
    }
}
