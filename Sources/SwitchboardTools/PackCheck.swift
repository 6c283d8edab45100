import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardData

/// What `switchboard packs check` and the hub's start-up find beyond a pack's files parsing:
/// the schema and seed run on a scratch SQLite database, every declared statement prepares
/// against it, names only parameters something provides, reads a customer table only with
/// `:customer_id`, and every answer template names fields its tool returns.
public enum PackCheck {
    /// Every problem, each as `file:line: message`.
    public static func problems(_ pack: Pack, today: Date = Date()) async -> [PersonaProblem] {
        var problems: [PersonaProblem] = []
        var database: SQLitePackDatabase?
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        if let data = pack.data {
            do {
                database = try await SQLitePackDatabase.open(path: scratch.appendingPathComponent("\(pack.name).sqlite").path,
                                                             schema: data.schema, seed: data.seed, today: today)
            } catch let error as DataError {
                problems.append(scriptProblem(error, data: data))
            } catch {
                problems.append(PersonaProblem(file: data.schemaFile, line: 0, message: "\(error)"))
            }
        }
        let manifest = pack.directory + "/pack.yaml"
        var produced: [String: Set<String>] = [:]
        for tool in pack.tools {
            switch tool.kind {
            case .sql(let plan):
                guard let database else {
                    if pack.data != nil { continue }
                    problems.append(PersonaProblem(file: tool.file, line: tool.line, message: "an sql tool needs the pack's data (data: in pack.yaml)"))
                    continue
                }
                let (fields, found) = await check(plan, tool: tool, customerTables: pack.data?.customerTables ?? [], database: database)
                produced[tool.name] = fields
                problems += found
            case .knowledge:
                produced[tool.name] = ["query", "answer", "results"]
            case .http(let plan):
                // With `fields:` the output is known; without, it is whatever the server answers.
                if let fields = plan.fields { produced[tool.name] = Set(tool.parameterNames).union(fields.map(\.name)) }
            case .builtin:
                break
            }
        }
        if let database {
            for (key, text, phone, line) in [("by_id", pack.customers.byID, false, pack.customers.byIDLine),
                                             ("by_phone", pack.customers.byPhone, true, pack.customers.byPhoneLine)] {
                guard let text else { continue }
                do {
                    let statement = try NamedStatement(text)
                    let columns = try await database.columns(of: statement)
                    for column in ["id", "name"] where !columns.contains(column) {
                        problems.append(PersonaProblem(file: manifest, line: line, message: "customers.\(key) returns no column '\(column)'"))
                    }
                    let allowed: Set<String> = phone ? ["phone"] : ["customer_id"]
                    for name in statement.parameters where !allowed.contains(name) {
                        problems.append(PersonaProblem(file: manifest, line: line,
                                                       message: "customers.\(key) names :\(name); it may only use \(allowed.map { ":" + $0 }.joined(separator: ", "))"))
                    }
                } catch {
                    problems.append(PersonaProblem(file: manifest, line: line, message: "customers.\(key) does not prepare: \(message(error))"))
                }
            }
        }
        if let database {
            problems += await vocabularyProblems(pack, database: database)
        }
        problems += templateProblems(pack, produced: produced)
        await database?.shutdown()
        return problems
    }

    /// Vocabulary queries: they prepare, read no customer's rows and use no parameter but
    /// `:today` and `:now` (they run once, for no caller).
    private static func vocabularyProblems(_ pack: Pack, database: SQLitePackDatabase) async -> [PersonaProblem] {
        let manifest = pack.directory + "/pack.yaml"
        var problems: [PersonaProblem] = []
        for vocabulary in pack.catalog.speech.vocabularies {
            let what = "speech.vocabulary '\(vocabulary.name)'"
            do {
                let statement = try NamedStatement(vocabulary.sql)
                for name in statement.parameters where !PackVocabulary.parameters.contains(name) {
                    problems.append(PersonaProblem(file: manifest, line: vocabulary.line, message: "\(what) names :\(name); it may only use :today and :now"))
                }
                if statement.isWrite {
                    problems.append(PersonaProblem(file: manifest, line: vocabulary.line, message: "\(what) must be a read (SELECT)"))
                }
                let names = names(in: statement)
                for table in pack.data?.customerTables ?? [] where names.contains(table.lowercased()) {
                    problems.append(PersonaProblem(file: manifest, line: vocabulary.line,
                                                   message: "\(what) reads the customer table '\(table)' (a vocabulary is for every caller)"))
                }
                if try await database.columns(of: statement).isEmpty {
                    problems.append(PersonaProblem(file: manifest, line: vocabulary.line, message: "\(what) returns no column"))
                }
            } catch {
                problems.append(PersonaProblem(file: manifest, line: vocabulary.line, message: "\(what) does not prepare: \(message(error))"))
            }
        }
        return problems
    }

