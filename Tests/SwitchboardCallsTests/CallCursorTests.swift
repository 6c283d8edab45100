import Foundation
@testable import SwitchboardCalls
import Testing

@Suite("Listing cursors")
struct CallCursorTests {
    @Test func roundTrips() async throws {
        var random = SeededRandom(seed: 5)
        for round in 0..<2000 {
            if round % 200 == 0 { await Task.yield() }
            let cursor = CallCursor(
                startedAt: Int.random(in: CallTime.earliestMilliseconds...CallTime.latestMilliseconds, using: &random),
                id: random.chance(0.8) ? CallRecord.newID() : String(random.text().prefix(60)) + "x"
            )
            let text = cursor.text
            #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(try CallCursor(text: text) == cursor)
        }
    }

    @Test func base64urlIsStrict() {
        for length in 0..<12 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
            #expect(CallCursor.bytes(base64url: CallCursor.base64url(bytes)) == bytes)
        }
        #expect(CallCursor.bytes(base64url: "AB") == nil)  // unused bits set
        #expect(CallCursor.bytes(base64url: "AA") == [0])
        #expect(CallCursor.bytes(base64url: "A") == nil)
        #expect(CallCursor.bytes(base64url: "AA==") == nil)
        #expect(CallCursor.bytes(base64url: "A+/A") == nil)
    }

    /// Random text, and good cursors with random damage: a cursor decodes only when it is one a
    /// store wrote (it then re-encodes to the same text), and otherwise throws `.badCursor`.
    @Test func survivesFuzzing() async {
        var random = SeededRandom(seed: 11)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .%é")
        var accepted = 0
        for round in 0..<6000 {
            if round % 500 == 0 { await Task.yield() }
            var text: String
            if round % 2 == 0 {
                text = String((0..<Int.random(in: 0...90, using: &random)).map { _ in random.element(alphabet) })
            } else {
                var characters = Array(CallCursor(startedAt: Int.random(in: 0...4_000_000_000_000, using: &random), id: CallRecord.newID()).text)
                for _ in 0..<Int.random(in: 0...2, using: &random) where !characters.isEmpty {
                    characters[Int.random(in: 0..<characters.count, using: &random)] = random.element(alphabet)
                }
                if random.chance(0.2) { characters.removeLast(Int.random(in: 0...min(3, characters.count), using: &random)) }
                text = String(characters)
            }
            switch Result(catching: { () throws(CallStoreError) in try CallCursor(text: text) }) {
            case .success(let cursor):
                accepted += 1
                #expect(cursor.text == text)
            case .failure(let error):
                #expect(error.kind == .badCursor)
            }
        }
        // Some of the odd rounds were left untouched (a change to the same character, or none).
        #expect(accepted > 0 && accepted < 3000)
    }
}
