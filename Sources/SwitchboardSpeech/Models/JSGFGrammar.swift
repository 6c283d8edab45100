/// Writes a ``SpeechCorpus`` as a JSGF grammar: one public rule, `<utterance>`, whose
/// alternatives are the utterances, and one rule per word class and code kind.
///
/// ```
/// #JSGF V1.0;
/// grammar switchboard;
/// public <utterance> = is flight <flight_number> on time | yes please | … ;
/// <flight_number> = s. b. <digit> <digit> <digit>;
/// <date> = today | tomorrow | next <weekday> | … ;
/// ```
enum JSGFGrammar {
    /// The public rule's name.
    static let rootRule = "utterance"

    /// The grammar text for `corpus`, named `name`.
    static func text(for corpus: SpeechCorpus, name: String = "switchboard") -> String {
        var lines = ["#JSGF V1.0;", "", "grammar \(ruleName(name));", ""]
        lines.append("public <\(rootRule)> = " + alternatives(corpus.utterances) + ";")
        lines.append("")
        for code in corpus.codes.keys.sorted() {
            lines.append("<\(ruleName(code))> = \(corpus.codes[code]!.grammarBody);")
        }
        for name in corpus.classes.keys.sorted() {
            lines.append("<\(ruleName(name))> = " + alternatives(corpus.classes[name]!) + ";")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A rule name made of letters, digits and underscores.
    static func ruleName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    private static func alternatives(_ list: [[SpeechPiece]]) -> String {
        list.map { pieces in
            pieces.map { piece in
                switch piece {
                case .word(let word): word
                case .slot(let name): "<\(ruleName(name))>"
                }
            }.joined(separator: " ")
        }.joined(separator: "\n    | ")
    }
}
