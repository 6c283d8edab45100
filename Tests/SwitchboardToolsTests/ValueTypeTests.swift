import Foundation
import SwitchboardData
import Testing

@Suite("Calendar dates and money")
struct ValueTypeTests {
    @Test("ISO dates round-trip and non-days are refused")
    func isoDates() {
        #expect(CalendarDate(iso: "2025-11-20")?.iso == "2025-11-20")
        #expect(CalendarDate(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(CalendarDate(iso: "2024-02-29") != nil)
        #expect(CalendarDate(iso: "2000-02-29") != nil)
        for text in ["2025-02-29", "1900-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "2025-1-01", "25-01-01",
                     "2025/01/01", "2025-01-01T00:00", "", "abcd-ef-gh", "0000-01-01"] {
            #expect(CalendarDate(iso: text) == nil, "\(text)")
        }
    }

    @Test("days add across months, years and leap days")
    func arithmetic() throws {
        let day = try #require(CalendarDate(iso: "2024-02-28"))
        #expect(day.adding(days: 1).iso == "2024-02-29")
        #expect(day.adding(days: 2).iso == "2024-03-01")
        #expect(day.adding(days: 308).iso == "2025-01-01")
        #expect(day.adding(days: -59).iso == "2023-12-31")
        #expect(day.adding(days: 366).days(since: day) == 366)
        #expect(day < day.adding(days: 1))
        for offset in stride(from: -719_162, through: 2_932_896, by: 997) { // 0001-01-01 … 9999-12-31
            let date = CalendarDate(daysSinceEpoch: offset)
            #expect(CalendarDate(iso: date.iso) == date, "\(offset)")
        }
    }

    @Test("a Date maps to its day in a time zone and back")
    func dates() throws {
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        let losAngeles = try #require(TimeZone(identifier: "America/Los_Angeles"))
        let instant = Date(timeIntervalSince1970: 1_763_600_000) // 2025-11-20 00:53 UTC
        #expect(CalendarDate(instant, in: tokyo).iso == "2025-11-20")
        #expect(CalendarDate(instant, in: losAngeles).iso == "2025-11-19")
        let day = try #require(CalendarDate(iso: "2025-03-09"))
        #expect(CalendarDate(day.date(in: losAngeles), in: losAngeles) == day)
    }

    @Test("money prints two decimals")
    func money() {
        #expect(Money(cents: 7500).decimalString == "75.00")
        #expect(Money(cents: 5).decimalString == "0.05")
        #expect(Money(cents: -550).decimalString == "-5.50")
        #expect((Money(cents: 28900) * 3 + Money(cents: 2500)).decimalString == "892.00")
        #expect(Money(cents: 100, currency: "GBP").description == "1.00 GBP")
    }
}
