import Foundation

/// A business as files: its agents, tools, knowledge and data (see docs/packs.md).
public struct Pack: Sendable {
    /// `[a-z][a-z0-9_]*`: the pack's id, its PostgreSQL schema, its SQLite file suffix.
    public var name: String
    public var title: String
    public var description: String
    /// The pack's folder.
    public var directory: String
    /// The agents.
    public var catalog: PersonaCatalog
    /// The tools, by file name order.
    public var tools: [ToolDefinition]
    /// The documents under `knowledge/`.
    public var knowledge: KnowledgeBase
    /// The data, when the pack has any.
    public var data: DataFiles?
    /// How a proven caller becomes a customer.
    public var customers: CustomerQueries
    /// Whether `/realtime` serves this pack when `--default-pack` names none.
    public var isDefault = false
    /// What happens when a caller goes quiet: `.some(nil)` is `idle: off`; `nil`, not written
    /// (phone calls then have ``IdlePolicy/standard``).
    public var idle: IdlePolicy??
    /// What is worked out of each call once it ends; `nil`: only a summary.
    public var analysis: AnalysisPlan?
    /// Whether phone calls are recorded, with the notice said first; `nil`: not recorded.
    public var recording: RecordingPolicy?

    public struct DataFiles: Sendable {
        /// The text of `schema.sql` and `seed.sql`.
        public var schema: String
        public var seed: String
        public var schemaFile: String
        public var seedFile: String
        /// Tables whose rows belong to a customer: a statement naming one must use `:customer_id`.
        public var customerTables: [String]

        public init(schema: String, seed: String, schemaFile: String, seedFile: String, customerTables: [String]) {
            self.schema = schema
            self.seed = seed
            self.schemaFile = schemaFile
            self.seedFile = seedFile
            self.customerTables = customerTables
        }
    }

    /// `by_id` and `by_phone`: each returns one row with `id` and `name`.
    public struct CustomerQueries: Sendable {
        public var byID: String?
        public var byPhone: String?
        public var line: Int
        /// The lines of `by_id` and `by_phone` in pack.yaml.
        public var byIDLine = 1
        public var byPhoneLine = 1

        public init(byID: String? = nil, byPhone: String? = nil, line: Int = 1) {
            self.byID = byID
            self.byPhone = byPhone
            self.line = line
        }
    }

    /// The tool named `name`.
    public func tool(named name: String) -> ToolDefinition? {
        tools.first { $0.name == name }
    }

    /// Session parameters a statement may use and a tool parameter may not be named.
    public static let sessionParameters: Set<String> = ["customer_id", "customer_name", "today", "now"]
}
