import Foundation
import SwitchboardCalls
import Testing

@Suite("Call times")
struct CallTimeTests {
    @Test func formatsRFC3339WithMilliseconds() {
        #expect(CallTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: 1_796_000_000.123)) == "2026-11-30T00:53:20.123Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: 0.0006)) == "1970-01-01T00:00:00.001Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: 0.0004)) == "1970-01-01T00:00:00.000Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: 1e15)) == "9999-12-31T23:59:59.999Z")
        #expect(CallTime.format(Date.distantPast) == "0001-01-01T00:00:00.000Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000Z")
        #expect(CallTime.format(Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59.999Z")
    }

    @Test func parsesWhatItFormatsAndOffsets() {
        #expect(CallTime.parseMilliseconds("2026-11-30T00:53:20.123Z") == 1_796_000_000_123)
        #expect(CallTime.parseMilliseconds("2026-11-30T00:53:20Z") == 1_796_000_000_000)
        #expect(CallTime.parseMilliseconds("2026-11-30T00:53:20.1Z") == 1_796_000_000_100)
        #expect(CallTime.parseMilliseconds("2026-11-30T00:53:20.123999Z") == 1_796_000_000_123)
        #expect(CallTime.parseMilliseconds("2026-11-30T01:53:20.123+01:00") == 1_796_000_000_123)
        #expect(CallTime.parseMilliseconds("2026-11-29T19:23:20.123-05:30") == 1_796_000_000_123)
        #expect(CallTime.parseMilliseconds("0001-01-01T00:00:00.000Z") == CallTime.earliestMilliseconds)
        #expect(CallTime.parseMilliseconds("9999-12-31T23:59:59.999Z") == CallTime.latestMilliseconds)
    }

    @Test(arguments: [
        "", "2026-11-30", "2026-11-30T00:53:20", "2026-11-30T00:53:20.Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T00:60:00Z", "2026-11-30T00:00:60Z", "0000-12-31T00:00:00Z",
        "2026-11-30T00:53:20+0100", "2026-11-30T00:53:20.123ZZ", "２026-11-30T00:53:20Z", "2026-11-30X00:53:20Z",
        "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59.999-00:01", "+2026-11-30T00:53:20Z",
    ])
    func refuses(_ text: String) {
        #expect(CallTime.parse(text) == nil)
    }

    @Test func roundTripsEveryMillisecondItIsGiven() async {
        var random = SeededRandom(seed: 7)
        for round in 0..<5000 {
            if round % 500 == 0 { await Task.yield() }
            let milliseconds = Int.random(in: CallTime.earliestMilliseconds...CallTime.latestMilliseconds, using: &random)
            let date = CallTime.date(milliseconds: milliseconds)
            #expect(CallTime.milliseconds(date) == milliseconds)
            #expect(CallTime.parseMilliseconds(CallTime.format(milliseconds: milliseconds)) == milliseconds)
            #expect(CallTime.parse(CallTime.format(date)) == date)
        }
    }
}
