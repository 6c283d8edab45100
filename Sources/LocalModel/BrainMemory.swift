import RealtimeProtocol

/// The local model's working memory for one session: what it is in the middle of doing.
/// Forgotten (apart from which calls were answered) when the persona changes.
public struct BrainMemory: Sendable, Hashable {
    /// A call the model is still collecting arguments for.
    public struct Task: Sendable, Hashable {
        /// The tool to call.
        public var tool: String
        /// The arguments found so far.
        public var slots: JSONObject

        public init(tool: String, slots: JSONObject) {
            self.tool = tool
            self.slots = slots
        }
    }

    /// A check whose answer asked the caller to confirm.
    public struct Confirmation: Sendable, Hashable {
        /// The check that was answered (`check_change_booking`).
        public var check: String
        /// The tool a yes calls (`confirm_booking_change`).
        public var confirm: String
        /// The check's arguments, which the confirmation reuses.
        public var arguments: JSONObject

        public init(check: String, confirm: String, arguments: JSONObject) {
            self.check = check
            self.confirm = confirm
            self.arguments = arguments
        }
    }

    /// A call waiting for the caller's own records: the listing tool was called to find the
    /// identifier the caller did not say ("my order", "my booking").
    public struct Lookup: Sendable, Hashable {
        /// The call to make once a record is chosen.
        public var task: Task
        /// The listing tool called for it.
        public var listing: String
        /// The words of the utterance that may tell which record ("london", "blue").
        public var hint: [String]
        /// Changes stated against the record, by parameter: days a date moves, or how much a
        /// count changes ("a day later", "one more night").
        public var changes: [String: Int]

        public init(task: Task, listing: String, hint: [String], changes: [String: Int] = [:]) {
            self.task = task
            self.listing = listing
            self.hint = hint
            self.changes = changes
        }
    }

    /// The caller's records the model asked them to choose among ("Which one: …?"), for the
    /// call waiting on the choice.
    public struct Choice: Sendable, Hashable {
        public var task: Task
        public var rows: [JSONObject]
        /// Changes stated against the record still to choose (``Lookup/changes``).
        public var changes: [String: Int]

        public init(task: Task, rows: [JSONObject], changes: [String: Int] = [:]) {
            self.task = task
            self.rows = rows
            self.changes = changes
        }
    }

    /// The persona the memory belongs to.
    public var persona: String?
    /// The records the caller was asked to choose among.
    public var choice: Choice?
    /// The call waiting for the caller's records, when a listing tool runs for it.
    public var lookup: Lookup?
    /// The call waiting for a missing argument.
    public var pending: Task?
    /// The confirmation waiting for a yes or a no.
    public var awaiting: Confirmation?
    /// The last call made, other than a confirmation: a new value for one of its arguments
    /// ("what about SB311?", a re-read confirmation code) makes it again.
    public var lastCall: Task?
    /// The `call_id`s whose outputs have been answered.
    public var answeredCalls: Set<String> = []
    /// The later requests of an utterance that held several, to take up in order once the
    /// earlier ones are answered.
    public var followUps: [String] = []
    /// The answers given so far to an utterance's earlier requests, said together with the last.
    public var deferred: [String] = []

    public init() {}

    /// Switches to `persona`, forgetting unfinished work when it is a different one.
    mutating func enter(_ persona: String) {
        guard self.persona != persona else { return }
        self.persona = persona
        pending = nil
        awaiting = nil
        lastCall = nil
        lookup = nil
        choice = nil
        followUps = []
        deferred = []
    }
}

/// What the local model does in answer to `response.create`.
public enum BrainReply: Sendable, Hashable {
    /// Say this text.
    case say(String)
    /// Call this tool with these arguments.
    case call(name: String, arguments: JSONObject)
}
