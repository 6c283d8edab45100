import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `check_change_flight`: whether a booking could move to another date, and what it costs.
/// Changes nothing.
public struct CheckChangeFlightTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "check_change_flight",
            description: """
                Checks whether one of the caller's flight bookings can move to another date on the same flight \
                number, and quotes the change fee, fare difference and total. Changes nothing: tell the caller \
                the price and ask them to confirm, then call confirm_flight_change with the same arguments.
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
        let quote = try await data.quoteFlightChange(confirmation: confirmation, customerID: customerID, newDate: newDate, today: context.day)
        switch quote {
        case .refused(let refusal):
            return FlightChangeParameters.refusal(refusal, confirmation: confirmation, newDate: newDate, data: data)
        case .available(let offer):
            return ToolResult(
                outcome: "available",
                fields: [
                    "confirmation": .string(confirmation),
                    "flight_number": .string(offer.newFlight.number),
                    "old_date": offer.booking.flight.date.json,
                    "new_date": offer.newFlight.date.json,
                    "departure_time": .string(offer.newFlight.departureTime),
                    "change_fee": offer.changeFee.json,
                    "fare_difference": offer.fareDifference.json,
                    "total": offer.total.json,
                    "currency": .string(offer.total.currency),
                    "seats_available": .int(offer.newFlight.seatsAvailable),
                ],
                sources: [data.source("bookings", confirmation), data.source("flights", offer.newFlight.sourceID)]
            )
        }
    }
}
