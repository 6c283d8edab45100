import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `load_user_flight_info`: the caller's upcoming flight bookings.
public struct LoadUserFlightInfoTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "load_user_flight_info",
            description: """
                Lists the caller's upcoming flight bookings: confirmation code, flight number, date, origin, \
                destination, departure time, flight status and seat. Takes no arguments; the caller is already \
                identified. Use it when the caller asks about "my flight" without giving a flight number or \
                confirmation code.
                """,
            parameters: JSONSchema.object()
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let record: CustomerRecord? = if let id = context.customer.id { try await data.customer(id: id) } else { nil }
        let name: JSONValue = (record?.name ?? context.customer.name).map(JSONValue.string) ?? .null
        guard let record else { return ToolResult(outcome: "not_found", fields: ["customer_name": name]) }
        let today = context.day
        let upcoming = try await data.bookings(customerID: record.id).filter { $0.status == .confirmed && $0.flight.date >= today }
        guard !upcoming.isEmpty else {
            return ToolResult(outcome: "not_found", fields: ["customer_name": name], sources: [data.source("customers", record.id)])
        }
        let bookings = upcoming.map { booking -> JSONValue in
            .object([
                "confirmation": .string(booking.confirmation),
                "flight_number": .string(booking.flight.number),
                "date": booking.flight.date.json,
                "origin": .string(booking.flight.origin),
                "destination": .string(booking.flight.destination),
                "departure_time": .string(booking.flight.departureTime),
                "status": .string(booking.flight.status.rawValue),
                "seat": booking.seat.map(JSONValue.string) ?? .null,
            ])
        }
        return ToolResult(
            outcome: "found",
            fields: ["customer_name": name, "count": .int(bookings.count), "bookings": .array(bookings)],
            sources: upcoming.map { data.source("bookings", $0.confirmation) }
        )
    }
}
