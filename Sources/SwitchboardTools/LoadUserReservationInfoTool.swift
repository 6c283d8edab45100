import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `load_user_reservation_info`: the caller's current and upcoming hotel stays.
public struct LoadUserReservationInfoTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "load_user_reservation_info",
            description: """
                Lists the caller's current and upcoming hotel reservations: confirmation code, hotel, city, \
                check-in and check-out dates, nights, room type and status. Takes no arguments; the caller is \
                already identified. Use it when the caller asks about "my hotel" without a confirmation code.
                """,
            parameters: JSONSchema.object()
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let record: CustomerRecord? = if let id = context.customer.id { try await data.customer(id: id) } else { nil }
        let name: JSONValue = (record?.name ?? context.customer.name).map(JSONValue.string) ?? .null
        guard let record else { return ToolResult(outcome: "not_found", fields: ["customer_name": name]) }
        let today = context.day
        let stays = try await data.reservations(customerID: record.id).filter { $0.status == .confirmed && $0.checkOut > today }
        guard !stays.isEmpty else {
            return ToolResult(outcome: "not_found", fields: ["customer_name": name], sources: [data.source("customers", record.id)])
        }
        let reservations = stays.map { stay -> JSONValue in
            .object([
                "confirmation": .string(stay.confirmation),
                "hotel": .string(stay.hotel.name),
                "city": .string(stay.hotel.city),
                "check_in": stay.checkIn.json,
                "check_out": stay.checkOut.json,
                "nights": .int(stay.nights),
                "room_type": .string(stay.roomType),
                "status": .string(stay.status.rawValue),
            ])
        }
        return ToolResult(
            outcome: "found",
            fields: ["customer_name": name, "count": .int(reservations.count), "reservations": .array(reservations)],
            sources: stays.map { data.source("reservations", $0.confirmation) }
        )
    }
}
