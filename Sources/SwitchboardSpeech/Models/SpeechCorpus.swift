/// A ``SpeechDomain`` parsed into words and slots, checked, with the vocabulary it spans: what the
/// grammar, the language model and the dictionary are generated from.
struct SpeechCorpus: Sendable {
    /// Every utterance: sentences, phrases and templates, in that order, without repeats.
    let utterances: [[SpeechPiece]]
    /// Word classes by name, each a list of alternatives.
    let classes: [String: [[SpeechPiece]]]
    /// Code kinds by name.
    let codes: [String: SpokenCode]
    /// Every word an utterance can contain, sorted.
    let vocabulary: [String]
    /// How words are written when they are not all lowercase ("london" → "London", "i" → "I").
    let casing: [String: String]

    /// Built-in classes every grammar has: the spoken digits and the spelled letters.
    static let intrinsicClasses: [String: [[SpeechPiece]]] = [
        "digit": (SpokenWords.digitNames + ["oh"]).map { [.word($0)] },
        "letter": SpokenWords.letterTokens.map { [.word($0)] },
    ]

    init(domain: SpeechDomain) throws(SpeechError) {
        let text = SpeechText(codes: domain.codes)
        var seen = Set<[SpeechPiece]>()
        var utterances: [[SpeechPiece]] = []
        for line in domain.sentences + domain.phrases + domain.templates {
            let pieces = text.pieces(line)
            if !pieces.isEmpty, seen.insert(pieces).inserted { utterances.append(pieces) }
        }
        guard !utterances.isEmpty else { throw .invalidDomain("the speech domain has no sentences, phrases or templates") }

        var codes: [String: SpokenCode] = [:]
        for code in domain.codes {
            guard !code.pattern.isEmpty, code.pattern.allSatisfy({ $0 == "@" || $0 == "#" || ($0.isASCII && $0.isLetter) }) else {
                throw .invalidDomain("code \(code.name) has an invalid pattern \(code.pattern)")
            }
            if let example = code.examples.first(where: { !code.matches(written: $0) }) {
                throw .invalidDomain("example \(example) of code \(code.name) does not match \(code.pattern)")
            }
            codes[code.name] = code
        }
        var classes = Self.intrinsicClasses
        for (name, alternatives) in domain.classes {
            guard codes[name] == nil, Self.intrinsicClasses[name] == nil else {
                throw .invalidDomain("class \(name) has the name of a code or a built-in class")
            }
            let parsed = alternatives.map(text.pieces).filter { !$0.isEmpty }
            guard !parsed.isEmpty else { throw .invalidDomain("class \(name) has no alternatives") }
            classes[name] = parsed
        }
        self.utterances = utterances
        self.classes = classes
        self.codes = codes
        try Self.checkSlots(utterances: utterances, classes: classes, codes: codes)

        var vocabulary = Set<String>()
        for pieces in utterances + classes.values.flatMap({ $0 }) {
            for case .word(let word) in pieces { vocabulary.insert(word) }
        }
        for code in codes.values {
            for slot in code.pattern where slot != "#" && slot != "@" { vocabulary.insert(SpokenWords.letterToken(slot)) }
            if code.pattern.contains("#") { vocabulary.formUnion(Self.intrinsicClasses["digit"]!.flatMap(Self.words)) }
            if code.pattern.contains("@") { vocabulary.formUnion(SpokenWords.letterTokens) }
        }
        self.vocabulary = vocabulary.sorted()
        self.casing = Self.casing(of: domain.sentences + domain.phrases + domain.templates + domain.classes.values.flatMap { $0 })
    }

    /// Whether `name` is a class or a code.
    func isSlot(_ name: String) -> Bool {
        classes[name] != nil || codes[name] != nil
    }

    private static func words(_ pieces: [SpeechPiece]) -> [String] {
        pieces.compactMap { if case .word(let word) = $0 { word } else { nil } }
    }

    /// Every slot is defined, and no class refers back to itself.
    private static func checkSlots(
        utterances: [[SpeechPiece]], classes: [String: [[SpeechPiece]]], codes: [String: SpokenCode]
    ) throws(SpeechError) {
        func slots(_ pieces: [SpeechPiece]) -> [String] {
            pieces.compactMap { if case .slot(let name) = $0 { name } else { nil } }
        }
        for pieces in utterances + classes.values.flatMap({ $0 }) {
            for name in slots(pieces) where classes[name] == nil && codes[name] == nil {
                throw .invalidDomain("unknown slot {\(name)}")
            }
        }
        // Depth-first search for a cycle among the classes.
        var state: [String: Bool] = [:]  // false: on the path, true: done
        func visit(_ name: String) throws(SpeechError) {
            if let done = state[name] {
                if !done { throw .invalidDomain("class \(name) refers to itself") }
                return
            }
            state[name] = false
            for alternative in classes[name] ?? [] {
                for next in slots(alternative) where classes[next] != nil { try visit(next) }
            }
            state[name] = true
        }
        for name in classes.keys.sorted() { try visit(name) }
    }

    /// Words written with capitals somewhere other than at the start of a sentence, and "I".
    private static func casing(of lines: [String]) -> [String: String] {
        var casing: [String: String] = ["i": "I", "i'm": "I'm", "i'll": "I'll", "i'd": "I'd", "i've": "I've"]
        for line in lines {
            let tokens = line.split(whereSeparator: { $0.isWhitespace || $0 == "-" })
            for (index, raw) in tokens.enumerated() {
                let word = raw.filter { $0.isLetter || $0 == "'" }
                guard let first = word.first, first.isUppercase, word.contains(where: \.isLowercase) else { continue }
                if index == 0 && SpeechDomain.standardClasses.values.allSatisfy({ !$0.contains(String(word)) }) {
                    continue
                }
                casing[word.lowercased()] = String(word)
            }
        }
        return casing
    }
}
