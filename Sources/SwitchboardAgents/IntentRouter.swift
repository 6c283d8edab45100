import Foundation
import RealtimeProtocol
import SwitchboardCore

/// Picks the agent for each finished utterance, offline and deterministically.
///
/// Each domain agent's routing examples and description form its documents in one BM25 index;
/// an agent scores its best example plus a part of its second best, plus a boost for each of its
/// routing keywords the utterance contains. The router is sticky: a turn with no content words
/// (only yes/no, thanks, greetings, dates, numbers or codes) stays with the current agent, and a
/// switch needs the best agent above `threshold` and ahead of the current agent by `margin`
/// (and not tied with another agent). A request about something no agent does (``TopicScope``)
/// stays with the current agent, which redirects it.
/// The router persona is where sessions start, never where an utterance sends them.
public struct IntentRouter: UtteranceRouter {
    /// One domain agent as the router sees it.
    struct Agent: Sendable {
        var name: String
        /// Each keyword as lowercased words, matched as a run in the utterance's words (a
        /// trailing plural "s" in the utterance is allowed: "gates" matches "gate").
        var keywords: [(text: String, words: [String])]
        /// The agent's documents in the index, and the example each one is (`nil` for the description).
        var documents: [(index: Int, example: String?)]
    }

    /// The thresholds this router decides with.
    public let settings: RouterSettings
    private let agents: [Agent]
    private let index: TextIndex
    /// What none of the agents does: such a request stays where it is, to be redirected.
    private let scope: TopicScope
    /// Each agent's identifier patterns (its tools' parameters' `pattern`s): a code only one
    /// agent's tools take says which agent the turn is for.
    private let identifiers: [(agent: String, patterns: [String])]
    /// Each agent's vocabulary words (the distinctive words of the values of the pack's
    /// vocabularies its tools take, like a staff member's surname): a name only one agent's tools
    /// take says which agent the turn is for, as a code does.
    private let names: [(agent: String, words: Set<String>)]

    /// A router over `catalog`'s domain agents (role `agent`). `parameters` gives a tool's
    /// JSON-schema parameters by name (the hub's tool registry), for the identifiers each
    /// agent's tools take.
    public init(catalog: PersonaCatalog, settings: RouterSettings = RouterSettings(),
                parameters: (String) -> JSONValue? = { _ in nil }) {
        self.settings = settings
        var texts: [String] = []
        var agents: [Agent] = []
        for persona in catalog.agents {
            var documents: [(index: Int, example: String?)] = []
            for example in persona.routingExamples {
                documents.append((texts.count, example))
                texts.append(example)
            }
            documents.append((texts.count, nil))
            texts.append(persona.description)
            var keywords: [(text: String, words: [String])] = []
            for keyword in persona.routingKeywords {
                let words = TextTokenizer.words(keyword)
                if !words.isEmpty, !keywords.contains(where: { $0.words == words }) { keywords.append((keyword, words)) }
            }
            agents.append(Agent(name: persona.name, keywords: keywords, documents: documents))
        }
        self.agents = agents
        self.index = TextIndex(documents: texts, parameters: settings.bm25)
        self.scope = TopicScope(catalog: catalog)
        self.identifiers = catalog.agents.map { persona in
            let patterns = persona.tools.flatMap { tool -> [String] in
                let properties = parameters(tool.name)?["properties"]?.objectValue?.members ?? []
                return properties.compactMap { $0.1["pattern"]?.stringValue }
            }
            return (persona.name, Array(Set(patterns)).sorted())
        }.filter { !$0.patterns.isEmpty }
        self.names = catalog.agents.map { persona in
            let taken = persona.tools.flatMap { tool in parameters(tool.name)?["properties"]?.objectValue?.members.map(\.0) ?? [] }
            let values = taken.flatMap { catalog.speech.words[$0] ?? [] }
            let words = values.flatMap(TextTokenizer.words).filter { TextTokenizer.term($0) != nil && !Self.titles.contains($0) && !$0.contains(where: \.isNumber) }
            return (persona.name, Set(words))
        }.filter { !$0.words.isEmpty }
    }

