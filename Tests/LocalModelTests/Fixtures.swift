import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// Personas and tool specs written for these tests, independent of the repository's files.
enum Fixtures {
    static func persona(_ name: String, instructions: String) throws -> Persona {
        // The minimal YAML a router needs; everything the brain reads is then set in Swift.
        try PersonaCatalog.parse("name: \(name)\nrole: router\ndescription: \(name)\ninstructions: \(instructions)\n", file: "\(name).yaml")
    }

    static func concierge() throws -> Persona {
        var persona = try persona("concierge", instructions: "You are the test concierge.")
        persona.isDefault = true
        persona.greeting = "Hello, this is the concierge."
        persona.capabilities = ["flights", "hotels"]
        persona.fallback = "I'm sorry, I don't know that."
        return persona
    }

    static func flight() throws -> Persona {
        var persona = try persona("flight", instructions: "You are the test flight agent.")
        persona.role = .agent
        persona.greeting = "Flight desk here."
        persona.capabilities = ["flight status", "changing a flight"]
        persona.fallback = "I'm sorry, I don't have that information."
        persona.tools = [
            PersonaTool(name: "check_flight_status", triggers: ["status", "on time", "delayed", "gate"]),
            PersonaTool(name: "check_change_flight", triggers: ["change", "move", "reschedule", "different day"]),
            PersonaTool(name: "confirm_flight_change", confirms: "check_change_flight"),
            PersonaTool(name: "load_user_flight_info", triggers: ["my bookings", "my flights", "my trips"]),
            PersonaTool(name: "search_flight_knowledgebase", isFallback: true),
        ]
        persona.answers = [
            "check_flight_status": [
                "found": "Flight {{flight_number}} on {{date | date}} is {{status}}.",
                "not_found": "I couldn't find flight {{flight_number}}.",
            ],
            "check_change_flight": [
                "available": "I can move {{confirmation}} to {{new_date | date}} at {{departure_time}} for {{total}} {{currency}}. Shall I go ahead?",
                "unavailable": "There are no seats on {{new_date | date}}.",
                "error": "I'm sorry, I can't reach the booking system right now.",
            ],
            "confirm_flight_change": [
                "confirmed": "Done: your new confirmation is {{new_confirmation}}, flying {{new_date | date}}.",
            ],
            "load_user_flight_info": [
                "found": "{{customer_name}}, you have {{#bookings}}{{flight_number}} on {{date | date}}{{/bookings}}.",
            ],
            "search_flight_knowledgebase": [
                "found": "{{answer}}",
                "not_found": "I couldn't find anything about that.",
            ],
        ]
        persona.questions = ["new_date": "What date would you like to fly instead?", "confirmation": "What is your booking confirmation number?"]
        return persona
    }

    static func catalog() throws -> PersonaCatalog {
        PersonaCatalog(personas: [try concierge(), try flight()])
    }

    /// The function tools the hub declares for the flight agent, as JSON.
    static let flightTools = """
        [{"type":"function","name":"check_flight_status","description":"Status of a flight.","parameters":{"type":"object","properties":{
            "flight_number":{"type":"string","pattern":"^[A-Z]{2}[0-9]{3,4}$"},"date":{"type":"string","format":"date"}},"required":["flight_number"]}},
         {"type":"function","name":"check_change_flight","description":"Can a booking move?","parameters":{"type":"object","properties":{
            "confirmation":{"type":"string","pattern":"^[A-Z]{3}[0-9]{3}$"},"new_date":{"type":"string","format":"date"}},"required":["confirmation","new_date"]}},
         {"type":"function","name":"confirm_flight_change","description":"Move a booking.","parameters":{"type":"object","properties":{
            "confirmation":{"type":"string","pattern":"^[A-Z]{3}[0-9]{3}$"},"new_date":{"type":"string","format":"date"}},"required":["confirmation","new_date"]}},
         {"type":"function","name":"load_user_flight_info","description":"The caller's bookings.","parameters":{"type":"object","properties":{}}},
         {"type":"function","name":"search_flight_knowledgebase","description":"Airline policies.","parameters":{"type":"object","properties":{
            "query":{"type":"string"}},"required":["query"]}}]
        """
}

