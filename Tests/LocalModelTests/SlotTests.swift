import LocalModel
import RealtimeProtocol
import Testing

/// Wednesday, November 18, 2026.
let wednesday = CalendarDay(year: 2026, month: 11, day: 18)!

@Suite("calendar days")
struct CalendarDayTests {
    @Test("weekdays, arithmetic across months and years, ISO text")
    func arithmetic() throws {
        #expect(wednesday.weekday == 3)
        #expect(wednesday.adding(days: 2).weekday == 5)
        #expect(wednesday.adding(days: 13).iso == "2026-12-01")
        #expect(wednesday.adding(days: 44).iso == "2027-01-01")
        #expect(wednesday.adding(days: -18).iso == "2026-10-31")
        #expect(CalendarDay(year: 2028, month: 2, day: 28)!.adding(days: 1).iso == "2028-02-29")
        #expect(CalendarDay(year: 2026, month: 2, day: 29) == nil)
        #expect(CalendarDay(iso: "2026-11-27")?.spoken == "Friday, November 27")
        #expect(CalendarDay(iso: "2026-13-01") == nil)
        #expect(CalendarDay(iso: "27 November") == nil)
        #expect(wednesday.days(until: CalendarDay(iso: "2026-11-27")!) == 9)
    }
}

@Suite("slot extraction")
struct SlotTests {
    let slots = SlotExtractor(today: wednesday)

    @Test("date phrases resolve against today", arguments: [
        ("today please", "2026-11-18"),
        ("tomorrow", "2026-11-19"),
        ("the day after tomorrow", "2026-11-20"),
        ("on Friday", "2026-11-20"),
        ("next Friday", "2026-11-20"),
        ("this Saturday", "2026-11-21"),
        ("this Wednesday", "2026-11-18"),
        ("Wednesday", "2026-11-25"),
        ("on the 27th", "2026-11-27"),
        ("the twenty seventh", "2026-11-27"),
        ("on the 10th", "2026-12-10"),
        ("November 27", "2026-11-27"),
        ("27 November", "2026-11-27"),
        ("Nov 27th.", "2026-11-27"),
        ("the 27th of November", "2026-11-27"),
        ("November 2", "2027-11-02"),
        ("December 31st 2027", "2027-12-31"),
        ("2026-11-27", "2026-11-27"),
        ("in 3 days", "2026-11-21"),
        ("in three days", "2026-11-21"),
        ("in a week", "2026-11-25"),
        ("in two weeks", "2026-12-02"),
    ])
    func dates(_ phrase: String, _ expected: String) {
        #expect(slots.dates(in: Utterance("Can I fly \(phrase)?")).map(\.iso) == [expected])
    }

    @Test("no date where none was said", arguments: [
        "I have 3 bags", "flight SB204", "February 30", "may I change it", "next week", "wait a second", "for 3 nights",
    ])
    func noDate(_ text: String) {
        #expect(slots.dates(in: Utterance(text)).isEmpty)
    }

    @Test("a date parameter takes the last date said")
    func lastDate() {
        let tool = FunctionTool(name: "t", parameters: [.init(name: "new_date", schema: ["type": .string("string"), "format": .string("date")], isRequired: true)])
        #expect(slots.slots(for: tool, in: Utterance("move it from Friday to Sunday")) == ["new_date": .string("2026-11-22")])
    }

    @Test("patterns take normalised words", arguments: [
        ("^[A-Z]{2}[0-9]{3,4}$", "Is SB204 on time?", "SB204"),
        ("^[A-Z]{2}[0-9]{3,4}$", "is sb 204 delayed", "SB204"),
        ("^[A-Z]{2}[0-9]{3,4}$", "flight S B 2 0 4 please", "SB204"),
        ("^[A-Z]{2}[0-9]{3,4}$", "flight SB-204.", "SB204"),
        ("^[A-Z]{3}[0-9]{3}$", "my confirmation is bkq431", "BKQ431"),
        ("^[A-Z]{3}[0-9]{3}$", "it's B K Q four three one", "BKQ431"),
        ("^H[0-9]{6}$", "reservation H204518, thanks", "H204518"),
    ])
    func patterns(_ pattern: String, _ text: String, _ expected: String) {
        #expect(slots.token(matching: pattern, in: Utterance(text)) == expected)
    }

