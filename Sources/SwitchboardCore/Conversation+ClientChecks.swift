import RealtimeProtocol

/// What a client may not do to a session the hub runs: overrule the active agent from a
/// `response.create`, answer a tool call the hub runs, or send items past the size limit.
extension Conversation {
    /// 64 KiB of text per item: a long pasted document, far more than one spoken turn.
    public static let defaultMaxItemBytes = 64 * 1024

    /// Checks a client's `response.create` and removes what would overrule the active agent:
    /// `instructions` always; `tools` and `tool_choice` unless they only name functions the
    /// client declared itself (the agent's tools are kept beside them). Returns the error to
    /// send when the request cannot be used.
    mutating func checkResponseCreate(_ event: inout RealtimeEvent) -> RealtimeError? {
        guard let member = event["response"], !member.isNull else { return nil }
        guard var response = member.objectValue else {
            return .invalidRequest("invalid_type", "'response' must be an object.", param: "response", eventID: event.eventID)
        }
        do {
            try SessionLimits.response(response)
        } catch {
            return .invalidRequest("invalid_value", error.message, param: error.param, eventID: event.eventID)
        }
        response.removeValue(forKey: "instructions")
        if let tools = response.removeValue(forKey: "tools")?.arrayValue {
            let own = tools.filter { clientOwns($0["name"]?.stringValue) }
            if !own.isEmpty { response["tools"] = .array(agent.tools + own) }
        }
        if let choice = response.removeValue(forKey: "tool_choice") {
            // A client may force a function of its own; `none`, `required` or an agent tool
            // would change how the agent works.
            let name = choice["name"]?.stringValue ?? choice["function"]?["name"]?.stringValue
            if clientOwns(name) { response["tool_choice"] = choice }
        }
        event["response"] = .object(response)
        return nil
    }

    /// Checks a client's `conversation.item.create`: an output for a call the hub runs is
    /// refused (the hub answers its own calls), and so is an item past the size limit.
    func checkItemCreate(_ event: RealtimeEvent) -> RealtimeError? {
        guard let member = event["item"] else {
            return .invalidRequest("missing_required_parameter", "conversation.item.create needs an 'item' object.", param: "item", eventID: event.eventID)
        }
        guard let item = member.objectValue else {
            return .invalidRequest("invalid_type", "'item' must be an object.", param: "item", eventID: event.eventID)
        }
        if item["type"]?.stringValue == "function_call_output", let callID = item["call_id"]?.stringValue,
           isHubCallID(callID) {
            return .invalidRequest("invalid_value", "The call '\(callID.prefix(64))' is run by the hub; its output cannot be sent by the client.",
                                   param: "item.call_id", eventID: event.eventID)
        }
        if item["type"]?.stringValue == "function_call", !clientOwns(item["name"]?.stringValue) {
            return .invalidRequest("invalid_value", "Only functions the client declared can be added as calls.", param: "item.name", eventID: event.eventID)
        }
        let size = Self.textBytes(of: item)
        if size > configuration.maxItemBytes {
            return .invalidRequest("string_above_max_length",
                                   "The item carries \(size) bytes of text; the most one item may carry is \(configuration.maxItemBytes).",
                                   param: "item", eventID: event.eventID)
        }
        return nil
    }

    /// The UTF-8 bytes of text an item carries: its content parts' text and transcripts, a
    /// call's arguments or output.
    static func textBytes(of item: JSONObject) -> Int {
        var total = 0
        for key in ["output", "arguments"] { total += item[key]?.stringValue?.utf8.count ?? 0 }
        for part in item["content"]?.arrayValue ?? [] {
            for key in ["text", "transcript"] { total += part[key]?.stringValue?.utf8.count ?? 0 }
        }
        return total
    }
}