    /// The words of a statement's text, lowercased: the tables it may name.
    private static func names(in statement: NamedStatement) -> Set<String> {
        Set(statement.text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init))
    }

    /// Throws `PersonaCatalogError` when `pack` has problems.
    public static func validate(_ pack: Pack, today: Date = Date()) async throws {
        let found = await problems(pack, today: today)
        guard found.isEmpty else { throw PersonaCatalogError(problems: found) }
    }

    private static func check(
        _ plan: SQLToolPlan, tool: ToolDefinition, customerTables: [String], database: SQLitePackDatabase
    ) async -> (fields: Set<String>, problems: [PersonaProblem]) {
        var problems: [PersonaProblem] = []
        var available = Pack.sessionParameters.union(tool.parameterNames).union(plan.generate.map(\.name))
        var fields = Set(tool.parameterNames)
        // What sources can name: the rows' columns only (arguments never become sources).
        var rowFields: Set<String> = []
        func scoped(_ statement: NamedStatement, line: Int, what: String) {
            let words = names(in: statement)
            for table in customerTables where words.contains(table.lowercased()) && !statement.parameters.contains("customer_id") {
                problems.append(PersonaProblem(file: tool.file, line: line,
                                               message: "\(what) reads the customer table '\(table)' without :customer_id (it would see every customer's rows)"))
            }
        }
        for item in plan.generate {
            guard let unique = item.unique else { continue }
            do {
                let statement = try NamedStatement(unique)
                // Only whether it finds a row is used, never what it returns: it may look
                // across customers (a code must be unique among everyone's).
                try await database.prepare(statement)
            } catch {
                problems.append(PersonaProblem(file: tool.file, line: item.line, message: "generate.\(item.name).unique does not prepare: \(message(error))"))
            }
        }
        for step in plan.steps {
            let statement: NamedStatement
            do {
                statement = try NamedStatement(step.sql)
            } catch {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: message(error)))
                continue
            }
            for name in statement.parameters where !available.contains(name) {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message:
                    ":\(name) is not a parameter of the tool, a session value (:customer_id, :customer_name, :today, :now), a column of an earlier step or a generated value"))
            }
            scoped(statement, line: step.line, what: "the statement")
            let columns: [String]
            do {
                columns = try await database.columns(of: statement)
            } catch {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: "the SQL does not prepare against the schema: \(message(error))"))
                continue
            }
            if case .run = step.action, !statement.isWrite {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: "'run' is for writes (INSERT, UPDATE, DELETE)"))
            }
            if case .query = step.action, statement.isWrite {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: "'query' is for reads; use 'run' for a write"))
            }
            if case .check = step.action, statement.isWrite {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: "'check' is for reads; use 'run' for a write"))
            }
            if !plan.isTransaction && statement.isWrite && plan.steps.count > 1 {
                problems.append(PersonaProblem(file: tool.file, line: step.line, message: "a write among several statements belongs under 'transaction', not 'steps'"))
            }
            let visible = columns.filter { !$0.hasPrefix("_") && $0 != "outcome" }
            if case .query(.many, let array, _) = step.action {
                // The rows become an array: their columns are no parameters of later steps.
                fields.insert(array ?? "rows")
                fields.insert("count")
                fields.formUnion(visible)  // names inside a section are the rows' columns
            } else {
                available.formUnion(columns)
                fields.formUnion(visible)
            }
            rowFields.formUnion(visible)
        }
        for rule in plan.sources where !rule.keys.allSatisfy(rowFields.contains) {
            problems.append(PersonaProblem(file: tool.file, line: rule.line,
                                           message: "source [\(rule.table), \(rule.keys.joined(separator: ", "))] names a key no row of the tool returns (sources come from rows, not from the arguments)"))
        }
        return (fields, problems)
    }

    /// Answer templates naming a field their tool never returns.
    private static func templateProblems(_ pack: Pack, produced: [String: Set<String>]) -> [PersonaProblem] {
        var problems: [PersonaProblem] = []
        for persona in pack.catalog.personas {
            for (tool, outcomes) in persona.answers.sorted(by: { $0.key < $1.key }) {
                guard let fields = produced[tool] else { continue }
                for (outcome, template) in outcomes.sorted(by: { $0.key < $1.key }) where outcome != "error" {
                    for name in TemplateSyntax.fieldNames(in: template) {
                        let head = String(name.split(separator: ".").first ?? "")
                        if !fields.contains(head) && !Pack.sessionParameters.contains(head) {
                            problems.append(PersonaProblem(file: persona.file, line: persona.answerLines["\(tool).\(outcome)"] ?? 1,
                                                           message: "answers.\(tool).\(outcome) names '\(name)', which \(tool) does not return (it returns \(fields.sorted().joined(separator: ", ")))"))
                        }
                    }
                }
            }
        }
        return problems
    }

    private static func scriptProblem(_ error: DataError, data: Pack.DataFiles) -> PersonaProblem {
        for (prefix, file) in [("schema line ", data.schemaFile), ("seed line ", data.seedFile)] where error.message.hasPrefix(prefix) {
            let rest = error.message.dropFirst(prefix.count)
            let digits = rest.prefix(while: \.isNumber)
            return PersonaProblem(file: file, line: Int(digits) ?? 0, message: String(rest.dropFirst(digits.count + 2)))
        }
        return PersonaProblem(file: data.schemaFile, line: 0, message: error.message)
    }

    private static func message(_ error: any Error) -> String {
        (error as? DataError)?.message ?? "\(error)"
    }
}
