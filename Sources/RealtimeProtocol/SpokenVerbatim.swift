/// Instructions that ask a model to say one given sentence and nothing else, in words any
/// realtime model follows. The hub sends them for out-of-band responses of its own (a filler
/// while a tool runs); the embedded model recognises them and speaks the sentence as written.
public enum SpokenVerbatim {
    private static let lead = "Say exactly the following sentence, word for word, and nothing else: \""

    /// The instructions to say `sentence` (which holds no double quote).
    public static func instructions(_ sentence: String) -> String {
        lead + sentence.filter { $0 != "\"" } + "\""
    }

    /// The sentence `instructions` ask to be said, when they are ``instructions(_:)``'s.
    public static func sentence(in instructions: String) -> String? {
        guard instructions.hasPrefix(lead), instructions.hasSuffix("\""), instructions.count > lead.count + 1 else { return nil }
        let sentence = instructions.dropFirst(lead.count).dropLast()
        guard !sentence.isEmpty, !sentence.contains("\"") else { return nil }
        return String(sentence)
    }
}