    @Test("a parameter named after a vocabulary takes the longest value said, as the data writes it", arguments: [
        ("Is Doctor Nguyen free tomorrow?", "Doctor Nguyen"),
        ("can I see doctor nguyen", "Doctor Nguyen"),
        ("book me with Doctor Anne Nguyen please", "Doctor Anne Nguyen"),
        ("is the doctor free", nil),
        ("Nguyen", nil),
    ] as [(String, String?)])
    func vocabulary(_ text: String, _ expected: String?) {
        let extractor = SlotExtractor(today: wednesday, vocabularies: ["dentist": ["Doctor Patel", "Doctor Nguyen", "Doctor Anne Nguyen"]])
        let tool = FunctionTool(name: "t", parameters: [
            .init(name: "dentist", schema: ["type": .string("string")], isRequired: false),
            .init(name: "doctor", schema: ["type": .string("string")], isRequired: false),
        ])
        #expect(extractor.slots(for: tool, in: Utterance(text)) == (expected.map { ["dentist": .string($0)] } ?? [:]))
    }

    @Test("a pattern matches nothing when no word fits")
    func noPattern() {
        #expect(slots.token(matching: "^[A-Z]{3}[0-9]{3}$", in: Utterance("I want to change my flight")) == nil)
        #expect(slots.token(matching: "^[A-Z]{3}[0-9]{3}$", in: Utterance("flight SB204")) == nil)
    }

    @Test("integers next to the parameter's name", arguments: [
        ("for 3 nights", 3), ("for three nights", 3), ("just one night", 1), ("twenty one nights", 21), ("nights: 4", 4),
    ])
    func integers(_ text: String, _ expected: Int) {
        #expect(slots.integer(named: "nights", in: Utterance(text)) == expected)
    }

    @Test("no integer when the number belongs to something else, or is out of range")
    func noInteger() {
        #expect(slots.integer(named: "nights", in: Utterance("2 guests on the 3rd")) == nil)
        let nights = FunctionTool.Parameter(name: "nights", schema: ["type": .string("integer"), "minimum": .int(1), "maximum": .int(30)], isRequired: false)
        #expect(slots.value(for: nights, in: Utterance("45 nights")) == nil)
        #expect(slots.value(for: nights, in: Utterance("5 nights")) == .int(5))
    }

    @Test("a tool's schema decides what is taken")
    func schemaDriven() throws {
        let tool = try #require(FunctionTool(json: try JSONParser.parse("""
            {"type":"function","name":"check_change_reservation","parameters":{"type":"object","properties":{
              "confirmation":{"type":"string","pattern":"^H[0-9]{6}$"},
              "check_in":{"type":"string","format":"date"},
              "nights":{"type":"integer","minimum":1,"maximum":30},
              "room":{"type":"string","enum":["single","double_room"]},
              "note":{"type":"string"}},"required":["confirmation","check_in"]}}
            """)))
        #expect(tool.requiredParameters.map(\.name) == ["confirmation", "check_in"])
        let found = slots.slots(for: tool, in: Utterance("Move H204518 to Friday for 2 nights in a double room"))
        #expect(found == ["confirmation": .string("H204518"), "check_in": .string("2026-11-20"), "nights": .int(2), "room": .string("double_room")])
        #expect(found.keys == ["confirmation", "check_in", "nights", "room"])
    }

    @Test("free text takes the whole utterance")
    func freeText() {
        let tool = FunctionTool(name: "search", parameters: [.init(name: "query", schema: ["type": .string("string")], isRequired: true)])
        #expect(slots.slots(for: tool, in: Utterance("  How many bags can I bring? ")) == ["query": .string("How many bags can I bring?")])
        #expect(slots.slots(for: tool, in: Utterance("   ")).isEmpty)
    }

    @Test("yes and no", arguments: [
        ("yes", Agreement.yes), ("Yeah, sure.", .yes), ("please do", .yes), ("go ahead", .yes), ("Confirm it", .yes),
        ("Sure.", .yes), ("ok", .yes), ("No problem, go ahead.", .yes),
        ("no", .no), ("No thanks", .no), ("don't", .no), ("Cancel that.", .no), ("never mind", .no), ("yes… no, don't", .no),
    ])
    func agreement(_ text: String, _ expected: Agreement) {
        #expect(Utterance(text).agreement == expected)
    }

    @Test("neither yes nor no", arguments: [
        "what's the fee", "maybe later", "Friday", "nobody told me", "I'm not sure", "I don't know", "ok, what's the fee?",
    ])
    func noAgreement(_ text: String) {
        #expect(Utterance(text).agreement == nil)
    }

    @Test("triggers match whole words, the last one possibly inflected", arguments: [
        ("change", "I changed my mind about the date", true),
        ("change", "changing my flight", true),
        ("delay", "is it delayed", true),
        ("on time", "Is SB204 on time?", true),
        ("carry-on", "how big can my carry on be", true),
        ("gate", "how do I navigate the airport", false),
        ("late", "I want a later flight", false),
        ("fee", "I feel fine", false),
        ("on time", "time on the plane", false),
    ])
    func triggers(_ trigger: String, _ text: String, _ expected: Bool) {
        #expect(Utterance(text).contains(phrase: trigger) == expected)
    }
}