    /// Words that come with names but tell no name apart.
    static let titles: Set<String> = ["doctor", "dr", "mr", "mrs", "ms", "miss", "sir", "madam", "professor"]

    /// The agent that should answer `utterance` while `current` is active, and why.
    /// After the current agent asked a question, the reply stays with it unless it names
    /// another agent's code, vocabulary or routing keyword ("the one in Lisbon" answers
    /// "Which one?"; "what are your opening hours?" does not).
    public func route(_ utterance: String, current: String, asked: String?) -> RouteChoice {
        let choice = route(utterance, current: current)
        guard choice.agent != current, let asked, asked.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("?"),
              !choice.reason.hasPrefix("identifier"), choice.reason != "vocabulary" else { return choice }
        let words = TextTokenizer.words(utterance)
        let named = agents.first { $0.name == choice.agent }?.keywords.contains { TextTokenizer.contains(words, run: $0.words) } ?? false
        return named ? choice : RouteChoice(agent: current, reason: "answer to \(current)'s question")
    }

    /// Several requests in one utterance go to the agent of the first one that points at an
    /// agent clearly (a code, or a score above the threshold), as a person would answer them in
    /// order; otherwise the whole utterance decides.
    public func route(_ utterance: String, current: String) -> RouteChoice {
        let clauses = Clauses.split(utterance)
        if clauses.count > 1 {
            for clause in clauses {
                let (choice, decided) = decide(clause, current: current)
                if decided { return choice }
            }
        }
        return decide(utterance, current: current).choice
    }

    /// The route for `utterance`, and whether something in it pointed at that agent (rather
    /// than the turn staying for lack of evidence).
    private func decide(_ utterance: String, current: String) -> (choice: RouteChoice, decided: Bool) {
        if let owner = identifierOwner(utterance, current: current) { return (owner, true) }
        guard Self.hasContent(utterance) else { return (RouteChoice(agent: current, reason: "neutral turn"), false) }
        if let topic = scope.outOfScope(utterance) { return (RouteChoice(agent: current, reason: "out of scope: \(topic)"), false) }
        // Keywords of one agent only (weighing the threshold): that agent, whatever place names
        // or other words say.
        let words = TextTokenizer.words(utterance)
        let named = agents.filter { agent in agent.keywords.contains { TextTokenizer.contains(words, run: $0.words) } }
        if named.count == 1, let agent = named.first,
           case let matched = agent.keywords.filter({ TextTokenizer.contains(words, run: $0.words) }).map(\.text),
           settings.keywordBoost * Double(matched.count) >= settings.threshold {
            return (RouteChoice(agent: agent.name, reason: "keywords: \(matched.joined(separator: ", "))"), true)
        }
        let ranked = rank(utterance)
        guard let best = ranked.first, best.score > 0 else { return (RouteChoice(agent: current, reason: "no agent matched"), false) }
        let choice = choose(ranked, best: best, current: current)
        return (choice, best.score >= settings.threshold && choice.agent == best.agent)
    }

    private func choose(_ ranked: [(agent: String, score: Double, reason: String)], best: (agent: String, score: Double, reason: String),
                        current: String) -> RouteChoice {
        if best.agent == current { return RouteChoice(agent: current, reason: best.reason) }
        guard best.score >= settings.threshold else {
            return RouteChoice(agent: current, reason: "below threshold: \(best.agent) \(Self.format(best.score))")
        }
        if ranked.count > 1, ranked[1].agent != current, ranked[1].score >= best.score - 1e-9 {
            return RouteChoice(agent: current, reason: "tie between \(best.agent) and \(ranked[1].agent)")
        }
        let currentScore = ranked.first { $0.agent == current }?.score ?? 0
        guard best.score - currentScore >= settings.margin else {
            return RouteChoice(agent: current, reason: "\(best.agent) not ahead of \(current) by the margin (\(Self.format(best.score)) vs \(Self.format(currentScore)))")
        }
        return RouteChoice(agent: best.agent, reason: best.reason)
    }

