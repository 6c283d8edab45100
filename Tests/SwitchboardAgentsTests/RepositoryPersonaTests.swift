import SwitchboardAgents
import SwitchboardCore
import Testing

/// Each tool's outcomes and the output fields the spec lists for them; list fields map to their
/// elements' fields.
private struct Outcome {
    var fields: Set<String>
    var lists: [String: Set<String>] = [:]
}

private let knowledge: [String: Outcome] = [
    "found": Outcome(fields: ["query", "answer", "results"], lists: ["results": ["title", "source", "text", "score"]]),
    "not_found": Outcome(fields: ["query"]),
]
private let flightUnavailable = Outcome(fields: ["confirmation", "flight_number", "new_date"])
private let flightNotChangeable = Outcome(fields: ["confirmation", "reason"])
private let hotelUnavailable = Outcome(fields: ["confirmation", "hotel", "check_in", "check_out"])

private let outputs: [String: [String: Outcome]] = [
    "load_user_flight_info": [
        "found": Outcome(fields: ["customer_name", "count", "bookings"], lists: ["bookings": [
            "confirmation", "flight_number", "date", "origin", "destination", "departure_time", "status", "seat",
        ]]),
        "not_found": Outcome(fields: ["customer_name"]),
    ],
    "check_flight_status": [
        "found": Outcome(fields: ["flight_number", "date", "origin", "destination", "departure_time", "arrival_time",
                                  "status", "gate", "delay_minutes"]),
        "not_found": Outcome(fields: ["flight_number", "date"]),
    ],
    "check_change_flight": [
        "available": Outcome(fields: ["confirmation", "flight_number", "old_date", "new_date", "departure_time", "change_fee",
                                      "fare_difference", "total", "currency", "seats_available"]),
        "unavailable": flightUnavailable, "not_found": Outcome(fields: ["confirmation"]), "not_changeable": flightNotChangeable,
    ],
    "confirm_flight_change": [
        "confirmed": Outcome(fields: ["old_confirmation", "new_confirmation", "flight_number", "new_date", "departure_time",
                                      "total", "currency"]),
        "unavailable": flightUnavailable, "not_found": Outcome(fields: ["confirmation"]), "not_changeable": flightNotChangeable,
    ],
    "search_flight_knowledgebase": knowledge,
    "load_user_reservation_info": [
        "found": Outcome(fields: ["customer_name", "count", "reservations"], lists: ["reservations": [
            "confirmation", "hotel", "city", "check_in", "check_out", "nights", "room_type", "status",
        ]]),
        "not_found": Outcome(fields: ["customer_name"]),
    ],
    "check_reservation_status": [
        "found": Outcome(fields: ["confirmation", "hotel", "city", "address", "check_in", "check_out", "nights", "room_type", "status"]),
        "not_found": Outcome(fields: ["confirmation"]),
    ],
    "check_change_reservation": [
        "available": Outcome(fields: ["confirmation", "hotel", "old_check_in", "old_check_out", "check_in", "check_out", "nights",
                                      "nightly_rate", "change_fee", "total", "currency", "rooms_available"]),
        "unavailable": hotelUnavailable, "not_found": Outcome(fields: ["confirmation"]),
    ],
    "confirm_reservation_change": [
        "confirmed": Outcome(fields: ["confirmation", "hotel", "check_in", "check_out", "nights", "total", "currency"]),
        "unavailable": hotelUnavailable, "not_found": Outcome(fields: ["confirmation"]),
    ],
    "search_hotel_knowledgebase": knowledge,
]

@Suite("the repository's personas")
struct RepositoryPersonaTests {
    let catalog: PersonaCatalog

    init() throws {
        catalog = try PersonaCatalog.load(directory: Repository.personas, knownTools: Repository.toolNames)
    }

