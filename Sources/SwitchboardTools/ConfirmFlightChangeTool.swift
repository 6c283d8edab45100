import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `confirm_flight_change`: moves a booking to another date, in one transaction that checks
/// availability again.
public struct ConfirmFlightChangeTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "confirm_flight_change",
            description: """
                Moves one of the caller's flight bookings to another date on the same flight number and charges \
                the quoted total. Only call it after check_change_flight was available and the caller clearly \
                agreed to the price. The old booking is cancelled and a new confirmation code is issued.
                """,
            parameters: FlightChangeParameters.schema
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let confirmation = try arguments.string("confirmation")
        let newDate = try arguments.date("new_date")
        guard let customerID = context.customer.id else {
            return FlightChangeParameters.refusal(.notFound, confirmation: confirmation, newDate: newDate, data: data)
        }
        let result = try await data.changeFlight(confirmation: confirmation, customerID: customerID, newDate: newDate, today: context.day)
        switch result {
        case .refused(let refusal):
            return FlightChangeParameters.refusal(refusal, confirmation: confirmation, newDate: newDate, data: data)
        case .confirmed(let receipt):
            let flight = receipt.newBooking.flight
            return ToolResult(
                outcome: "confirmed",
                fields: [
                    "old_confirmation": .string(receipt.oldBooking.confirmation),
                    "new_confirmation": .string(receipt.newBooking.confirmation),
                    "flight_number": .string(flight.number),
                    "new_date": flight.date.json,
                    "departure_time": .string(flight.departureTime),
                    "total": receipt.total.json,
                    "currency": .string(receipt.total.currency),
                ],
                sources: [
                    data.source("bookings", receipt.oldBooking.confirmation),
                    data.source("bookings", receipt.newBooking.confirmation),
                ]
            )
        }
    }
}
