import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// `check_flight_status`: one departure's schedule, status, gate and delay.
public struct CheckFlightStatusTool: Tool {
    public let data: any BusinessData

    public init(data: any BusinessData) {
        self.data = data
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "check_flight_status",
            description: """
                Looks up a flight departure: origin, destination, scheduled departure and arrival times, status \
                (on time, delayed or cancelled), gate and delay in minutes. Give the date to check a specific day; \
                without it, the next departure from today on is checked.
                """,
            parameters: JSONSchema.object([
                ("flight_number", JSONSchema.string(
                    "The flight number: two capital letters and three or four digits, for example SB204.",
                    pattern: IdentifierPattern.flightNumber
                )),
                ("date", JSONSchema.date("The departure date, yyyy-MM-dd. Leave it out for the next departure.")),
            ], required: ["flight_number"])
        )
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        let number = try arguments.string("flight_number")
        let date = try arguments.optionalDate("date")
        let flight = if let date {
            try await data.flight(number: number, date: date)
        } else {
            try await data.nextDeparture(number: number, onOrAfter: context.day)
        }
        guard let flight else {
            var fields: JSONObject = ["flight_number": .string(number)]
            if let date { fields["date"] = date.json }
            return ToolResult(outcome: "not_found", fields: fields)
        }
        return ToolResult(
            outcome: "found",
            fields: [
                "flight_number": .string(flight.number),
                "date": flight.date.json,
                "origin": .string(flight.origin),
                "destination": .string(flight.destination),
                "departure_time": .string(flight.departureTime),
                "arrival_time": .string(flight.arrivalTime),
                "status": .string(flight.status.rawValue),
                "gate": .string(flight.gate),
                "delay_minutes": .int(flight.delayMinutes),
            ],
            sources: [data.source("flights", flight.sourceID)]
        )
    }
}
