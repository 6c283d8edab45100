import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData

/// A `kind: sql` tool: the pack's declared statements run against its database, parameters
/// bound from the session, the model's arguments, earlier rows and generated values (see
/// docs/packs.md, "What a tool returns").
public struct SQLTool: Tool {
    public let spec: ToolSpec
    public let plan: CompiledPlan
    public let database: any PackDatabase

    /// Compiles `definition`'s statements (parameter names found once); throws `DataError`
    /// for a statement that does not parse.
    public init(definition: ToolDefinition, plan: SQLToolPlan, database: any PackDatabase) throws(DataError) {
        self.spec = ToolSpec(name: definition.name, description: definition.description, parameters: definition.parameters)
        self.plan = try CompiledPlan(plan, arguments: definition.parameterNames)
        self.database = database
    }

    public func run(_ arguments: JSONObject, context: ToolContext) async throws -> ToolResult {
        var parameters = context.sessionParameters
        var fields = JSONObject()
        for (name, value) in arguments.members where !Pack.sessionParameters.contains(name) {
            parameters[name] = SQLValue(json: value)
            fields[name] = value
        }
        for name in plan.arguments where parameters[name] == nil {
            parameters[name] = .null
        }
        let plan = self.plan
        let start = Execution(parameters: parameters, fields: fields)
        let engine = database.engine
        let execution: Execution
        do {
            if plan.writes {
                execution = try await database.transaction { runner in try await plan.execute(start, runner) }
            } else {
                execution = try await database.read { runner in try await plan.execute(start, runner) }
            }
        } catch let stop as Stopped {
            return stop.execution.result(plan: plan, engine: engine)
        }
        return execution.result(plan: plan, engine: engine)
    }

    /// What the steps have found so far.
    struct Execution: Sendable {
        var parameters: [String: SQLValue]
        var fields: JSONObject
        var outcome: String?
        /// The fields that came from rows (not from the model's arguments): what sources name.
        var found = JSONObject()

        /// Adds a row's columns: as fields (unless hidden or null) and as parameters (never
        /// replacing one).
        mutating func absorb(_ row: SQLRow) {
            for (column, value) in zip(row.columns, row.values) {
                if parameters[column] == nil { parameters[column] = value }
                if column == "outcome" {
                    if case .text(let text) = value { outcome = text }
                    continue
                }
                guard !column.hasPrefix("_") else { continue }
                if value == .null {
                    fields[column] = nil
                    found[column] = nil
                } else {
                    fields[column] = value.json
                    found[column] = value.json
                }
            }
        }

        func result(plan: CompiledPlan, engine: String) -> ToolResult {
            ToolResult(outcome: outcome ?? "found", fields: fields, sources: plan.sources(fields: found, engine: engine))
        }
    }

    /// Thrown inside a transaction to stop the tool with an outcome (and roll back).
    struct Stopped: Error {
        var execution: Execution
    }
}

/// A tool plan with its statements parsed.
public struct CompiledPlan: Sendable {
    struct Step: Sendable {
        var statement: NamedStatement
        var action: SQLStep.Action
    }

    struct Generated: Sendable {
        var name: String
        var pattern: GeneratedPattern
        var unique: NamedStatement?
    }

    let steps: [Step]
    let generated: [Generated]
    let sourceRules: [SQLToolPlan.SourceRule]
    /// The tool's parameter names (bound as `NULL` when left out).
    let arguments: [String]
    /// Whether any statement writes (then all of them run in one transaction).
    let writes: Bool

    init(_ plan: SQLToolPlan, arguments: [String]) throws(DataError) {
        var steps: [Step] = []
        for step in plan.steps { steps.append(Step(statement: try NamedStatement(step.sql), action: step.action)) }
        var generated: [Generated] = []
        for item in plan.generate {
            guard let pattern = GeneratedPattern(item.pattern) else { throw DataError.corrupt("generate \(item.name): bad pattern \(item.pattern)") }
            generated.append(Generated(name: item.name, pattern: pattern, unique: try item.unique.map { (text) throws(DataError) in try NamedStatement(text) }))
        }
        self.steps = steps
        self.generated = generated
        self.sourceRules = plan.sources
        self.arguments = arguments
        self.writes = plan.isTransaction || steps.contains { $0.statement.isWrite }
    }

