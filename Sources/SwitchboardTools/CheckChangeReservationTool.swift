import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `check_change_reservation`: whether a stay could move to other dates, and what it costs.
/// Changes nothing.
public struct CheckChangeReservationTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "check_change_reservation",
            description: """
                Checks whether one of the caller's hotel reservations can move to a new check-in date (and \
                optionally a new number of nights) in the same room type, and quotes the nightly rate, change \
                fee and total for the new stay. Changes nothing: tell the caller the price and ask them to \
                confirm, then call confirm_reservation_change with the same arguments.
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
        let quote = try await data.quoteReservationChange(
            confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: context.day
        )
        switch quote {
        case .refused(let refusal):
            return ReservationChangeParameters.refusal(refusal, confirmation: confirmation, data: data)
        case .available(let offer):
            return ToolResult(
                outcome: "available",
                fields: [
                    "confirmation": .string(confirmation),
                    "hotel": .string(offer.reservation.hotel.name),
                    "old_check_in": offer.reservation.checkIn.json,
                    "old_check_out": offer.reservation.checkOut.json,
                    "check_in": offer.checkIn.json,
                    "check_out": offer.checkOut.json,
                    "nights": .int(offer.nights),
                    "nightly_rate": offer.nightlyRate.json,
                    "change_fee": offer.changeFee.json,
                    "total": offer.total.json,
                    "currency": .string(offer.total.currency),
                    "rooms_available": .int(offer.roomsAvailable),
                ],
                sources: [data.source("reservations", confirmation)]
            )
        }
    }
}
