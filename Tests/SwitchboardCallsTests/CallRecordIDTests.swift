import Testing
@testable import SwitchboardCalls

@Suite struct CallRecordIDTests {
    @Test func freshIDsHaveTheirFormAndDiffer() {
        let ids = (0..<1000).map { _ in CallRecord.newID() }
        #expect(Set(ids).count == ids.count)
        for id in ids { #expect(CallRecord.isID(id), "\(id)") }
        #expect(OutboxEvent.newID().hasPrefix("evt_"))
    }

    @Test(arguments: ["", "call_", "call_0123", "CALL_0123456789abcdef0123456789abcdef", "call_0123456789ABCDEF0123456789abcdef",
                      "call_0123456789abcdef0123456789abcde", "call_0123456789abcdef0123456789abcdef0", "call_0123456789abcdef0123456789abcdeg",
                      "call_0123456789abcdef0123456789abcd\u{e9}", "../../etc/passwd", "evt_0123456789abcdef0123456789abcdef"])
    func otherTextIsNoID(_ text: String) {
        #expect(!CallRecord.isID(text))
    }
}
