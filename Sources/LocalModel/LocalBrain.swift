import SwitchboardAgents

/// The local model's answers: deterministic, rendered from the active persona. No language model.
public struct LocalBrain: Sendable {
    public let catalog: PersonaCatalog

    public init(catalog: PersonaCatalog) {
        self.catalog = catalog
    }

    /// The persona whose instructions these are (the default when none matches).
    public func persona(forInstructions instructions: String?) -> Persona {
        guard let instructions, !instructions.isEmpty else { return catalog.defaultPersona }
        let matches = catalog.personas.filter { !$0.instructionsSignature.isEmpty && instructions.hasPrefix($0.instructionsSignature) }
        return matches.max(by: { $0.instructionsSignature.count < $1.instructionsSignature.count }) ?? catalog.defaultPersona
    }

    /// The answer to `utterance` as `persona`.
    public func answer(_ utterance: String, as persona: Persona) -> String {
        let words = Self.words(utterance)
        let greetings: Set<String> = ["hello", "hi", "hey", "hiya", "morning", "afternoon", "evening", "good"]
        let helpWords: Set<String> = ["help", "can", "do", "offer", "services", "options"]
        if words.isEmpty { return persona.greeting }
        let askedForHelp = words.contains("help") || (words.contains("what") && !helpWords.isDisjoint(with: words) && words.contains("you"))
        if askedForHelp {
            return persona.capabilities.isEmpty ? persona.greeting : "I can help with \(Self.list(persona.capabilities))."
        }
        if words.allSatisfy({ greetings.contains($0) || $0 == "there" || $0 == "switchboard" }) {
            return persona.greeting
        }
        if words.allSatisfy({ ["thanks", "thank", "you", "bye", "goodbye", "cheers"].contains($0) }) {
            return "You're welcome. Goodbye!"
        }
        guard !persona.capabilities.isEmpty else { return persona.fallback }
        return "\(persona.fallback) I can help with \(Self.list(persona.capabilities))."
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "'" }).map(String.init)
    }

    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
        }
    }
}
