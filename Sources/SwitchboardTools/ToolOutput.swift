import RealtimeProtocol
import SwitchboardCore
import SwitchboardData

/// How business values appear in tool outputs: days as `yyyy-MM-dd`, money as `"75.00"`.
extension CalendarDate {
    var json: JSONValue { .string(iso) }
}

extension Money {
    var json: JSONValue { .string(decimalString) }
}

extension BusinessData {
    /// A source entry for a row: `{"source":"sqlite:bookings","id":"BKQ431"}`.
    func source(_ table: String, _ id: String) -> JSONValue {
        .object(["source": .string("\(sourceName):\(table)"), "id": .string(id)])
    }
}

extension Flight {
    /// The source id of a departure: `SB204 2025-11-27`.
    var sourceID: String { "\(number) \(date.iso)" }
}

extension ToolContext {
    /// The calendar day of `today`, in the hub's time zone.
    var day: CalendarDate { CalendarDate(today) }
}
