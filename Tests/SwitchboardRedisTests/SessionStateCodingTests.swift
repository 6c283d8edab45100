import Foundation
import RealtimeProtocol
import SwitchboardCore
@testable import SwitchboardRedis
import SwitchboardTesting
import Testing

/// A state as hubs saved it before turns kept their sources and interruptions.
private let savedBeforeSources = #"""
{"activeAgent":"flight","createdAt":"2025-05-01T10:00:00.000Z","customer":{"id":"C-1815","name":"Ada Lovelace"},
 "history":[{"agent":"flight","assistant":"SB12 is on time.","at":"2025-05-01T10:00:05.250Z",
             "tools":["check_flight_status({}) → found"],"user":"Is SB12 on time?"},
            {"agent":"flight","assistant":"Bye.","at":"2025-05-01T10:00:09Z","tools":[],"user":"Thanks"}],
 "key":"+15551234567","updatedAt":"2025-05-01T10:00:09.000Z","version":4}
"""#

@Suite("session state JSON")
struct SessionStateCodingTests {
    @Test("a state saved before sources and interruptions were kept still reads, with their defaults")
    func oldStateDecodes() throws {
        let state = try SessionStateCoding.decode(Array(savedBeforeSources.utf8))
        #expect(state.version == 4)
        #expect(state.history.map(\.assistant) == ["SB12 is on time.", "Bye."])
        #expect(state.history[0].tools == ["check_flight_status({}) → found"])
        #expect(state.history.allSatisfy { $0.sources.isEmpty && !$0.interrupted && $0.heardMs == nil })
    }

    @Test("sources, interruption and time heard round-trip")
    func newFieldsRoundTrip() throws {
        let state = sampleState(key: "+15551234567", version: 2)
        let decoded = try SessionStateCoding.decode(try SessionStateCoding.encode(state))
        #expect(sameState(decoded, state))
        let turn = try #require(decoded.history.last)
        #expect(turn.interrupted && turn.heardMs == 850)
        #expect(turn.sources.first?.sources.first?["title"] == .string("Checked bags"))
        #expect(turn.sources.first?.sources.first?["score"] == .double(0.75))
        #expect(turn.sources.first?.sources.first?["rank"] == .int(1))
    }

    @Test("a plain turn adds nothing to the JSON")
    func plainTurnStaysSmall() throws {
        let state = SessionState(key: "k", activeAgent: "flight", history: [Turn(user: "hi", assistant: "hello", agent: "flight")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try SessionStateCoding.encode(state))) as? [String: Any])
        let turn = try #require((json["history"] as? [[String: Any]])?.first)
        #expect(Set(turn.keys) == ["user", "assistant", "agent", "tools", "at"])
    }

    @Test("an old state already in Redis loads through the store", .timeLimit(.minutes(1)))
    func oldStateInRedis() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(client: client, configuration: .init(timeToLive: .seconds(600)), logger: quietLogger)
                _ = try await client.command("SET", "switchboard:session:+15551234567", savedBeforeSources)
                let loaded = try #require(try await store.load("+15551234567"))
                #expect(loaded.history.count == 2)
                #expect(loaded.history[0].sources.isEmpty && !loaded.history[0].interrupted)
            }
        }
    }
}
