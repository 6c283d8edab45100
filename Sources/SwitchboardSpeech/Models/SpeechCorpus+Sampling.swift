extension SpeechCorpus {
    /// Training sentences for the language model: every utterance without slots once, every
    /// utterance with slots `expansions` times with its slots filled in. Class alternatives are
    /// taken in turn, so each is used; codes are the code kind's examples in turn, then codes
    /// drawn at random (seeded, so the same domain always gives the same sentences), with zero
    /// said as "oh" or "zero" in turn.
    func trainingSentences(expansions: Int = 12, seed: UInt64 = 0x5B20_4B51_0431) -> [[String]] {
        var filler = SlotFiller(corpus: self, generator: SplitMix64(seed: seed))
        var sentences: [[String]] = []
        for utterance in utterances {
            let hasSlots = utterance.contains { if case .slot = $0 { true } else { false } }
            for _ in 0..<(hasSlots ? max(1, expansions) : 1) {
                sentences.append(filler.fill(utterance))
            }
        }
        return sentences
    }
}

/// Fills slots in turn: the state behind ``SpeechCorpus/trainingSentences(expansions:seed:)``.
private struct SlotFiller {
    let corpus: SpeechCorpus
    var generator: SplitMix64
    var turns: [String: Int] = [:]
    var zeroTurn = 0

    mutating func fill(_ pieces: [SpeechPiece]) -> [String] {
        var words: [String] = []
        for piece in pieces {
            switch piece {
            case .word(let word):
                words.append(word)
            case .slot(let name):
                words += fill(slot: name)
            }
        }
        return words
    }

    private mutating func next(_ name: String, count: Int) -> Int {
        let turn = turns[name, default: 0]
        turns[name] = turn + 1
        return turn % count
    }

    private mutating func fill(slot name: String) -> [String] {
        if let code = corpus.codes[name] {
            let turn = next(name, count: Int.max)
            let written = turn < code.examples.count ? code.examples[turn] : code.random(using: &generator)
            zeroTurn += 1
            return SpokenCode.spoken(written, zero: zeroTurn % 2 == 0 ? "zero" : "oh")
        }
        guard let alternatives = corpus.classes[name], !alternatives.isEmpty else { return [] }
        let choice: Int
        if SpeechCorpus.intrinsicClasses[name] != nil {
            choice = Int(generator.next() % UInt64(alternatives.count))
        } else {
            choice = next(name, count: alternatives.count)
        }
        return fill(alternatives[choice])
    }
}

/// A small, seedable generator (SplitMix64): the same seed gives the same sequence everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
