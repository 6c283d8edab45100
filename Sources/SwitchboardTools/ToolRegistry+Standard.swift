import SwitchboardAgents
import SwitchboardData

extension ToolRegistry {
    /// The names of the standard tools, for checking persona files without opening any data.
    public static let standardNames: Set<String> = [
        "load_user_flight_info", "check_flight_status", "check_change_flight", "confirm_flight_change", "search_flight_knowledgebase",
        "load_user_reservation_info", "check_reservation_status", "check_change_reservation", "confirm_reservation_change",
        "search_hotel_knowledgebase",
    ]

    /// The ten tools of the flight and hotel agents over `data` and `knowledge`.
    public static func standard(data: any BusinessData, knowledge: KnowledgeBase, timeout: Duration = .seconds(5)) -> ToolRegistry {
        ToolRegistry(tools: [
            LoadUserFlightInfoTool(data: data),
            CheckFlightStatusTool(data: data),
            CheckChangeFlightTool(data: data),
            ConfirmFlightChangeTool(data: data),
            SearchKnowledgeBaseTool(knowledge: knowledge, domain: "flight", topics: "baggage, check-in, boarding, changes and refunds, delays"),
            LoadUserReservationInfoTool(data: data),
            CheckReservationStatusTool(data: data),
            CheckChangeReservationTool(data: data),
            ConfirmReservationChangeTool(data: data),
            SearchKnowledgeBaseTool(knowledge: knowledge, domain: "hotel", topics: "check-in and check-out, cancellations, amenities, parking, pets"),
        ], timeout: timeout)
    }
}
