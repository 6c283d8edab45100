import RealtimeProtocol
import SwitchboardData

/// What `check_change_reservation` and `confirm_reservation_change` share: their parameters and
/// how a refusal is told.
enum ReservationChangeParameters {
    static let confirmation = JSONSchema.string(
        "The reservation's confirmation code: H and six digits, for example H204518.",
        pattern: IdentifierPattern.reservationConfirmation
    )

    static let schema = JSONSchema.object([
        ("confirmation", confirmation),
        ("check_in", JSONSchema.date("The new check-in date, yyyy-MM-dd.")),
        ("nights", JSONSchema.integer(
            "How many nights to stay from the new check-in date, 1 to 30. Leave it out to keep the current length.",
            minimum: ReservationChangeRules.nights.lowerBound, maximum: ReservationChangeRules.nights.upperBound
        )),
    ], required: ["confirmation", "check_in"])

    static func refusal(_ refusal: ReservationChangeRefusal, confirmation: String, data: any BusinessData) -> ToolResult {
        switch refusal {
        case .notFound:
            return ToolResult(outcome: "not_found", fields: ["confirmation": .string(confirmation)])
        case .unavailable(let hotel, let checkIn, let checkOut):
            return ToolResult(
                outcome: "unavailable",
                fields: [
                    "confirmation": .string(confirmation), "hotel": .string(hotel),
                    "check_in": checkIn.json, "check_out": checkOut.json,
                ],
                sources: [data.source("reservations", confirmation)]
            )
        }
    }
}
