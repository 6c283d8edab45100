import RealtimeProtocol
@testable import SwitchboardCore
import Testing

/// The hub's own calls: hidden from the client, finished once, cancellable while they run.
@Suite("the hub's calls")
struct HubCallsTests {
    private func event(_ text: String) -> RealtimeEvent { try! RealtimeEvent.decode(text) }

    @Test("a started call hides its item and is the hub's; events about it are hidden")
    func hidden() {
        var calls = HubCalls()
        calls.start(callID: "call_1", itemID: "item_1")
        #expect(calls.owns(callID: "call_1"))
        #expect(!calls.owns(callID: "call_2"))
        #expect(calls.isHidden(itemID: "item_1"))
        #expect(calls.isHidden(event(#"{"type":"response.output_item.done","item":{"id":"item_1"}}"#)))
        #expect(calls.isHidden(event(#"{"type":"response.function_call_arguments.delta","item_id":"item_1"}"#)))
        #expect(!calls.isHidden(event(#"{"type":"response.output_item.done","item":{"id":"item_2"}}"#)))
        #expect(calls.running == ["call_1"])
    }

    @Test("a call finishes once; an unknown or finished call is ignored")
    func finishOnce() {
        var calls = HubCalls()
        calls.start(callID: "call_1", itemID: nil)
        let value13 = calls.finish(callID: "call_1")
        #expect(value13 == .answered)
        let value14 = calls.finish(callID: "call_1")
        #expect(value14 == nil)
        let value15 = calls.finish(callID: "nobody")
        #expect(value15 == nil)
        #expect(calls.owns(callID: "call_1"), "still the hub's after it finished")
    }

    @Test("cancelling marks the running calls only; they finish as cancelled, later calls as answered")
    func cancel() {
        var calls = HubCalls()
        calls.start(callID: "b", itemID: nil)
        calls.start(callID: "a", itemID: nil)
        let value16 = calls.cancelRunning()
        #expect(value16 == ["a", "b"])
        calls.start(callID: "c", itemID: nil)
        let value17 = calls.finish(callID: "a")
        #expect(value17 == .cancelled)
        let value18 = calls.finish(callID: "c")
        #expect(value18 == .answered)
        let value19 = calls.finish(callID: "b")
        #expect(value19 == .cancelled)
        #expect(calls.running.isEmpty)
    }

    @Test("a claimed call id (seen on its item first) is the hub's before it runs")
    func claim() {
        var calls = HubCalls()
        calls.claim(callID: "call_9")
        calls.hide(itemID: nil)
        #expect(calls.owns(callID: "call_9"))
        #expect(calls.running.isEmpty)
    }
}
