import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

@Suite("the local model calls tools and answers from their outputs")
struct ToolTurnTests {
    let available = #"{"outcome":"available","confirmation":"BKQ431","flight_number":"SB204","old_date":"2026-11-23","new_date":"2026-11-27","departure_time":"08:15","change_fee":"75.00","fare_difference":"0.00","total":"75.00","currency":"USD","seats_available":12}"#
    let confirmed = #"{"outcome":"confirmed","old_confirmation":"BKQ431","new_confirmation":"BKT902","flight_number":"SB204","new_date":"2026-11-27","departure_time":"08:15","total":"75.00","currency":"USD"}"#

    @Test("a flight change over several turns, with each event in its place", arguments: Dialect.allCases)
    func flightChange(_ dialect: Dialect) throws {
        var hub = try HubScript(dialect, catalog: try Fixtures.catalog())

        let check = try hub.say("Can I change booking BKQ431 to November 27?")
        let expected = dialect == .ga
            ? ["response.created", "response.output_item.added", "conversation.item.added", "response.function_call_arguments.delta",
               "response.function_call_arguments.done", "conversation.item.done", "response.output_item.done", "response.done"]
            : ["response.created", "response.output_item.added", "conversation.item.created", "response.function_call_arguments.delta",
               "response.function_call_arguments.done", "response.output_item.done", "response.done"]
        // Arguments may stream in several deltas.
        #expect(check.map(\.type).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } } == expected)
        let call = try #require(check.functionCall(dialect))
        #expect(call.name == "check_change_flight")
        #expect(call.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-27")])

        let added = try #require(check.first { $0.type == "response.output_item.added" })
        let responseID = try #require(check.first?["response"]?["id"]?.stringValue)
        #expect(added["response_id"]?.stringValue == responseID)
        #expect(added["output_index"]?.intValue == 0)
        #expect(added["item"]?["type"]?.stringValue == "function_call")
        #expect(added["item"]?["object"]?.stringValue == "realtime.item")
        #expect(added["item"]?["status"]?.stringValue == "in_progress")
        #expect(added["item"]?["arguments"]?.stringValue == "")
        #expect(added["item"]?["call_id"]?.stringValue == call.callID)
        #expect(added["item"]?["name"]?.stringValue == "check_change_flight")
        let itemID = try #require(added["item"]?["id"]?.stringValue)
        for event in check where event.type.hasPrefix("response.function_call_arguments") {
            #expect(event["response_id"]?.stringValue == responseID)
            #expect(event["item_id"]?.stringValue == itemID)
            #expect(event["output_index"]?.intValue == 0)
        }
        let itemDone = try #require(check.first { $0.type == "response.output_item.done" })
        #expect(itemDone["item"]?["status"]?.stringValue == "completed")
        #expect(check.last?["response"]?["status"]?.stringValue == "completed")
        #expect(check.last?["response"]?["id"]?.stringValue == responseID)

        let offer = try hub.output(call, available)
        #expect(offer.spokenText == "I can move BKQ431 to Friday, November 27 at 08:15 for 75.00 USD. Shall I go ahead?")

        let yes = try hub.say("Yes, please go ahead.")
        let confirm = try #require(yes.functionCall(dialect))
        #expect(confirm.name == "confirm_flight_change")
        #expect(confirm.arguments == call.arguments)
        #expect(confirm.callID != call.callID)

        let done = try hub.output(confirm, confirmed)
        #expect(done.spokenText == "Done: your new confirmation is BKT902, flying Friday, November 27.")
        // A further response.create with nothing new does not answer the same output twice.
        let again = try hub.send(#"{"type":"response.create"}"#)
        #expect(again.functionCall(dialect) == nil)
        #expect(again.spokenText == "I'm sorry, I don't have that information. I can help with flight status and changing a flight.")
    }

    @Test("a missing argument is asked for, and the answer completes the call")
    func askForMissing() throws {
        // Without a tool listing the caller's bookings (RecordLookupTests has that case).
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog(), tools: Fixtures.flightToolsWithoutListing)
        #expect(try hub.say("I need to change my flight").spokenText == "What is your booking confirmation number?")
        #expect(hub.session.memory.pending?.tool == "check_change_flight")
        #expect(try hub.say("It's B K Q 4 3 1.").spokenText == "What date would you like to fly instead?")
        #expect(hub.session.memory.pending?.slots == ["confirmation": .string("BKQ431")])
        let call = try #require(try hub.say("the day after tomorrow").functionCall(.ga))
        #expect(call.name == "check_change_flight")
        #expect(call.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
        #expect(hub.session.memory.pending == nil)
    }

