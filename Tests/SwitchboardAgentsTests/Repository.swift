import Foundation

/// Paths in this repository, for tests that read its personas and knowledge.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let packs = root.appendingPathComponent("Personas").path
    static let travel = root.appendingPathComponent("Personas/travel").path
    static let personas = root.appendingPathComponent("Personas/travel/agents").path
    static let knowledge = root.appendingPathComponent("Personas/travel/knowledge").path

    /// The tools the hub's registry provides (the spec's table).
    static let toolNames: Set<String> = Set([
        "load_user_flight_info", "check_flight_status", "check_change_flight", "confirm_flight_change",
        "search_flight_knowledgebase", "load_user_reservation_info", "check_reservation_status",
        "check_change_reservation", "confirm_reservation_change", "search_hotel_knowledgebase",
    ]).union(callControl)

    /// The pack's call-control tools (`kind: builtin`): the embedded model says the engine's own
    /// words for them unless a persona writes answers.
    static let callControl: Set<String> = ["end_call", "transfer_call"]
}
