import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData

/// A loaded pack with its database open: its tools ready to run and its customers to look up.
public struct PackRuntime: Sendable {
    public let pack: Pack
    /// The pack's data; `nil` for a pack without `data:`.
    public let database: (any PackDatabase)?
    public let tools: ToolRegistry
    private let byID: NamedStatement?
    private let byPhone: NamedStatement?

    /// The pack's tools over `database`. Throws `DataError` for a statement that does not parse,
    /// and `PersonaProblem` for an SQL tool in a pack without data or an http tool whose secret
    /// is not in `secrets` (configuration: `--secret NAME=VALUE`, `SWITCHBOARD_SECRET_<NAME>`).
    public init(pack: Pack, database: (any PackDatabase)?, timeout: Duration = .seconds(5), secrets: [String: String] = [:]) throws {
        var tools: [any Tool] = []
        var timeouts: [String: Duration] = [:]
        var fillers: [String: ToolFiller] = [:]
        for definition in pack.tools {
            switch definition.kind {
            case .sql(let plan):
                guard let database else {
                    throw PersonaProblem(file: definition.file, line: definition.line, message: "an sql tool needs the pack's data (data: in pack.yaml)")
                }
                tools.append(try SQLTool(definition: definition, plan: plan, database: database))
            case .knowledge(let folder, _):
                tools.append(KnowledgeTool(definition: definition, knowledge: pack.knowledge, folder: folder))
            case .http(let plan):
                tools.append(try HTTPTool(definition: definition, plan: plan, secrets: secrets, timeout: definition.timeout ?? timeout))
            case .builtin(let plan):
                tools.append(CallControlTool(definition: definition, plan: plan))
            }
            if let limit = definition.timeout { timeouts[definition.name] = limit }
            if let filler = definition.filler { fillers[definition.name] = filler }
        }
        self.pack = pack
        self.database = database
        self.tools = ToolRegistry(tools: tools, timeout: timeout, timeouts: timeouts, fillers: fillers)
        self.byID = try pack.customers.byID.map { (text) throws(DataError) in try NamedStatement(text) }
        self.byPhone = try pack.customers.byPhone.map { (text) throws(DataError) in try NamedStatement(text) }
    }

    /// Every secret the pack's http tools use that `secrets` lacks, each a problem naming the
    /// tool, its file and the secret (never a value): the hub refuses to start on any.
    public static func missingSecrets(_ pack: Pack, secrets: [String: String]) -> [PersonaProblem] {
        pack.tools.flatMap { definition -> [PersonaProblem] in
            guard case .http(let plan) = definition.kind else { return [] }
            return HTTPTool.missingSecrets(definition: definition, plan: plan, secrets: secrets)
        }
    }

    /// The customer with this id; `nil` when there is none (or the pack has no `customers.by_id`).
    public func customer(id: String) async throws -> CustomerRecord? {
        guard let byID, let database else { return nil }
        return try await Self.customer(byID, ["customer_id": .text(id)], database)
    }

    /// The customer whose number is `phone` (any formatting; compared in E.164); `nil` when none.
    public func customer(phone: String) async throws -> CustomerRecord? {
        guard let byPhone, let database, let number = PhoneNumber.e164(phone) else { return nil }
        return try await Self.customer(byPhone, ["phone": .text(number)], database)
    }

    private static func customer(_ statement: NamedStatement, _ parameters: [String: SQLValue], _ database: any PackDatabase) async throws -> CustomerRecord? {
        let rows = try await database.read { runner in try await runner.rows(statement, parameters) }
        guard let row = rows.first else { return nil }
        guard case .text(let id)? = row["id"] else { throw DataError.corrupt("the customers query returned no text column 'id'") }
        var name = ""
        if case .text(let text)? = row["name"] { name = text }
        return CustomerRecord(id: id, name: name)
    }
}
