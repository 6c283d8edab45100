import Foundation
import RealtimeProtocol
import SwitchboardData

/// The times of call records and webhook events: whole milliseconds since the Unix epoch, written
/// as RFC 3339 in UTC with milliseconds (`2026-12-07T06:34:32.123Z`).
///
/// Every time kept by a store or written to JSON goes through `milliseconds(_:)`: rounded to the
/// nearest millisecond and clamped to the years 0001…9999 that RFC 3339 can write (a date that is
/// not a number counts as the epoch). A `Date` made by `date(milliseconds:)` is the one value every
/// store and decoder gives back for that millisecond, so records compare equal after a round trip.
public enum CallTime {
    /// 0001-01-01T00:00:00.000Z.
    public static let earliestMilliseconds = -62_135_596_800_000
    /// 9999-12-31T23:59:59.999Z.
    public static let latestMilliseconds = 253_402_300_799_999

    /// `date` as whole milliseconds since 1970, rounded and clamped (see the type).
    public static func milliseconds(_ date: Date) -> Int {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard !value.isNaN else { return 0 }
        if value <= Double(earliestMilliseconds) { return earliestMilliseconds }
        if value >= Double(latestMilliseconds) { return latestMilliseconds }
        return Int(value)
    }

    /// The date of `milliseconds` since 1970 (clamped like `milliseconds(_:)`).
    public static func date(milliseconds: Int) -> Date {
        let clamped = min(max(milliseconds, earliestMilliseconds), latestMilliseconds)
        return Date(timeIntervalSince1970: Double(clamped) / 1000)
    }

    /// `date` rounded to the millisecond, as stores keep it.
    public static func rounded(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    /// `2026-12-07T06:34:32.123Z`.
    public static func format(_ date: Date) -> String {
        format(milliseconds: milliseconds(date))
    }

    /// `milliseconds` since 1970 as RFC 3339 UTC with milliseconds.
    public static func format(milliseconds: Int) -> String {
        let clamped = min(max(milliseconds, earliestMilliseconds), latestMilliseconds)
        let (days, inDay) = floorDivision(clamped, 86_400_000)
        let (year, month, day) = CalendarDate(daysSinceEpoch: days).components
        let hour = inDay / 3_600_000, minute = inDay / 60_000 % 60, second = inDay / 1000 % 60, milli = inDay % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(milli, 3))Z"
    }

    /// Reads an RFC 3339 time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction (digits past the
    /// third are dropped), then `Z` or an offset `±HH:MM`. `nil` for anything else, for a date
    /// that does not exist (`02-30`), and for a time outside the years 0001…9999.
    public static func parse(_ text: String) -> Date? {
        parseMilliseconds(text).map { date(milliseconds: $0) }
    }

    /// Like `parse`, as milliseconds since 1970.
    public static func parseMilliseconds(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 64 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7), bytes[7] == UInt8(ascii: "-"),
              let day = number(8..<10), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"), let minute = number(14..<16),
              bytes[16] == UInt8(ascii: ":"), let second = number(17..<19)
        else { return nil }
        guard let date = CalendarDate(year: year, month: month, day: day), hour < 24, minute < 60, second < 60 else { return nil }
        var index = 19
        var milli = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if index - start < 3 { milli = milli * 10 + Int(bytes[index] - 0x30) }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(index - start, 3)..<3 { milli *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard bytes.count == index + 6, let hours = number(index + 1..<index + 3), bytes[index + 3] == UInt8(ascii: ":"),
                  let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
            else { return nil }
            offsetMinutes = sign * (hours * 60 + minutes)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = date.daysSinceEpoch
        let value = ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + milli
        guard value >= earliestMilliseconds, value <= latestMilliseconds else { return nil }
        return value
    }

    // MARK: The proleptic Gregorian calendar (Howard Hinnant's algorithms)

    private static func floorDivision(_ value: Int, _ divisor: Int) -> (quotient: Int, remainder: Int) {
        let quotient = value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension CallRecord {
    /// The record as a store gives it back and as its JSON holds it: every time rounded to the
    /// millisecond, and a `recording`, `analysis` or `cost` of JSON `null` made `nil`. Stores
    /// normalise at their boundary (`save` keeps this form); a record read from a store or
    /// decoded from JSON is already in it.
    public func withMillisecondTimes() -> CallRecord {
        var copy = self
        copy.startedAt = CallTime.rounded(startedAt)
        copy.answeredAt = answeredAt.map(CallTime.rounded)
        copy.endedAt = endedAt.map(CallTime.rounded)
        for index in copy.agents.indices { copy.agents[index].at = CallTime.rounded(copy.agents[index].at) }
        for index in copy.transcript.indices { copy.transcript[index].at = CallTime.rounded(copy.transcript[index].at) }
        for index in copy.toolCalls.indices {
            copy.toolCalls[index].startedAt = CallTime.rounded(copy.toolCalls[index].startedAt)
            copy.toolCalls[index].endedAt = copy.toolCalls[index].endedAt.map(CallTime.rounded)
        }
        for index in copy.dtmf.indices { copy.dtmf[index].at = CallTime.rounded(copy.dtmf[index].at) }
        if copy.recording == .null { copy.recording = nil }
        if copy.analysis == .null { copy.analysis = nil }
        if copy.cost == .null { copy.cost = nil }
        return copy
    }
}