    @Test("without a question of its own, a question is generated from the parameter's name")
    func generatedQuestion() throws {
        var hub = try HubScript(.beta, catalog: try Fixtures.catalog(), tools: Fixtures.flightToolsWithoutListing)
        #expect(try hub.say("Is my flight on time?").spokenText == "What is the flight number?")
        let call = try #require(try hub.say("SB 204, tomorrow").functionCall(.beta))
        #expect(call.arguments == ["flight_number": .string("SB204"), "date": .string("2026-11-19")])
    }

    @Test("an identifier said earlier in the session fills a later call")
    func earlierMessages() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        _ = try hub.say("Hi, my booking is BKQ431.")
        let call = try #require(try hub.say("Could I move it to Friday?").functionCall(.ga))
        #expect(call.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
    }

    @Test("a no declines the change and nothing is called")
    func declined() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say("Change BKQ431 to the 27th").functionCall(.ga))
        _ = try hub.output(call, available)
        #expect(hub.session.memory.awaiting?.confirm == "confirm_flight_change")
        #expect(try hub.say("No, never mind.").spokenText == "All right, I haven't changed anything.")
        #expect(hub.session.memory.awaiting == nil)
        // A later yes confirms nothing.
        #expect(try hub.say("yes").functionCall(.ga) == nil)
    }

    @Test("a different date instead of a yes checks the change again")
    func anotherDate() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say("Change BKQ431 to the 27th").functionCall(.ga))
        _ = try hub.output(call, available)
        let again = try #require(try hub.say("What about the 28th instead?").functionCall(.ga))
        #expect(again.name == "check_change_flight")
        #expect(again.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-28")])
    }

    @Test("a new value for the last call's argument makes the call again, but never a confirmation")
    func followUp() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let first = try #require(try hub.say("Change BKQ413 to Friday").functionCall(.ga))
        #expect(try hub.output(first, #"{"outcome":"not_found","confirmation":"BKQ413"}"#).spokenText == "I'm sorry, I don't have that information.")
        let again = try #require(try hub.say("Sorry, it's BKQ431").functionCall(.ga))
        #expect(again.name == "check_change_flight")
        #expect(again.arguments == ["confirmation": .string("BKQ431"), "new_date": .string("2026-11-20")])
        _ = try hub.output(again, available)
        let confirm = try #require(try hub.say("yes").functionCall(.ga))
        _ = try hub.output(confirm, confirmed)
        // After a confirmation, another date is not a silent second change.
        #expect(try hub.say("the 29th").functionCall(.ga) == nil)
    }

    @Test("a question no trigger matches goes to the knowledge base")
    func knowledgeFallback() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let question = "How many bags can I bring?"
        let call = try #require(try hub.say(question).functionCall(.ga))
        #expect(call.name == "search_flight_knowledgebase")
        #expect(call.arguments == ["query": .string(question)])
        let answer = try hub.output(call, #"{"outcome":"found","query":"How many bags can I bring?","answer":"Each ticket includes one checked bag up to 23 kg.","results":[]}"#)
        #expect(answer.spokenText == "Each ticket includes one checked bag up to 23 kg.")
        let nothing = try #require(try hub.say("Can I bring my cat?").functionCall(.ga))
        #expect(try hub.output(nothing, #"{"outcome":"not_found","query":"Can I bring my cat?"}"#).spokenText == "I couldn't find anything about that.")
    }

    @Test("a tool without arguments is called at once, and its list answer is rendered")
    func listAnswer() throws {
        var hub = try HubScript(.beta, catalog: try Fixtures.catalog())
        let call = try #require(try hub.say("What are my flights?").functionCall(.beta))
        #expect(call.name == "load_user_flight_info")
        #expect(call.arguments.isEmpty)
        let text = try hub.output(call, #"{"outcome":"found","customer_name":"Alex Morgan","count":2,"bookings":[{"flight_number":"SB204","date":"2026-11-23"},{"flight_number":"SB311","date":"2026-11-30"}]}"#).spokenText
        #expect(text == "Alex Morgan, you have SB204 on Monday, November 23 and SB311 on Monday, November 30.")
    }

    @Test("empty and blank utterances get the fallback, never a call", arguments: ["", "   ", "…"])
    func emptyUtterance(_ text: String) throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let events = try hub.say(text)
        #expect(events.spokenText == "I'm sorry, I don't have that information.")
        #expect(events.last?["response"]?["status"]?.stringValue == "completed")
    }

    @Test("an error outcome is answered from the error template, or the fallback")
    func errorOutcome() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let change = try #require(try hub.say("Change BKQ431 to Friday").functionCall(.ga))
        let error = #"{"outcome":"error","error":{"code":"data_unavailable","message":"database is down"}}"#
        #expect(try hub.output(change, error).spokenText == "I'm sorry, I can't reach the booking system right now.")
        #expect(hub.session.memory.awaiting == nil)
        let status = try #require(try hub.say("Is SB204 delayed?").functionCall(.ga))
        #expect(try hub.output(status, error).spokenText == "I'm sorry, I don't have that information.")
        let broken = try #require(try hub.say("Is SB204 on time?").functionCall(.ga))
        #expect(try hub.output(broken, "not json").spokenText == "I'm sorry, I don't have that information.")
    }

    @Test("an output missing a field the template needs gets the fallback")
    func missingField() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let status = try #require(try hub.say("What's the status of SB204?").functionCall(.ga))
        #expect(try hub.output(status, #"{"outcome":"found","flight_number":"SB204","date":"2026-11-18"}"#).spokenText
                == "I'm sorry, I don't have that information.")
    }

    @Test("only tools both the session and the persona have are called")
    func intersection() throws {
        let onlyStatus = #"[{"type":"function","name":"check_flight_status","parameters":{"type":"object","properties":{"flight_number":{"type":"string","pattern":"^[A-Z]{2}[0-9]{3,4}$"}},"required":["flight_number"]}},{"type":"function","name":"cancel_everything","parameters":{"type":"object","properties":{}}}]"#
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog(), tools: onlyStatus)
        #expect(try hub.say("Change BKQ431 to Friday").functionCall(.ga) == nil)
        #expect(try hub.say("Is SB204 delayed?").functionCall(.ga)?.name == "check_flight_status")
    }

    @Test("the router persona has no tools and keeps its small talk")
    func router() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog(), persona: "concierge")
        #expect(try hub.say("Hello").spokenText == "Hello, this is the concierge.")
        #expect(try hub.say("What can you help me with?").spokenText == "I can help with flights and hotels.")
        #expect(try hub.say("Is SB204 delayed?").spokenText == "I'm sorry, I don't know that. I can help with flights and hotels.")
        #expect(try hub.say("   ").spokenText == "I'm sorry, I don't know that.")
    }

    @Test("a persona change forgets the pending question")
    func personaChange() throws {
        let catalog = try Fixtures.catalog()
        var hub = try HubScript(.ga, catalog: catalog, tools: Fixtures.flightToolsWithoutListing)
        _ = try hub.say("I want to change my flight")
        #expect(hub.session.memory.pending != nil)
        let concierge = try #require(catalog.persona(named: "concierge")).instructions
        _ = try hub.send(#"{"type":"session.update","session":{"type":"realtime","instructions":\#(JSONValue.string(concierge).jsonString)}}"#)
        _ = try hub.say("BKQ431")
        #expect(hub.session.memory.pending == nil)
        #expect(hub.session.memory.persona == "concierge")
    }
}

@Suite("a resumed session goes on where it stopped")
struct ResumedQuestionTests {
    @Test("the answer to a question asked before a reconnect completes the call it was for")
    func questionFromReplayedHistory() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        // The hub replays the last turns into a new model session: the caller's question and the
        // agent asking for the missing flight number.
        _ = try hub.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Is my flight on time?"}]}}"#)
        _ = try hub.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"What is the flight number?"}]}}"#)
        #expect(hub.session.memory.pending == nil)
        let call = try #require(try hub.say("It's flight SB 204").functionCall(.ga))
        #expect(call.name == "check_flight_status")
        #expect(call.arguments["flight_number"] == .string("SB204"))
    }

    @Test("an earlier answer that is not a question for an argument changes nothing")
    func otherAnswers() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        _ = try hub.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Flight SB204 is on time."}]}}"#)
        _ = try hub.say("thanks")
        #expect(hub.session.memory.pending == nil)
    }
}
