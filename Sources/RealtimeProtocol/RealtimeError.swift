/// The `error` server event: what went wrong with a client event or the session.
public struct RealtimeError: Error, Sendable, Hashable {
    /// The error class (`invalid_request_error`, `server_error`, …).
    public var type: String
    /// A machine-readable code.
    public var code: String?
    /// What a person reads.
    public var message: String
    /// The parameter at fault, when one is.
    public var param: String?
    /// The `event_id` of the client event that caused it.
    public var eventID: String?

    public init(type: String = "invalid_request_error", code: String?, message: String, param: String? = nil, eventID: String? = nil) {
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.eventID = eventID
    }

    /// An invalid request.
    public static func invalidRequest(_ code: String, _ message: String, param: String? = nil, eventID: String? = nil) -> RealtimeError {
        RealtimeError(type: "invalid_request_error", code: code, message: message, param: param, eventID: eventID)
    }

    /// A failure on the server's side.
    public static func server(_ code: String, _ message: String) -> RealtimeError {
        RealtimeError(type: "server_error", code: code, message: message)
    }

    /// The `error` event carrying this error (same shape in both dialects).
    public var event: RealtimeEvent {
        RealtimeEvent(type: "error", [
            ("event_id", .string(RealtimeID.event())),
            ("error", .object(JSONObject([
                ("type", .string(type)),
                ("code", code.map(JSONValue.string) ?? .null),
                ("message", .string(message)),
                ("param", param.map(JSONValue.string) ?? .null),
                ("event_id", eventID.map(JSONValue.string) ?? .null),
            ]))),
        ])
    }

    /// Reads an error back from an `error` event.
    public init?(event: RealtimeEvent) {
        guard event.type == "error", let error = event["error"]?.objectValue else { return nil }
        self.type = error["type"]?.stringValue ?? "server_error"
        self.code = error["code"]?.stringValue
        self.message = error["message"]?.stringValue ?? ""
        self.param = error["param"]?.stringValue
        self.eventID = error["event_id"]?.stringValue
    }
}
