import LocalModel
import RealtimeProtocol
import Testing

@Suite("answer templates")
struct AnswerTemplateTests {
    let status: JSONObject = [
        "outcome": .string("found"), "flight_number": .string("SB204"), "date": .string("2026-11-27"),
        "origin": .string("SFO"), "destination": .string("JFK"), "delay_minutes": .int(0), "gate": .null,
        "aircraft": .object(["type": .string("A321")]),
    ]

    @Test("fields, nested fields and the date filter")
    func fields() {
        let text = AnswerTemplate.render(
            "Flight {{flight_number}} from {{ origin }} to {{destination}} on {{date | date}} ({{aircraft.type}}), {{delay_minutes}} minutes late.",
            with: status)
        #expect(text == "Flight SB204 from SFO to JFK on Friday, November 27 (A321), 0 minutes late.")
    }

    @Test("a missing or null field means no answer")
    func missing() {
        #expect(AnswerTemplate.render("Gate {{gate}}.", with: status) == nil)
        #expect(AnswerTemplate.render("Seat {{seat}}.", with: status) == nil)
        #expect(AnswerTemplate.render("Type {{aircraft.engine}}.", with: status) == nil)
        #expect(AnswerTemplate.render("On {{origin | date}}.", with: status) == nil)
    }

    @Test("sections repeat per element, joined as spoken lists")
    func sections() throws {
        func bookings(_ count: Int) -> JSONObject {
            let all: [JSONValue] = [
                .object(["confirmation": .string("BKQ431"), "flight_number": .string("SB204"), "date": .string("2026-11-23")]),
                .object(["confirmation": .string("BKR518"), "flight_number": .string("SB311"), "date": .string("2026-11-30")]),
                .object(["confirmation": .string("BKZ900"), "flight_number": .string("SB999"), "date": .string("2026-12-01")]),
            ]
            return ["customer_name": .string("Alex"), "bookings": .array(Array(all.prefix(count)))]
        }
        let template = try AnswerTemplate("{{customer_name}}, you have {{#bookings}}{{flight_number}} on {{date | date}} ({{confirmation}}){{/bookings}}.")
        #expect(template.render(bookings(1)) == "Alex, you have SB204 on Monday, November 23 (BKQ431).")
        #expect(template.render(bookings(2)) == "Alex, you have SB204 on Monday, November 23 (BKQ431) and SB311 on Monday, November 30 (BKR518).")
        #expect(template.render(bookings(3))?.contains("(BKQ431), SB311 on Monday, November 30 (BKR518) and SB999") == true)
        #expect(template.render(["customer_name": .string("Alex")]) == nil)
        // Inside a section the output's own fields are still in reach.
        #expect(AnswerTemplate.render("{{#bookings}}{{customer_name}}: {{confirmation}}{{/bookings}}", with: bookings(1)) == "Alex: BKQ431")
        #expect(AnswerTemplate.render("First: {{bookings.0.confirmation}}", with: bookings(2)) == "First: BKQ431")
    }

    @Test("a list of plain values is spoken as a list")
    func plainList() {
        let output: JSONObject = ["cities": .array([.string("Paris"), .string("Rome"), .string("Oslo")])]
        #expect(AnswerTemplate.render("We fly to {{cities}}.", with: output) == "We fly to Paris, Rome and Oslo.")
    }

    @Test("malformed templates are refused", arguments: [
        "Hello {{name", "{{#list}}open", "{{/list}}", "{{#a}}x{{/b}}", "{{ }}", "{{date | shout}}",
    ])
    func malformed(_ text: String) {
        #expect(throws: AnswerTemplate.Invalid.self) { try AnswerTemplate(text) }
        #expect(AnswerTemplate.render(text, with: ["name": .string("x"), "date": .string("2026-11-27")]) == nil)
    }
}
