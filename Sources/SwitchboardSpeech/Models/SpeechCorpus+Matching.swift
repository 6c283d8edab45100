extension SpeechCorpus {
    /// Whether `words` (recognizer tokens, fillers left out) are one of the utterances, with
    /// its slots filled by an alternative of their class or by a code of their kind: whether
    /// the grammar generated from the corpus accepts them.
    func accepts(_ words: [String]) -> Bool {
        guard !words.isEmpty else { return false }
        var cache: [SlotKey: Set<Int>] = [:]
        return utterances.contains { ends(of: $0[...], in: words, from: [0], cache: &cache).contains(words.count) }
    }

    private struct SlotKey: Hashable {
        var name: String
        var start: Int
    }

    /// Where a match of `pieces` can end in `words` when it starts at any of `starts`.
    private func ends(of pieces: ArraySlice<SpeechPiece>, in words: [String], from starts: Set<Int>, cache: inout [SlotKey: Set<Int>]) -> Set<Int> {
        var positions = starts
        for piece in pieces {
            var next = Set<Int>()
            for position in positions {
                switch piece {
                case .word(let word):
                    if position < words.count, words[position] == word { next.insert(position + 1) }
                case .slot(let name):
                    next.formUnion(slotEnds(name, in: words, from: position, cache: &cache))
                }
            }
            positions = next
            if positions.isEmpty { break }
        }
        return positions
    }

    /// Where the slot `name` (a code or a class) can end when it starts at `start`.
    private func slotEnds(_ name: String, in words: [String], from start: Int, cache: inout [SlotKey: Set<Int>]) -> Set<Int> {
        let key = SlotKey(name: name, start: start)
        if let known = cache[key] { return known }
        var result = Set<Int>()
        if let code = codes[name] {
            if let match = code.match(words, at: start) { result.insert(start + match.length) }
        } else if let alternatives = classes[name] {
            for alternative in alternatives {
                result.formUnion(ends(of: alternative[...], in: words, from: [start], cache: &cache))
            }
        }
        cache[key] = result
        return result
    }
}