    /// The agent a code in `utterance` belongs to, when only one agent's tools take it (the
    /// current agent's, when its tools take it too): "AB123" is the orders agent's, "R123456"
    /// the returns agent's. The first code said decides.
    private func identifierOwner(_ utterance: String, current: String) -> RouteChoice? {
        if !names.isEmpty {
            let words = Set(TextTokenizer.words(utterance))
            let owners = names.filter { !$0.words.isDisjoint(with: words) }.map(\.agent)
            if owners.contains(current) { return RouteChoice(agent: current, reason: "vocabulary") }
            if owners.count == 1 { return RouteChoice(agent: owners[0], reason: "vocabulary") }
        }
        guard !identifiers.isEmpty, SpokenCodes.mayHoldCode(utterance) else { return nil }
        var found: [(code: String, agents: [String])] = []
        for (agent, patterns) in identifiers {
            for pattern in patterns {
                guard let code = SpokenCodes.token(matching: pattern, in: utterance) else { continue }
                if let index = found.firstIndex(where: { $0.code == code }) {
                    if !found[index].agents.contains(agent) { found[index].agents.append(agent) }
                } else {
                    found.append((code, [agent]))
                }
            }
        }
        let pieces = SpokenCodes.pieces(of: utterance).joined()
        guard let first = found.min(by: { (pieces.range(of: $0.code)?.lowerBound ?? pieces.endIndex) < (pieces.range(of: $1.code)?.lowerBound ?? pieces.endIndex) }) else {
            return nil
        }
        if first.agents.contains(current) { return RouteChoice(agent: current, reason: "identifier: \(first.code)") }
        guard first.agents.count == 1 else { return nil }
        return RouteChoice(agent: first.agents[0], reason: "identifier: \(first.code)")
    }

    /// Every domain agent's score for `utterance`, best first (for diagnostics).
    public func scores(_ utterance: String) -> [(agent: String, score: Double)] {
        rank(utterance).map { ($0.agent, $0.score) }
    }

    /// The agents' evaluations, best first; equal scores keep catalog order.
    private func rank(_ utterance: String) -> [(agent: String, score: Double, reason: String)] {
        evaluate(utterance).enumerated()
            .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .map(\.element)
    }

    /// Each agent's score and the reason it would give, in catalog order.
    private func evaluate(_ utterance: String) -> [(agent: String, score: Double, reason: String)] {
        let terms = TextTokenizer.words(utterance).filter { !NeutralWords.contains($0) }.compactMap(TextTokenizer.term)
        let words = TextTokenizer.words(utterance)
        return agents.map { agent in
            let ranked = agent.documents
                .map { (example: $0.example, score: index.score(terms: terms, document: $0.index)) }
                .sorted { $0.score > $1.score }
            let best = ranked.first?.score ?? 0
            let second = ranked.count > 1 ? ranked[1].score : 0
            let matched = agent.keywords.filter { TextTokenizer.contains(words, run: $0.words) }.map(\.text)
            let score = best + settings.secondExampleWeight * second + settings.keywordBoost * Double(matched.count)
            let reason: String
            if !matched.isEmpty {
                reason = "keywords: \(matched.joined(separator: ", "))"
            } else if let example = ranked.first(where: { $0.score > 0 }) {
                reason = example.example.map { "examples: '\($0)'" } ?? "description"
            } else {
                reason = "no match"
            }
            return (agent.name, score, reason)
        }
    }

    /// Whether `utterance` has a word that is neither a stopword nor neutral.
    public static func hasContent(_ utterance: String) -> Bool {
        TextTokenizer.words(utterance).contains { !NeutralWords.contains($0) && TextTokenizer.term($0) != nil }
    }

    private static func format(_ score: Double) -> String {
        let rounded = (score * 100).rounded() / 100
        return "\(rounded)"
    }
}
