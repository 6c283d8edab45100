import SwitchboardAgents
import SwitchboardData

extension ToolRegistry {
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
