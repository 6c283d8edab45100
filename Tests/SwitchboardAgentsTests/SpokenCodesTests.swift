import SwitchboardAgents
import Testing

/// Codes said the ways callers say them read back as written, for every code of a pattern.
@Suite("spoken codes")
struct SpokenCodesTests {
    @Test("examples: spelled, grouped, doubled, teens and tens, run together", arguments: [
        ("It's S B two oh four", "^SB[0-9]{3}$", "SB204"),
        ("booking B K Q four three one please", "^[A-Z]{3}[0-9]{3}$", "BKQ431"),
        ("A one double-oh one", "^A[0-9]{4}$", "A1001"),
        ("S B one nineteen", "^SB[0-9]{3}$", "SB119"),
        ("sb 311 I think", "^SB[0-9]{3}$", "SB311"),
        ("H three one one seven oh two", "^H[0-9]{6}$", "H311702"),
        ("flight SB twenty one", "^SB[0-9]{2}$", "SB21"),
        ("reservation h two oh four five one eight.", "^H[0-9]{6}$", "H204518"),
        ("S B three, uh, three one two", "^SB[0-9]{3}$", "SB312"),
        ("B K Q, uh, four three one", "^[A-Z]{3}[0-9]{3}$", "BKQ431"),
        ("H two oh, um, four five one eight", "^H[0-9]{6}$", "H204518"),
        ("SB204, no sorry, SB205", "^SB[0-9]{3}$", "SB205"),
        ("S B two oh four, I mean S B two oh five", "^SB[0-9]{3}$", "SB205"),
    ])
    func examples(_ text: String, _ pattern: String, _ code: String) {
        #expect(SpokenCodes.token(matching: pattern, in: text) == code)
    }

    @Test("nothing that fits, or a pattern that is no expression: nil", arguments: [
        ("I want to fly on Tuesday", "^SB[0-9]{3}$"), ("", "^SB[0-9]{3}$"), ("SB204", "^[unclosed"),
    ])
    func none(_ text: String, _ pattern: String) {
        #expect(SpokenCodes.token(matching: pattern, in: text) == nil)
    }

    /// Every code of three letters and three digits, said letter by letter and digit by digit in
    /// words (zero as "oh" or "zero"), with words around it, reads back as written.
    @Test("property: any letters-and-digits code said one character at a time reads back")
    func property() {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
        let digitNames = ["oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        for _ in 0..<500 {
            let code = String((0..<3).map { _ in letters.randomElement(using: &generator)! })
                + String((0..<3).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let spoken = code.map { character -> String in
                if let digit = character.wholeNumberValue {
                    return digit == 0 && Bool.random(using: &generator) ? "zero" : digitNames[digit]
                }
                return String(character)
            }.joined(separator: " ")
            #expect(SpokenCodes.token(matching: "^[A-Z]{3}[0-9]{3}$", in: "my code is \(spoken), thanks") == code, "\(spoken)")
        }
    }
}
