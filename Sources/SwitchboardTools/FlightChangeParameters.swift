import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// What `check_change_flight` and `confirm_flight_change` share: their parameters and how a
/// refusal is told.
enum FlightChangeParameters {
    static let schema = JSONSchema.object([
        ("confirmation", JSONSchema.string(
            "The booking's confirmation code: three capital letters and three digits, for example BKQ431.",
            pattern: IdentifierPattern.bookingConfirmation
        )),
        ("new_date", JSONSchema.date("The date to fly instead, yyyy-MM-dd.")),
    ], required: ["confirmation", "new_date"])

    static func refusal(_ refusal: FlightChangeRefusal, confirmation: String, newDate: CalendarDate, data: any BusinessData) -> ToolResult {
        switch refusal {
        case .notFound:
            return ToolResult(outcome: "not_found", fields: ["confirmation": .string(confirmation)])
        case .notChangeable(let reason):
            return ToolResult(
                outcome: "not_changeable",
                fields: ["confirmation": .string(confirmation), "reason": .string(reason)],
                sources: [data.source("bookings", confirmation)]
            )
        case .unavailable(let flightNumber):
            return ToolResult(
                outcome: "unavailable",
                fields: ["confirmation": .string(confirmation), "flight_number": .string(flightNumber), "new_date": newDate.json],
                sources: [data.source("bookings", confirmation), data.source("flights", "\(flightNumber) \(newDate.iso)")]
            )
        }
    }
}