    @Test("they load against the registry's tool names: one router, two domain agents")
    func load() throws {
        #expect(catalog.personas.map(\.name) == ["concierge", "flight", "hotel"])
        let router = try #require(catalog.router)
        #expect(router.name == "concierge")
        #expect(catalog.defaultPersona.name == "concierge")
        // The router answers no business question itself: it can only end or transfer the call.
        #expect(router.tools.map(\.name) == ["end_call", "transfer_call"])
        #expect(!router.capabilities.isEmpty)
        #expect(catalog.agents.map(\.handoff) == [.keep, .keep])
        #expect(catalog.agents.allSatisfy { $0.routingExamples.count >= 15 })
        let flight = try #require(catalog.persona(named: "flight"))
        #expect(flight.tools.first { $0.name == "confirm_flight_change" }?.confirms == "check_change_flight")
        #expect(flight.tools.filter(\.isFallback).map(\.name) == ["search_flight_knowledgebase"])
        let hotel = try #require(catalog.persona(named: "hotel"))
        #expect(hotel.tools.first { $0.name == "confirm_reservation_change" }?.confirms == "check_change_reservation")
        #expect(hotel.tools.filter(\.isFallback).map(\.name) == ["search_hotel_knowledgebase"])
        // Every tool of the registry belongs to one agent.
        #expect(Set(catalog.personas.flatMap(\.tools).map(\.name)) == Repository.toolNames)
    }

    @Test("every outcome of every tool has an answer, plus error, using only the tool's output fields")
    func answers() {
        for persona in catalog.agents {
            for tool in persona.tools where !Repository.callControl.contains(tool.name) {
                guard let expected = outputs[tool.name] else {
                    Issue.record("\(persona.name): no spec for \(tool.name)")
                    continue
                }
                let answers = persona.answers[tool.name] ?? [:]
                #expect(Set(answers.keys) == Set(expected.keys).union(["error"]), "\(persona.name).\(tool.name)")
                for (outcome, template) in answers {
                    let spec = expected[outcome] ?? Outcome(fields: [])
                    let allowed = spec.fields.union(spec.lists.values.flatMap { $0 })
                    for name in TemplateSyntax.fieldNames(in: template) {
                        let head = String(name.split(separator: ".")[0])
                        #expect(allowed.contains(head), "\(persona.name) \(tool.name).\(outcome) uses '\(name)'")
                    }
                }
            }
        }
    }

    @Test("a change check asks to confirm; a knowledge answer says where it came from")
    func answerShape() {
        for persona in catalog.agents {
            for tool in persona.tools {
                let answers = persona.answers[tool.name] ?? [:]
                if tool.name.hasPrefix("check_change_") {
                    #expect(answers["available"]?.hasSuffix("Shall I make the change?") == true)
                }
                if tool.isFallback {
                    let found = answers["found"] ?? ""
                    #expect(found.contains("{{answer}}") && found.contains("{{results.0.title}}"))
                }
            }
        }
    }

    @Test("every required parameter has a question")
    func questions() throws {
        let flight = try #require(catalog.persona(named: "flight"))
        let hotel = try #require(catalog.persona(named: "hotel"))
        #expect(Set(flight.questions.keys).isSuperset(of: ["confirmation", "new_date", "flight_number", "query"]))
        #expect(Set(hotel.questions.keys).isSuperset(of: ["confirmation", "check_in", "query"]))
    }

    @Test("instructions tell a cloud model to use the tools and state only their facts")
    func instructions() {
        for persona in catalog.agents {
            for tool in persona.tools {
                #expect(persona.instructions.contains(tool.name), "\(persona.name) instructions name \(tool.name)")
            }
            #expect(persona.instructions.contains("only facts that come from tool results"))
            #expect(persona.renderInstructions(customer: .init(name: "Alex Morgan", id: "C-1001")).contains("Alex Morgan"))
        }
        let signatures = catalog.personas.map(\.instructionsSignature)
        #expect(Set(signatures).count == signatures.count)
    }
}
