import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `confirm_reservation_change`: moves a stay to other dates, in one transaction that checks
/// availability again.
public struct ConfirmReservationChangeTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "confirm_reservation_change",
            description: """
                Moves one of the caller's hotel reservations to the new check-in date (and number of nights) \
                and charges the change fee. Only call it after check_change_reservation was available and the \
                caller clearly agreed to the price. The confirmation code stays the same.
                """,
            parameters: ReservationChangeParameters.schema
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let confirmation = try arguments.string("confirmation")
        let checkIn = try arguments.date("check_in")
        let nights = try arguments.optionalInteger("nights")
        guard let customerID = context.customer.id else {
            return ReservationChangeParameters.refusal(.notFound, confirmation: confirmation, data: data)
        }
        let result = try await data.changeReservation(
            confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: context.day
        )
        switch result {
        case .refused(let refusal):
            return ReservationChangeParameters.refusal(refusal, confirmation: confirmation, data: data)
        case .confirmed(let receipt):
            let stay = receipt.reservation
            return ToolResult(
                outcome: "confirmed",
                fields: [
                    "confirmation": .string(stay.confirmation),
                    "hotel": .string(stay.hotel.name),
                    "check_in": stay.checkIn.json,
                    "check_out": stay.checkOut.json,
                    "nights": .int(stay.nights),
                    "total": receipt.total.json,
                    "currency": .string(receipt.total.currency),
                ],
                sources: [data.source("reservations", stay.confirmation)]
            )
        }
    }
}
