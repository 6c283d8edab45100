/// A kind of code callers spell out letter by letter and digit by digit ("S B two oh four"), and
/// that the recognizer writes back in its written form ("SB204").
///
/// The `pattern` says what a code looks like, one character per spoken token: an uppercase
/// letter stands for itself, `@` for any letter and `#` for any digit (said as its name, or "oh"
/// for zero). `"R####"` is an `R` and four digits, `"@@@###"` three letters and three digits.
public struct SpokenCode: Sendable, Hashable {
    /// The slot's name in templates: `{order_code}`.
    public var name: String
    /// What the written code looks like: letters, `@` (any letter) and `#` (any digit).
    public var pattern: String
    /// Codes callers are likely to say, used first when sentences are generated for the
    /// language model (others are drawn at random from the pattern).
    public var examples: [String]

    /// A code kind named `name` (the slot) with `pattern` and some likely values.
    public init(name: String, pattern: String, examples: [String] = []) {
        self.name = name
        self.pattern = pattern.uppercased()
        self.examples = examples.map { $0.uppercased() }
    }

    /// Whether `written` ("SB204") is a code of this kind.
    public func matches(written: String) -> Bool {
        let characters = Array(written.uppercased())
        let pattern = Array(self.pattern)
        guard characters.count == pattern.count else { return false }
        for (character, slot) in zip(characters, pattern) {
            switch slot {
            case "@": guard character.isASCII && character.isLetter else { return false }
            case "#": guard character.isASCII && character.isNumber else { return false }
            default: guard character == slot else { return false }
            }
        }
        return true
    }

    /// `written` as recognizer tokens: letters as letter tokens, digits by name, zero as
    /// `zero` ("zero") or "oh".
    static func spoken(_ written: String, zero: String = "oh") -> [String] {
        written.compactMap { character -> String? in
            if character.isASCII && character.isLetter { return SpokenWords.letterToken(character) }
            if let value = character.wholeNumberValue, character.isASCII {
                return value == 0 ? zero : SpokenWords.digitNames[value]
            }
            return nil
        }
    }

    /// A code of this kind drawn with `generator`.
    func random(using generator: inout some RandomNumberGenerator) -> String {
        String(pattern.map { slot -> Character in
            switch slot {
            case "@": return "ABCDEFGHIJKLMNOPQRSTUVWXYZ".randomElement(using: &generator)!
            case "#": return "0123456789".randomElement(using: &generator)!
            default: return slot
            }
        })
    }

    /// The written code spelled by `tokens` from `start`, with how many tokens it took, or nil.
    func match(_ tokens: [String], at start: Int) -> (written: String, length: Int)? {
        guard start + pattern.count <= tokens.count else { return nil }
        var written = ""
        for (offset, slot) in pattern.enumerated() {
            let token = tokens[start + offset]
            switch slot {
            case "#":
                guard let digit = SpokenWords.digitValues[token] else { return nil }
                written.append(digit)
            case "@":
                guard let letter = SpokenWords.letter(of: token) else { return nil }
                written.append(letter)
            default:
                guard SpokenWords.letter(of: token) == slot else { return nil }
                written.append(slot)
            }
        }
        return (written, pattern.count)
    }

    /// The pattern as a JSGF rule body: `s. b. <digit> <digit> <digit>`. With examples, each
    /// example (zero said "oh" or "zero") is an alternative too, and the examples together weigh
    /// as much as the pattern: codes the domain knows are likelier than any others, but any code
    /// of the kind can still be heard.
    var grammarBody: String {
        let generic = pattern.map { slot -> String in
            switch slot {
            case "@": return "<letter>"
            case "#": return "<digit>"
            default: return SpokenWords.letterToken(slot)
            }
        }.joined(separator: " ")
        let known = Array(Set(examples.filter(matches(written:)))).sorted()
        guard !known.isEmpty else { return generic }
        var alternatives: [String] = []
        for example in known {
            let forms = Set([Self.spoken(example, zero: "oh"), Self.spoken(example, zero: "zero")])
            for form in forms.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                alternatives.append("/1/ " + form.joined(separator: " "))
            }
        }
        return (alternatives + ["/\(alternatives.count)/ " + generic]).joined(separator: " | ")
    }
}
