/// How readily `IntentRouter` moves a caller from one agent to another.
public struct RouterSettings: Sendable, Hashable {
    /// The score the best domain agent needs before the router switches to it.
    public var threshold: Double = 2.0
    /// How far the best agent must be ahead of the current one to take the caller: a turn that
    /// fits both about equally ("can I change it?") stays where it is.
    public var margin: Double = 1.0
    /// Added to an agent's score for each of its routing keywords in the utterance.
    public var keywordBoost: Double = 2.0
    /// How much the agent's second-best example adds to its best one (0 scores by the best only).
    public var secondExampleWeight: Double = 0.5
    /// The BM25 constants for the example index.
    public var bm25 = TextIndex.Parameters()

    public init(threshold: Double = 2.0, margin: Double = 1.0, keywordBoost: Double = 2.0, secondExampleWeight: Double = 0.5,
                bm25: TextIndex.Parameters = TextIndex.Parameters()) {
        self.threshold = threshold
        self.margin = margin
        self.keywordBoost = keywordBoost
        self.secondExampleWeight = secondExampleWeight
        self.bm25 = bm25
    }
}
