import RealtimeProtocol
@testable import SwitchboardCore
import SwitchboardTesting
import Testing

/// One response at a time: what waits, what coalesces, what lets a waiting request go.
@Suite("the response gate")
struct ResponseGateTests {
    private var ids = 0
    private func create(_ id: String) -> RealtimeEvent {
        RealtimeEvent(type: "response.create", [("event_id", .string(id))])
    }

    @Test("a request goes at once when nothing stands in its way, and is remembered as asked for")
    func goesAtOnce() {
        var gate = ResponseGate()
        let sent = gate.request(create("a"), toolsRunning: false, newID: { "new" })
        #expect(sent?.eventID == "a")
        #expect(gate.isResponding)
        #expect(gate.requestedID == "a")
        gate.started()
        #expect(gate.isActive && gate.requestedID == nil)
        gate.finished()
        #expect(!gate.isResponding)
    }

    @Test("requests while one is under way coalesce into the last one, sent when it is done")
    func coalesce() {
        var gate = ResponseGate()
        _ = gate.request(create("a"), toolsRunning: false, newID: { "new" })
        gate.started()
        let value1 = gate.request(create("b"), toolsRunning: false, newID: { "new" })
        #expect(value1 == nil)
        let value2 = gate.request(create("c"), toolsRunning: false, newID: { "new" })
        #expect(value2 == nil)
        let value3 = gate.release(toolsRunning: false, newID: { "new" })
        #expect(value3 == nil, "still under way")
        gate.finished()
        let value4 = gate.release(toolsRunning: false, newID: { "new" })
        #expect(value4?.eventID == "c")
        let value5 = gate.release(toolsRunning: false, newID: { "new" })
        #expect(value5 == nil, "sent once")
    }

    @Test("running tools and awaited transcripts hold a request back; the follow-up a tool needs goes when they are done")
    func blockers() {
        var gate = ResponseGate()
        gate.awaitTranscript("item_1")
        let value6 = gate.request(nil, toolsRunning: false, newID: { "new" })
        #expect(value6 == nil)
        let value7 = gate.transcriptArrived("item_1")
        #expect(value7)
        let value8 = gate.transcriptArrived("item_1")
        #expect(!value8, "only once")
        let value9 = gate.release(toolsRunning: true, newID: { "new" })
        #expect(value9 == nil, "a tool still runs")
        let value10 = gate.release(toolsRunning: false, newID: { "new" })
        #expect(value10?.eventID == "new")
        gate.started()
        gate.finished()
        gate.followUpNeeded = true
        let value11 = gate.release(toolsRunning: false, newID: { "follow" })
        #expect(value11?.eventID == "follow")
        #expect(!gate.followUpNeeded)
    }

    @Test("a refused request frees the gate; a refusal of another event does not")
    func refused() {
        var gate = ResponseGate()
        _ = gate.request(create("a"), toolsRunning: false, newID: { "new" })
        gate.refused("other")
        #expect(gate.isResponding)
        gate.refused("a")
        #expect(!gate.isResponding)
    }

    @Test("dropping the waiting request forgets it and the follow-up")
    func drop() {
        var gate = ResponseGate()
        _ = gate.request(create("a"), toolsRunning: true, newID: { "new" })
        gate.followUpNeeded = true
        gate.dropWaiting()
        let value12 = gate.release(toolsRunning: false, newID: { "new" })
        #expect(value12 == nil)
    }

    private func outOfBand(_ id: String) -> RealtimeEvent {
        RealtimeEvent(type: "response.create", [("event_id", .string(id)), ("response", .object(["conversation": .string("none")]))])
    }

    @Test("an out-of-band request goes only when the way is clear, is never kept, and marks its response")
    func outOfBandRequests() {
        var gate = ResponseGate()
        #expect(gate.requestOutOfBand(outOfBand("f1"))?.eventID == "f1")
        #expect(gate.requestOutOfBand(outOfBand("f2")) == nil, "one is asked for already")
        gate.started()
        #expect(gate.activeIsOutOfBand)
        #expect(gate.request(create("a"), toolsRunning: false, newID: { "new" }) == nil, "waits for the filler")
        gate.finished()
        #expect(gate.release(toolsRunning: false, newID: { "new" })?.eventID == "a")
        #expect(gate.requestOutOfBand(outOfBand("f3")) == nil, "a response is asked for")
        gate.started()
        #expect(!gate.activeIsOutOfBand)
        gate.finished()
        // A client's own out-of-band request is one too; a response nobody asked for is not.
        #expect(gate.request(outOfBand("c1"), toolsRunning: false, newID: { "new" })?.eventID == "c1")
        gate.started()
        #expect(gate.activeIsOutOfBand)
        gate.finished()
        gate.started()
        #expect(!gate.activeIsOutOfBand, "started by the model itself (server VAD)")
        gate.finished()
        gate.awaitTranscript("item_1")
        #expect(gate.requestOutOfBand(outOfBand("f4")) == nil, "an utterance is being transcribed")
    }

    @Test("property: whatever the order of events, at most one request is out at a time", arguments: 0..<50)
    func singleFlight(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var gate = ResponseGate()
        var out = 0
        var counter = 0
        for _ in 0..<200 {
            switch random.next() % 6 {
            case 5:
                counter += 1
                if gate.requestOutOfBand(outOfBand("o\(counter)")) != nil { out += 1 }
            case 0, 1:
                counter += 1
                if gate.request(create("r\(counter)"), toolsRunning: random.next() % 3 == 0, newID: { "n" }) != nil { out += 1 }
            case 2:
                if out > 0 && !gate.isActive { gate.started() }
            case 3:
                if gate.isActive {
                    gate.finished()
                    out -= 1
                }
            default:
                if gate.release(toolsRunning: random.next() % 3 == 0, newID: { "n" }) != nil { out += 1 }
            }
            #expect(out <= 1)
        }
    }
}
