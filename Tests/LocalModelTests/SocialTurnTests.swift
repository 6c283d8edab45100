import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// Greetings, thanks, goodbyes and questions about the call itself get a natural answer and run
/// no tool; anything with a request in it is a request.
@Suite("the local model answers small talk")
struct SocialTurnTests {
    @Test("each social act gets its own answer, and no tool runs", arguments: [
        ("Good afternoon!", "Flight desk here."),
        ("Great, thank you.", "You're welcome. Is there anything else I can help with?"),
        ("Thanks so much, that's all I needed.", "You're welcome. Is there anything else I can help with?"),
        ("OK thanks, bye now", "Thank you for calling. Goodbye!"),
        ("Hello? Can you hear me?", "Yes, I can hear you. How can I help?"),
        ("Are you still there?", "Yes, I can hear you. How can I help?"),
        ("Sorry, who am I speaking with?", "You're talking to the automated flight assistant. I can help with flight status and changing a flight."),
        ("Wait, am I talking to a real person?", "I'm an automated assistant, not a person. I can help with flight status and changing a flight."),
        ("Hi, how are you doing today?", "I'm well, thank you for asking. How can I help?"),
        ("Hang on, let me find it.", "Of course, take your time."),
    ])
    func socialActs(_ text: String, _ answer: String) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let events = try hub.say(text)
        #expect(events.functionCall(.ga) == nil)
        #expect(events.spokenText == answer)
    }

    @Test("'say that again' repeats what the agent said last")
    func repeats() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let question = try #require(try hub.say("Can I change a booking?").spokenText)
        #expect(try hub.say("Sorry, could you repeat that?").spokenText == "I said: \(question)")
    }

    @Test("a request with small talk around it is a request", arguments: [
        "Hi there, is flight SB204 on time?", "Thanks. And what's the status of SB311?", "Can you hear me? Is SB204 delayed?",
    ])
    func requestWins(_ text: String) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say(text).functionCall(.ga))
        #expect(call.name == "check_flight_status")
    }

    @Test("a yes to a quoted change is still a yes, though 'great' is also thanks")
    func yesBeforeThanks() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let check = try #require(try hub.say("Can I change BKQ431 to Friday?").functionCall(.ga))
        let quote = #"{"outcome":"available","confirmation":"BKQ431","new_date":"2026-11-20","departure_time":"08:15","total":"75.00","currency":"USD"}"#
        _ = try hub.output(check, quote)
        let confirm = try #require(try hub.say("Great.").functionCall(.ga))
        #expect(confirm.name == "confirm_flight_change")
    }
}
