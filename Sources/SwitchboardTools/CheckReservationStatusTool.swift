import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `check_reservation_status`: one of the caller's hotel reservations.
public struct CheckReservationStatusTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "check_reservation_status",
            description: """
                Looks up one of the caller's hotel reservations by confirmation code: hotel, city, address, \
                check-in and check-out dates, nights, room type and status.
                """,
            parameters: JSONSchema.object([
                ("confirmation", ReservationChangeParameters.confirmation),
            ], required: ["confirmation"])
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let confirmation = try arguments.string("confirmation")
        let stay: HotelReservation? = if let id = context.customer.id {
            try await data.reservation(confirmation: confirmation, customerID: id)
        } else {
            nil
        }
        guard let stay else { return ToolResult(outcome: "not_found", fields: ["confirmation": .string(confirmation)]) }
        return ToolResult(
            outcome: "found",
            fields: [
                "confirmation": .string(stay.confirmation),
                "hotel": .string(stay.hotel.name),
                "city": .string(stay.hotel.city),
                "address": .string(stay.hotel.address),
                "check_in": stay.checkIn.json,
                "check_out": stay.checkOut.json,
                "nights": .int(stay.nights),
                "room_type": .string(stay.roomType),
                "status": .string(stay.status.rawValue),
            ],
            sources: [data.source("reservations", stay.confirmation)]
        )
    }
}