extension Fixtures {
    /// The flight tools without the one listing the caller's bookings: nothing to look a code up in.
    static var flightToolsWithoutListing: String {
        let all = (try? JSONParser.parse(flightTools))?.arrayValue ?? []
        return JSONValue.array(all.filter { $0["name"]?.stringValue != "load_user_flight_info" }).jsonString
    }
}

/// Plays the hub against a `LocalModelSession`: sends client events, collects server events.
struct HubScript {
    var session: LocalModelSession

    init(_ dialect: Dialect, catalog: PersonaCatalog, persona: String = "flight", tools: String = Fixtures.flightTools) throws {
        session = LocalModelSession(dialect: dialect, model: nil, brain: LocalBrain(catalog: catalog, today: { wednesday }))
        _ = session.start()
        let instructions = try #require(catalog.persona(named: persona)).instructions
        let modalities = dialect == .ga ? #""output_modalities":["text"],"type":"realtime""# : #""modalities":["text"]"#
        let updated = try send(#"{"type":"session.update","session":{\#(modalities),"instructions":\#(JSONValue.string(instructions).jsonString),"tools":\#(tools)}}"#)
        #expect(updated.map(\.type) == ["session.updated"])
    }

    mutating func send(_ json: String) throws -> [RealtimeEvent] {
        session.handle(try RealtimeEvent.decode(json))
    }

    /// A typed user message, then `response.create`: the response's events.
    mutating func say(_ text: String) throws -> [RealtimeEvent] {
        let item = JSONValue.object([
            "type": .string("message"), "role": .string("user"),
            "content": .array([.object(["type": .string("input_text"), "text": .string(text)])]),
        ])
        _ = try send(#"{"type":"conversation.item.create","item":\#(item.jsonString)}"#)
        return try send(#"{"type":"response.create"}"#)
    }

    /// A function call's output, then `response.create`: the response's events.
    mutating func output(_ call: FunctionCall, _ output: String) throws -> [RealtimeEvent] {
        let item = JSONValue.object(["type": .string("function_call_output"), "call_id": .string(call.callID), "output": .string(output)])
        let added = try send(#"{"type":"conversation.item.create","item":\#(item.jsonString)}"#)
        #expect(added.first?["item"]?["call_id"]?.stringValue == call.callID)
        return try send(#"{"type":"response.create"}"#)
    }
}

/// A function call read from a response's events.
struct FunctionCall: Equatable {
    var name: String
    var callID: String
    var arguments: JSONObject
}

extension [RealtimeEvent] {
    /// The assistant's text, checked to be the same in deltas, the done event and `response.done`.
    var spokenText: String? {
        guard let done = first(where: { $0.type == "response.output_text.done" || $0.type == "response.text.done" }) else { return nil }
        let deltas = filter { $0.type == "response.output_text.delta" || $0.type == "response.text.delta" }
            .compactMap { $0["delta"]?.stringValue }.joined()
        #expect(deltas == done["text"]?.stringValue)
        #expect(!contains { $0.type.hasPrefix("response.function_call_arguments") })
        return done["text"]?.stringValue
    }

    /// The function call these events make, checked across every event that names it.
    func functionCall(_ dialect: Dialect) -> FunctionCall? {
        guard let done = first(where: { $0.type == "response.function_call_arguments.done" }),
              let name = done["name"]?.stringValue, let callID = done["call_id"]?.stringValue,
              let arguments = done["arguments"]?.stringValue,
              let object = (try? JSONParser.parse(arguments))?.objectValue else { return nil }
        let deltas = filter { $0.type == "response.function_call_arguments.delta" }
        #expect(deltas.compactMap { $0["delta"]?.stringValue }.joined() == arguments)
        #expect(deltas.allSatisfy { $0["call_id"]?.stringValue == callID && $0["item_id"] == done["item_id"] })
        let final = last?["response"]?["output"]?.arrayValue?.first
        #expect(final?["type"]?.stringValue == "function_call")
        #expect(final?["arguments"]?.stringValue == arguments)
        #expect(final?["name"]?.stringValue == name)
        #expect(!contains { $0.type.contains("text") })
        return FunctionCall(name: name, callID: callID, arguments: object)
    }
}
