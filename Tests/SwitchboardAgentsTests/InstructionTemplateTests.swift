import Foundation
import SwitchboardCore
import Testing
@testable import SwitchboardAgents

/// The placeholders of an agent's instructions, filled in one pass for every session.
@Suite struct InstructionTemplateTests {
    @Test func knownPlaceholdersAreFilledEverywhereAndTheRestIsKept() {
        let template = "Hi {{customer_name}} ({{customer_id}}). {{customer_name}}, today is {{today}}. Keep {{unknown}}, {{ and {x}} and {{customer_name}"
        let filled = Persona.fill(template, ["customer_name": "Zoë Ångström", "customer_id": "C-1", "today": "2026-12-06"])
        #expect(filled == "Hi Zoë Ångström (C-1). Zoë Ångström, today is 2026-12-06. Keep {{unknown}}, {{ and {x}} and {{customer_name}")
    }

    @Test func aTemplateWithoutPlaceholdersIsReturnedAsIs() {
        #expect(Persona.fill("", ["today": "x"]) == "")
        #expect(Persona.fill("{", ["today": "x"]) == "{")
        #expect(Persona.fill("{{", ["today": "x"]) == "{{")
        #expect(Persona.fill("no placeholders, only text — ünïcode", ["today": "x"]) == "no placeholders, only text — ünïcode")
        #expect(Persona.fill("{{today}}", ["today": "x"]) == "x")
        #expect(Persona.fill("{{{today}}}", ["today": "x"]) == "{x}")
    }

    @Test func theDayIsTheLocalCalendarDate() {
        var parts = DateComponents()
        (parts.year, parts.month, parts.day, parts.hour) = (2027, 3, 9, 12)
        let date = Calendar.current.date(from: parts)!
        #expect(Persona.day(date) == "2027-03-09")
    }

    /// Random templates: the one-pass fill equals replacing each placeholder in turn.
    @Test func fillMatchesSuccessiveReplacement() {
        var state: UInt64 = 42
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let pieces = ["{{customer_name}}", "{{customer_id}}", "{{today}}", "{{other}}", "{", "}", "{{", "}}", "text ", "é", "\n"]
        let values = ["customer_name": "Ada", "customer_id": "C-9", "today": "2026-01-02"]
        for _ in 0..<500 {
            let template = (0..<Int(next() % 12)).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            var expected = template
            for (name, value) in values { expected = expected.replacingOccurrences(of: "{{\(name)}}", with: value) }
            #expect(Persona.fill(template, values) == expected, "\(template)")
        }
    }
}
