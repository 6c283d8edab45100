import RealtimeProtocol
import SwitchboardAgents

/// The local model's answers: deterministic, rendered from the active persona. No language model.
///
/// Each `response.create` gets one `BrainReply`: a function call when the persona has a tool for
/// what the caller asked (with its arguments taken from what was said), a question when an
/// argument is missing, the persona's answer template filled from a tool's output, or small talk.
public struct LocalBrain: Sendable {
    /// The personas the model answers as.
    public let catalog: PersonaCatalog
    /// The clock relative dates are resolved against.
    public let today: @Sendable () -> CalendarDay
    /// What none of the catalog's agents does.
    let scope: TopicScope

    /// A brain for `catalog`'s personas, counting relative dates from `today()` (this machine's
    /// date unless a test fixes it).
    public init(catalog: PersonaCatalog, today: @escaping @Sendable () -> CalendarDay = CalendarDay.today) {
        self.catalog = catalog
        self.today = today
        self.scope = TopicScope(catalog: catalog)
    }

    /// What the model says when the caller declines a confirmation.
    public static let declined = "All right, I haven't changed anything."

    /// The persona whose instructions these are (the default when none matches).
    public func persona(forInstructions instructions: String?) -> Persona {
        guard let instructions, !instructions.isEmpty else { return catalog.defaultPersona }
        let matches = catalog.personas.filter { !$0.instructionsSignature.isEmpty && instructions.hasPrefix($0.instructionsSignature) }
        return matches.max(by: { $0.instructionsSignature.count < $1.instructionsSignature.count }) ?? catalog.defaultPersona
    }

    /// The small-talk answer to `utterance` as `persona`: a greeting, what it can help with, a
    /// goodbye, or its fallback.
    public func answer(_ utterance: String, as persona: Persona) -> String {
        let said = Utterance(utterance)
        if said.isEmpty { return persona.greeting }
        if let act = SocialTurn.act(of: said) { return act.reply(as: persona, previous: nil) }
        if asksForHelp(said.words) { return help(persona) }
        guard !persona.capabilities.isEmpty else { return persona.fallback }
        return "\(persona.fallback) I can help with \(AnswerTemplate.spokenList(persona.capabilities))."
    }

    /// The short answer to a request for something no agent of the pack does: what this one can
    /// help with instead.
    func redirect(_ topic: String, as persona: Persona) -> String {
        let offer = persona.capabilities.isEmpty ? "" : " I can help with \(AnswerTemplate.spokenList(persona.capabilities))."
        return "I'm sorry, I can't help with \(topic) here.\(offer)"
    }

    func asksForHelp(_ words: [String]) -> Bool {
        let helpWords: Set<String> = ["help", "can", "do", "offer", "services", "options"]
        return words.contains("help") || (words.contains("what") && !helpWords.isDisjoint(with: words) && words.contains("you"))
    }

    func help(_ persona: Persona) -> String {
        persona.capabilities.isEmpty ? persona.greeting : "I can help with \(AnswerTemplate.spokenList(persona.capabilities))."
    }

    /// The answer template for `tool`'s `outcome`: the persona's own, else another persona's that
    /// knows the tool (the answer may arrive after a handoff).
    func template(tool: String, outcome: String, persona: Persona) -> String? {
        if let own = persona.answers[tool]?[outcome] { return own }
        return catalog.personas.lazy.compactMap { $0.answers[tool]?[outcome] }.first
    }

    /// The persona's tools that the session declared, in the persona's order.
    func usableTools(_ persona: Persona, declared: [FunctionTool]) -> [(hint: PersonaTool, tool: FunctionTool)] {
        persona.tools.compactMap { hint in
            declared.first { $0.name == hint.name }.map { (hint, $0) }
        }
    }
}
