import NIOCore

/// One realtime event: its `type` and all its members, unknown ones included.
public struct RealtimeEvent: Sendable, Hashable {
    /// The event's members, `type` among them, in their order.
    public var body: JSONObject

    /// The event's `type`.
    public var type: String {
        get { body["type"]?.stringValue ?? "" }
        set { body["type"] = .string(newValue) }
    }

    /// The client's or server's `event_id`, when present.
    public var eventID: String? {
        get { body["event_id"]?.stringValue }
        set { body["event_id"] = newValue.map(JSONValue.string) }
    }

    /// An event of `type` with these further members; `type` comes first.
    public init(type: String, _ members: [(String, JSONValue)] = []) {
        self.body = JSONObject([("type", .string(type))] + members)
    }

    /// An event from a decoded object (which must carry a string `type`).
    public init(body: JSONObject) {
        self.body = body
    }

    /// Member lookup.
    public subscript(key: String) -> JSONValue? {
        get { body[key] }
        set { body[key] = newValue }
    }

    /// Decodes an event from a text frame's bytes.
    public static func decode(_ buffer: ByteBuffer) throws(EventDecodingError) -> RealtimeEvent {
        let value: JSONValue
        do {
            value = try buffer.withUnsafeReadableBytes { (raw) throws(JSONParseError) -> JSONValue in
                try JSONParser.parse(raw.bindMemory(to: UInt8.self))
            }
        } catch {
            throw .malformedJSON(error.description)
        }
        return try decode(value)
    }

    /// Decodes an event from JSON text.
    public static func decode(_ text: String) throws(EventDecodingError) -> RealtimeEvent {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw .malformedJSON(error.description) }
        return try decode(value)
    }

    private static func decode(_ value: JSONValue) throws(EventDecodingError) -> RealtimeEvent {
        guard let object = value.objectValue else { throw .notAnObject }
        guard let type = object["type"] else { throw .missingType }
        guard type.stringValue != nil else { throw .typeNotAString }
        guard object.members.lazy.filter({ $0.key == "type" }).count == 1 else { throw .duplicateType }
        return RealtimeEvent(body: object)
    }

    /// Compact JSON text.
    public var jsonString: String { body.jsonString }

    /// The event as a buffer, ready to be sent as a text frame.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let bytes = JSONValue.object(body).jsonBytes
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }
}

/// Why a frame is not a realtime event.
public enum EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedJSON(String)
    case notAnObject
    case missingType
    case typeNotAString
    /// Two top-level `type` members: which one a reader takes is not defined.
    case duplicateType

    /// The `error.code` the hub reports.
    public var code: String {
        switch self {
        case .malformedJSON: return "invalid_json"
        case .notAnObject: return "invalid_event"
        case .missingType: return "missing_type"
        case .typeNotAString: return "invalid_type"
        case .duplicateType: return "duplicate_type"
        }
    }

    public var description: String {
        switch self {
        case .malformedJSON(let detail): return "The event is not valid JSON (\(detail))."
        case .notAnObject: return "An event must be a JSON object."
        case .missingType: return "The event has no 'type'."
        case .typeNotAString: return "The event's 'type' must be a string."
        case .duplicateType: return "The event has more than one 'type' member; send exactly one."
        }
    }
}

extension RealtimeEvent {
    /// Decodes an event, as a result rather than a throw.
    public static func decoding(_ buffer: ByteBuffer) -> Result<RealtimeEvent, EventDecodingError> {
        do {
            return .success(try decode(buffer))
        } catch {
            return .failure(error)
        }
    }
}
