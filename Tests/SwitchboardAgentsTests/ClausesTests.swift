import SwitchboardAgents
import Testing

/// Several requests in one utterance are cut apart in order; one request stays whole.
@Suite("clauses")
struct ClausesTests {
    @Test("cuts", arguments: [
        ("Is SB204 on time, and can you also tell me when check-in is?", ["Is SB204 on time", "and can you also tell me when check-in is"]),
        ("Cancel A1001. Then book me a cleaning on Friday.", ["Cancel A1001", "Then book me a cleaning on Friday"]),
        ("List my visits and then cancel the first one", ["List my visits", "and then cancel the first one"]),
        ("Hi. Is my flight delayed?", ["Hi Is my flight delayed"]),
        ("I need a room and a parking space", ["I need a room and a parking space"]),
        ("Check SB311 and SB312 for me", ["Check SB311 and SB312 for me"]),
        ("", [""]),
    ])
    func cuts(_ text: String, _ expected: [String]) {
        #expect(Clauses.split(text) == expected)
    }

    @Test("property: the clauses hold every word of the utterance, in order")
    func keepsWords() {
        let vocabulary = ["and", "also", "then", "can", "you", "check", "my", "flight", "plus", "hotel", "what", "is", ".", "?", "please", "SB204"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let text = (0..<Int.random(in: 0...14, using: &generator)).map { _ in vocabulary.randomElement(using: &generator)! }.joined(separator: " ")
            let words = { (s: String) in s.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init) }
            #expect(Clauses.split(text).flatMap(words) == words(text), "\(text)")
        }
    }
}
