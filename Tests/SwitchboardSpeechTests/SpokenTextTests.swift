import Testing
@testable import SwitchboardSpeech

@Suite struct SpokenTextTests {
    private let text = SpeechText(codes: [.flightNumber, .bookingCode, .hotelConfirmation])

    @Test func written_text_becomes_spoken_words_and_slots() {
        #expect(text.pieces("What's the status of flight SB204?") == [
            .word("what's"), .word("the"), .word("status"), .word("of"), .word("flight"), .slot("flight_number"),
        ])
        #expect(text.words("Carry-on bags, check-in at 8:15 for $75.") == [
            "carry", "on", "bags", "check", "in", "at", "eight", "fifteen", "for", "seventy", "five", "dollars",
        ])
        #expect(text.words("the 27th of March 2026") == ["the", "twenty", "seventh", "of", "march", "twenty", "twenty", "six"])
        #expect(text.words("Gate B12 at JFK") == ["gate", "b.", "one", "two", "at", "j.", "f.", "k."])
        #expect(text.pieces("move {confirmation} to {date}.") == [.word("move"), .slot("confirmation"), .word("to"), .slot("date")])
        #expect(SpeechText(codes: [.flightNumber], spelledCodes: true).words("SB204") == ["s.", "b.", "two", "oh", "four"])
    }

    @Test func numbers_in_words() {
        #expect(SpokenWords.cardinal(204) == ["two", "hundred", "four"])
        #expect(SpokenWords.cardinal(31) == ["thirty", "one"])
        #expect(SpokenWords.ordinal(23) == ["twenty", "third"])
        #expect(SpokenWords.ordinal(12) == ["twelfth"])
        #expect(SpokenWords.year(2005) == ["two", "thousand", "five"])
        #expect(SpokenWords.time(hour: 8, minute: 5) == ["eight", "oh", "five"])
    }

    @Test func codes_are_written_back() throws {
        let corpus = try SpeechCorpus(domain: TestDomain.domain(sentences: ["Which hotel am I staying at in London?"]))
        let writer = TranscriptWriter(corpus: corpus)
        #expect(writer.text("is flight s. b. two oh four on time".split(separator: " ").map(String.init)) == "Is flight SB204 on time")
        #expect(writer.text("my code is b. k. q. four three one".split(separator: " ").map(String.init)) == "My code is BKQ431")
        #expect(writer.text("it's h. two zero four five one eight".split(separator: " ").map(String.init)) == "It's H204518")
        #expect(writer.text("i fly from j. f. k. to london".split(separator: " ").map(String.init)) == "I fly from JFK to London")
        #expect(writer.text("s. b. two oh".split(separator: " ").map(String.init)) == "SB two oh", "too short for a flight number")
        #expect(writer.text("next friday".split(separator: " ").map(String.init)) == "Next Friday")
        #expect(writer.codes(in: "x. b. k. q. four three one and s. b. one one eight".split(separator: " ").map(String.init)) == ["BKQ431", "SB118"])
    }

    @Test func code_patterns() {
        #expect(SpokenCode.flightNumber.matches(written: "SB204"))
        #expect(!SpokenCode.flightNumber.matches(written: "SB2045"))
        #expect(SpokenCode.bookingCode.matches(written: "bkq431"))
        #expect(!SpokenCode.bookingCode.matches(written: "BK4431"))
        #expect(SpokenCode.hotelConfirmation.matches(written: "H204518"))
        #expect(SpokenCode.spoken("H204518", zero: "zero") == ["h.", "two", "zero", "four", "five", "one", "eight"])
    }

    @Test func synthesis_spells_codes_and_keeps_words() {
        #expect(SpokenText.spellingCodes(in: "Flight SB204 is on time.") == "Flight S B 2 0 4 is on time.")
        #expect(SpokenText.spellingCodes(in: "Your code is BKQ431, seat 14C.") == "Your code is B K Q 4 3 1, seat 1 4 C.")
        #expect(SpokenText.spellingCodes(in: "It costs $75 at 8:15 on the 27th.") == "It costs $75 at 8:15 on the 27th.")
    }

    @Test func sentences_for_streaming() {
        #expect(SpokenText.sentences(in: "Hello. Flight SB204 costs $75.50! Is that OK? Yes") == [
            "Hello.", "Flight SB204 costs $75.50!", "Is that OK?", "Yes",
        ])
        #expect(SpokenText.sentences(in: "Mr. Morgan is here.\nThanks") == ["Mr. Morgan is here.", "Thanks"])
        let long = "I can move booking BKQ431 from Friday to flight SB204 on Saturday, departing at 8:15, the change fee is $75, the fare difference is $20, so the total is $95. Shall I?"
        let pieces = SpokenText.sentences(in: long, maximumLength: 60)
        #expect(pieces.count > 2)
        #expect(pieces.allSatisfy { $0.count <= 80 })
        #expect(pieces.joined(separator: " ") == long)
    }

    @Test func voices_map_deterministically() {
        #expect(VoiceCatalog.fliteVoice(for: nil) == "kal16")
        #expect(VoiceCatalog.fliteVoice(for: "shimmer") == "slt")
        #expect(VoiceCatalog.fliteVoice(for: "Verse") == "kal16")
        #expect(VoiceCatalog.fliteVoice(for: "alloy") == "rms")
        #expect(VoiceCatalog.fliteVoice(for: "awb") == "awb")
        let unknown = VoiceCatalog.fliteVoice(for: "some-new-voice")
        #expect(unknown == VoiceCatalog.fliteVoice(for: "some-new-voice"))
        #expect(["kal16", "slt", "rms", "awb"].contains(unknown))
        let spread = Set(["a", "b", "c", "d", "e", "f", "g", "h"].map { VoiceCatalog.fliteVoice(for: "voice-\($0)") })
        #expect(spread.count > 1)
    }
}

/// The travel pack's codes, as its pack.yaml declares them.
extension SpokenCode {
    static let flightNumber = SpokenCode(name: "flight_number", pattern: "SB###", examples: ["SB204", "SB205", "SB311"])
    static let bookingCode = SpokenCode(name: "confirmation", pattern: "@@@###", examples: ["BKQ431", "BKR518"])
    static let hotelConfirmation = SpokenCode(name: "hotel_confirmation", pattern: "H######", examples: ["H204518", "H311702"])
}
