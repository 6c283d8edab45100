import Foundation
import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import Testing

/// `response.create` with `conversation: "none"`: a response made beside the conversation, which
/// it does not join, and instructions asking for one sentence word for word.
@Suite("out-of-band responses of the local model")
struct OutOfBandTests {
    static func filler(_ sentence: String, metadata: String = #"{"switchboard":"filler","call_id":"call_1"}"#) -> String {
        let instructions = JSONValue.string(SpokenVerbatim.instructions(sentence)).jsonString
        return #"{"type":"response.create","response":{"conversation":"none","input":[],"instructions":\#(instructions),"tool_choice":"none","metadata":\#(metadata)}}"#
    }

    @Test("a verbatim sentence is said as written, outside the conversation", arguments: Dialect.allCases)
    func verbatim(_ dialect: Dialect) throws {
        var hub = try HubScript(dialect, catalog: try Fixtures.catalog())
        let events = try hub.send(Self.filler("One moment while I check."))
        #expect(events.spokenText == "One moment while I check.")
        #expect(!events.contains { $0.type.hasPrefix("conversation.item.") })
        let done = try #require(events.last)
        #expect(done.type == "response.done")
        #expect(done["response"]?["conversation_id"] == .null)
        #expect(done["response"]?["metadata"]?["switchboard"]?.stringValue == "filler")
        #expect(done["response"]?["metadata"]?["call_id"]?.stringValue == "call_1")
        #expect(events.first?["response"]?["conversation_id"] == .null)
    }

    @Test("the conversation goes on as if the out-of-band response had not been made")
    func conversationUnchanged() throws {
        var plain = try HubScript(.ga, catalog: try Fixtures.catalog())
        var interrupted = try HubScript(.ga, catalog: try Fixtures.catalog())
        let first = try plain.say("I need to change my flight")
        #expect(try interrupted.say("I need to change my flight").spokenText == first.spokenText)
        _ = try interrupted.send(Self.filler("Just a second."))
        #expect(try interrupted.say("It's B K Q 4 3 1.").spokenText == (try plain.say("It's B K Q 4 3 1.").spokenText))
    }

    @Test("an in-band response with the same instructions says the sentence and joins the conversation")
    func inBand() throws {
        var hub = try HubScript(.ga, catalog: try Fixtures.catalog())
        let instructions = JSONValue.string(SpokenVerbatim.instructions("Welcome back.")).jsonString
        let events = try hub.send(#"{"type":"response.create","response":{"instructions":\#(instructions)}}"#)
        #expect(events.spokenText == "Welcome back.")
        #expect(events.contains { $0.type == "conversation.item.added" })
        #expect(events.last?["response"]?["conversation_id"]?.stringValue != nil)
    }

    @Test("instructions that only look like a verbatim request are not one")
    func notVerbatim() {
        #expect(SpokenVerbatim.sentence(in: SpokenVerbatim.instructions("Hello there.")) == "Hello there.")
        #expect(SpokenVerbatim.instructions("Say \"hi\"") == SpokenVerbatim.instructions("Say hi"))
        for text in ["", "Say exactly the following sentence", SpokenVerbatim.instructions("x") + " and more",
                     String(SpokenVerbatim.instructions("a").dropLast()), SpokenVerbatim.instructions("").replacingOccurrences(of: "\"\"", with: "\"\"\"")] {
            #expect(SpokenVerbatim.sentence(in: text) == nil, "\(text)")
        }
    }
}