    func execute(_ start: SQLTool.Execution, _ runner: any StatementRunner) async throws -> SQLTool.Execution {
        var execution = start
        for item in generated {
            var generator = SystemRandomNumberGenerator()
            var value = item.pattern.generate(using: &generator)
            if let unique = item.unique {
                var attempts = 1
                while true {
                    var probe = execution.parameters
                    probe[item.name] = .text(value)
                    if try await runner.rows(unique, probe).isEmpty { break }
                    attempts += 1
                    guard attempts <= 20 else { throw DataError.constraint("no unused value of \(item.name) after 20 tries") }
                    value = item.pattern.generate(using: &generator)
                }
            }
            if execution.parameters[item.name] == nil { execution.parameters[item.name] = .text(value) }
        }
        for step in steps {
            try Task.checkCancellation()
            switch step.action {
            case .check(let otherwise):
                guard let row = try await runner.rows(step.statement, execution.parameters).first else {
                    execution.outcome = otherwise
                    throw SQLTool.Stopped(execution: execution)
                }
                execution.absorb(row)
                if let outcome = row["outcome"], outcome != .null {
                    throw SQLTool.Stopped(execution: execution)
                }
            case .statement where step.statement.isWrite:
                _ = try await runner.run(step.statement, execution.parameters)
            case .statement:
                if let row = try await runner.rows(step.statement, execution.parameters).first { execution.absorb(row) }
            case .run(nil):
                _ = try await runner.run(step.statement, execution.parameters)
            case .run(let expect?):
                let changed = try await runner.run(step.statement, execution.parameters)
                guard changed == expect else {
                    throw DataError.constraint("a step changed \(changed) rows where \(expect) were expected; nothing was changed")
                }
            case .query(.one, _, let whenEmpty):
                guard let row = try await runner.rows(step.statement, execution.parameters).first else {
                    execution.outcome = whenEmpty
                    throw SQLTool.Stopped(execution: execution)
                }
                execution.absorb(row)
            case .query(.many, let array, let whenEmpty):
                let rows = try await runner.rows(step.statement, execution.parameters)
                guard !rows.isEmpty else {
                    execution.outcome = whenEmpty
                    throw SQLTool.Stopped(execution: execution)
                }
                let objects = rows.map { row -> JSONValue in
                    .object(JSONObject(zip(row.columns, row.values).filter { !$0.0.hasPrefix("_") && $0.0 != "outcome" }.map { ($0.0, $0.1.json) }))
                }
                execution.fields[array ?? "rows"] = .array(objects)
                execution.fields["count"] = .int(objects.count)
                execution.found[array ?? "rows"] = .array(objects)
            }
        }
        return execution
    }

    /// The sources of a result: `{"source": "<engine>:<table>", "id": "<key values>"}`.
    func sources(fields: JSONObject, engine: String) -> [JSONValue] {
        var sources: [JSONValue] = []
        func id(_ object: JSONObject, _ keys: [String]) -> String? {
            var parts: [String] = []
            for key in keys {
                guard let value = object[key] else { return nil }
                switch value {
                case .string(let text): parts.append(text)
                case .number(let number): parts.append(number)
                case .bool(let flag): parts.append(flag ? "true" : "false")
                default: return nil
                }
            }
            return parts.joined(separator: " ")
        }
        for rule in sourceRules {
            let name = JSONValue.string("\(engine):\(rule.table)")
            if rule.each == nil, let key = id(fields, rule.keys) {
                sources.append(.object(["source": name, "id": .string(key)]))
                continue
            }
            let arrays = rule.each.map { [$0] } ?? fields.members.filter { $0.value.arrayValue != nil }.map(\.key)
            for array in arrays {
                for case .object(let row) in fields[array]?.arrayValue ?? [] {
                    if let key = id(row, rule.keys) { sources.append(.object(["source": name, "id": .string(key)])) }
                }
            }
        }
        return sources
    }
}

extension ToolContext {
    /// `:customer_id`, `:customer_name`, `:today` and `:now` (the session values, bound).
    var sessionParameters: [String: SQLValue] {
        sessionValues.mapValues(SQLValue.init(json:))
    }
}

extension SQLValue {
    /// A model's argument as a bound value: numbers as integers when whole, booleans as 1 or 0,
    /// lists and objects as their JSON text.
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .string(let text): self = .text(text)
        case .number: self = json.intValue.map(SQLValue.integer) ?? json.doubleValue.map(SQLValue.real) ?? .null
        case .array, .object: self = .text(json.jsonString)
        }
    }

    /// A column's value in a tool output.
    var json: JSONValue {
        switch self {
        case .null: .null
        case .integer(let number): .int(number)
        case .real(let number): .double(number)
        case .text(let text): .string(text)
        }
    }
}
