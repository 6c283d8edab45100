import SwitchboardAgents
import Testing

/// A request about something none of a pack's agents does is recognised as such, from the
/// pack's own words: what one pack does is foreign to another.
@Suite("topic scope")
struct TopicScopeTests {
    /// A dental practice's words, written for this test.
    let dental = TopicScope(domainText: ["Book a cleaning or a checkup with a dentist.", "We take most dental insurance plans.",
                                         "Opening hours, parking, emergencies."],
                            keywords: ["appointment", "book", "dentist", "insurance", "parking"])
    /// A food-delivery pack's words.
    let delivery = TopicScope(domainText: ["Order pizza, sushi or a burger from a restaurant near you.", "Track your order."],
                              keywords: ["order", "restaurant", "pizza", "delivery"])

    @Test("foreign requests name their topic", arguments: [
        ("What's the weather like tomorrow?", "weather"), ("Can you book me a haircut?", "haircut"),
        ("Could you renew my car insurance?", "car insurance"), ("Call me a taxi please", "taxi"),
        ("I'd like a table for two tonight", "table for"), ("How much ibuprofen should I take?", "ibuprofen"),
    ])
    func foreign(_ text: String, _ topic: String) {
        #expect(dental.outOfScope(text) == topic)
    }

    @Test("the pack's own requests are not foreign", arguments: [
        "Do you take Delta Dental insurance?", "I need to book a cleaning", "Where can I park?", "Hello", "",
        "Can I book appointment A1001 for the rain day?",
    ])
    func own(_ text: String) {
        #expect(dental.outOfScope(text) == nil)
    }

    @Test("what one pack does is another's own: pizza is foreign to a dentist, not to food delivery")
    func perPack() {
        #expect(dental.outOfScope("Can I get a pizza delivered?") == "pizza")
        #expect(delivery.outOfScope("Can I get a pizza delivered?") == nil)
        #expect(delivery.outOfScope("Do you know a good dentist?") == nil)
    }

    @Test("a routing keyword of the pack's own beyond the topic keeps the request in scope")
    func keywordKeeps() {
        #expect(dental.outOfScope("Is there parking near the museum?") == nil)
        #expect(dental.outOfScope("Is the museum open?") == "museum")
    }
}
