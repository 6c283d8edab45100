import RealtimeProtocol

/// One tool as a pack's `tools/<name>.yaml` declares it: its public face (name, description,
/// JSON-schema parameters) and how the hub runs it.
public struct ToolDefinition: Sendable {
    public var name: String
    public var description: String
    /// A JSON schema of `type: object`.
    public var parameters: JSONValue
    public var kind: Kind
    /// How long one call may take; the hub's default when `nil`.
    public var timeout: Duration?
    /// What the agent says when a call runs long; `nil`: nothing.
    public var filler: ToolFiller? = .standard
    /// The file's own `filler:`, resolved over the pack's when the pack is loaded.
    var fillerDeclaration: FillerDeclaration?
    /// The file, and the line of each part, for problems found after parsing.
    public var file: String
    public var line: Int

    public enum Kind: Sendable {
        case sql(SQLToolPlan)
        case knowledge(folder: String?, topics: String?)
        /// A request to the business's own systems (a CRM, a booking system).
        case http(HTTPToolPlan)
        /// Call control: end the call, transfer it, press keys.
        case builtin(CallControlPlan)
    }

    public init(name: String, description: String, parameters: JSONValue, kind: Kind, timeout: Duration? = nil, file: String = "", line: Int = 1) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.kind = kind
        self.timeout = timeout
        self.file = file
        self.line = line
    }

    /// The parameter names the schema declares.
    public var parameterNames: [String] {
        parameters.objectValue?["properties"]?.objectValue?.members.map(\.0) ?? []
    }
}

/// The statements of a `kind: sql` tool, in the order they run.
public struct SQLToolPlan: Sendable {
    /// Values made before the steps run.
    public var generate: [Generated]
    /// The steps (`transaction:` or `steps:`), then the final `query:` when there is one.
    public var steps: [SQLStep]
    /// Whether the steps run in one transaction (`transaction:`) rather than as plain reads.
    public var isTransaction: Bool
    /// Where the answer's facts come from.
    public var sources: [SourceRule]

    public init(generate: [Generated] = [], steps: [SQLStep], isTransaction: Bool, sources: [SourceRule] = []) {
        self.generate = generate
        self.steps = steps
        self.isTransaction = isTransaction
        self.sources = sources
    }

    /// A generated parameter: a random value of `pattern`, drawn again while `unique` finds it.
    public struct Generated: Sendable {
        public var name: String
        public var pattern: String
        public var unique: String?
        public var line: Int

        public init(name: String, pattern: String, unique: String?, line: Int) {
            self.name = name
            self.pattern = pattern
            self.unique = unique
            self.line = line
        }
    }

    /// `[table, key column, …]`, one source per result (or per row of the array `each`).
    public struct SourceRule: Sendable {
        public var table: String
        public var keys: [String]
        public var each: String?
        public var line: Int

        public init(table: String, keys: [String], each: String? = nil, line: Int) {
            self.table = table
            self.keys = keys
            self.each = each
            self.line = line
        }
    }
}

/// One statement of a `kind: sql` tool and what its result means.
public struct SQLStep: Sendable {
    public enum Action: Sendable, Equatable {
        /// Must return a row, else the tool stops with `otherwise`; a non-null `outcome` column stops it too.
        case check(otherwise: String)
        /// A write, or a read whose first row's columns become parameters and fields.
        case statement
        /// A write; when `expect` is given it must change exactly that many rows.
        case run(expect: Int?)
        /// A read whose rows become fields: the first row (`one`), or an array named `array`.
        case query(returns: Returns, array: String?, whenEmpty: String)
    }

    public enum Returns: String, Sendable {
        case one, many
    }

    public var sql: String
    public var action: Action
    /// The line of the statement in the tool file.
    public var line: Int

    public init(sql: String, action: Action, line: Int) {
        self.sql = sql
        self.action = action
        self.line = line
    }
}

/// What the agent says while a slow call runs ("One moment while I check."), once, when the
/// call has run `after` and the agent is not already speaking. Said out of band: it is not part
/// of the conversation or its history.
public struct ToolFiller: Sendable, Hashable {
    public var say: String
    public var after: Duration

    public init(say: String, after: Duration) {
        self.say = say
        self.after = after
    }

    /// A tool's filler when neither the tool nor its pack says otherwise.
    public static let standard = ToolFiller(say: "One moment while I check.", after: .seconds(2))
}
