import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import Testing

/// One line of `Fixtures/router-labelled.tsv`: the agent in charge, what the caller said, and
/// the agent that should answer.
private struct LabelledTurn {
    var current: String
    var utterance: String
    var expected: String
}

private func labelledTurns() throws -> [LabelledTurn] {
    let url = try #require(Bundle.module.url(forResource: "router-labelled", withExtension: "tsv", subdirectory: "Fixtures"))
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
        let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        try #require(columns.count == 3, "bad fixture line: \(line)")
        return LabelledTurn(current: columns[0], utterance: columns[1], expected: columns[2])
    }
}

@Suite("intent router")
struct IntentRouterTests {
    let router: IntentRouter

    init() throws {
        router = IntentRouter(catalog: try PersonaCatalog.load(directory: Repository.personas))
    }

    @Test("the labelled utterances are routed with at least 90% accuracy")
    func accuracy() throws {
        let turns = try labelledTurns()
        #expect(turns.count >= 70)
        #expect(Set(turns.map(\.expected)) == ["concierge", "flight", "hotel"])
        var correct = 0
        for turn in turns {
            let choice = router.route(turn.utterance, current: turn.current)
            if choice.agent == turn.expected {
                correct += 1
            } else {
                let scores = router.scores(turn.utterance).map { "\($0.agent) \(String(format: "%.2f", $0.score))" }
                print("router miss: [\(turn.current)] '\(turn.utterance)' → \(choice.agent) (expected \(turn.expected); \(choice.reason); \(scores.joined(separator: ", ")))")
            }
        }
        let percent = Double(correct) * 100 / Double(turns.count)
        print("router accuracy: \(correct)/\(turns.count) = \(String(format: "%.1f", percent))%")
        #expect(percent >= 90)
    }

    @Test("neutral turns stay with the current agent", arguments: ["yes", "thanks", "next Friday", "BKQ431", "no thank you", "the 14th of May", ""])
    func neutral(utterance: String) {
        for current in ["concierge", "flight", "hotel"] {
            #expect(router.route(utterance, current: current) == RouteChoice(agent: current, reason: "neutral turn"))
        }
    }

    @Test("a clear request switches, with keywords or the closest example as the reason")
    func reasons() {
        let hotel = router.route("Is breakfast included at my hotel?", current: "flight")
        #expect(hotel.agent == "hotel")
        #expect(hotel.reason == "keywords: hotel, breakfast")
        let flight = router.route("Has it been postponed?", current: "concierge")
        #expect(flight.agent == "concierge")
        let status = router.route("Is my flight on time?", current: "hotel")
        #expect(status == RouteChoice(agent: "flight", reason: "keywords: flight"))
        let example = router.route("when does boarding start?", current: "concierge")
        #expect(example.agent == "flight")
        let byExample = router.route("What time do I land?", current: "concierge")
        #expect(byExample.agent == "flight")
    }

    @Test("the router persona is never a target; an unclear turn stays put")
    func sticky() {
        #expect(router.scores("hello concierge").allSatisfy { $0.agent != "concierge" })
        #expect(router.route("what can you do", current: "hotel").agent == "hotel")
        // "change" fits both agents about equally: no switch.
        #expect(router.route("can I change it", current: "hotel").agent == "hotel")
        #expect(router.route("can I change it", current: "flight").agent == "flight")
    }

    @Test("scores are sorted, deterministic and favour the right agent")
    func scores() {
        let scores = router.scores("How many bags can I check on my flight?")
        #expect(scores.map(\.agent) == ["flight", "hotel"])
        #expect(scores[0].score > scores[1].score)
        #expect(router.scores("How many bags can I check on my flight?").map(\.score) == scores.map(\.score))
    }

    @Test("a higher threshold keeps the caller where they are")
    func settings() throws {
        let strict = IntentRouter(catalog: try PersonaCatalog.load(directory: Repository.personas), settings: RouterSettings(threshold: 1000))
        #expect(strict.route("Is my flight on time?", current: "concierge").agent == "concierge")
    }
}

/// A code only one agent's tools take sends the turn to that agent, whatever else was said.
@Suite("intent router: identifiers")
struct IdentifierRoutingTests {
    let router: IntentRouter

    init() throws {
        let catalog = try PersonaCatalog.load(directory: Repository.personas)
        // Patterns written for this test: flights "SB" and three digits, hotel stays "H" and six digits.
        let patterns: [String: String] = ["check_flight_status": "^SB[0-9]{3}$", "check_reservation_status": "^H[0-9]{6}$"]
        router = IntentRouter(catalog: catalog) { name in
            patterns[name].map { .object(["properties": .object(["code": .object(["type": .string("string"), "pattern": .string($0)])])]) }
        }
    }

    @Test("the code's owner answers", arguments: [
        ("concierge", "My wife is collecting me and wants to know about S B two oh four", "flight"),
        ("flight", "And what about H204518?", "hotel"),
        ("hotel", "Actually I meant SB311, not the other one", "flight"),
        ("concierge", "What's the status of H204518, and also is my flight on time?", "hotel"),
    ])
    func owner(_ current: String, _ utterance: String, _ expected: String) {
        #expect(router.route(utterance, current: current).agent == expected)
    }

    @Test("a vocabulary value only one agent's tools take routes like a code: a dentist's name")
    func vocabulary() throws {
        var catalog = try PersonaCatalog.load(directory: Repository.personas)
        catalog.speech.words = ["dentist": ["Doctor Okafor", "Doctor Lindqvist"]]
        let router = IntentRouter(catalog: catalog) { name in
            name == "check_flight_status" ? .object(["properties": .object(["dentist": .object(["type": .string("string")])])]) : nil
        }
        #expect(router.route("Would Lindqvist have a gap tomorrow?", current: "concierge").agent == "flight")
        #expect(router.route("Would a doctor have a gap tomorrow?", current: "concierge").agent == "concierge")
    }
}
