import Foundation
import RealtimeProtocol
import Yams

extension Pack {
    /// Loads every pack under `directory` (each subfolder with a `pack.yaml`), by name order.
    /// Throws `PersonaCatalogError` with every problem of every pack, each as `file:line: message`.
    public static func loadAll(directory: String) throws -> [Pack] {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw PersonaCatalogError(problems: [PersonaProblem(file: directory, line: 0, message: "cannot read the packs directory")])
        }
        var packs: [Pack] = []
        var problems: [PersonaProblem] = []
        for name in names {
            let folder = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard manager.fileExists(atPath: folder + "/pack.yaml") else { continue }
            do {
                packs.append(try load(directory: folder))
            } catch let error as PersonaCatalogError {
                problems += error.problems
            }
        }
        for (index, pack) in packs.enumerated() where packs[..<index].contains(where: { $0.name == pack.name }) {
            problems.append(PersonaProblem(file: pack.directory + "/pack.yaml", line: 1, message: "the pack name '\(pack.name)' is used twice"))
        }
        if packs.isEmpty && problems.isEmpty {
            problems.append(PersonaProblem(file: directory, line: 0, message: "no packs found (a pack is a folder with a pack.yaml)"))
        }
        guard problems.isEmpty else { throw PersonaCatalogError(problems: problems) }
        return packs
    }

    /// Loads and checks the pack in `directory`. Throws `PersonaCatalogError` listing every
    /// problem found. The SQL is checked against the schema by the tools module (`PackCheck`).
    public static func load(directory: String) throws -> Pack {
        var loader = PackLoader(directory: directory)
        return try loader.load()
    }
}

/// Reads a pack's files, collecting problems rather than stopping at the first.
struct PackLoader {
    let directory: String
    var problems: [PersonaProblem] = []

    init(directory: String) {
        self.directory = directory
    }

    /// Names a pack cannot have: the call store's SQLite file is named like a pack's.
    static let reservedNames: Set<String> = ["calls"]
    static let packFields: Set<String> = ["name", "title", "description", "router", "default", "data", "customers", "speech", "filler", "idle", "analysis", "recording"]
    static let toolFields: Set<String> = ["name", "description", "parameters", "kind", "timeout", "filler", "sql", "knowledge", "http", "builtin"]
    static let sqlFields: Set<String> = ["query", "returns", "as", "when_empty", "sources", "transaction", "steps", "generate"]

    mutating func load() throws -> Pack {
        let manifestPath = directory + "/pack.yaml"
        var name = URL(fileURLWithPath: directory).lastPathComponent
        var title = name
        var description = ""
        var routerName: String?
        var routerLine = 1
        var data: Pack.DataFiles?
        var customers = Pack.CustomerQueries()
        var isDefault = false
        var speech = PackSpeech()
        var filler: FillerDeclaration?
        var idle: IdlePolicy??
        var analysis: AnalysisPlan?
        var recording: RecordingPolicy?
        do {
            let fields = try YAMLFields(try Self.compose(file: manifestPath), file: manifestPath, context: nil,
                                        what: "pack.yaml must be a mapping of fields (name, title, description, router, data)")
            try fields.allowOnly(Self.packFields)
            name = try fields.text("name", required: true) ?? name
            if name.range(of: "^[a-z][a-z0-9_]{0,62}$", options: .regularExpression) == nil {
                throw fields.problem(at: fields.line(of: "name"), "'name' must be lowercase letters, digits and '_', starting with a letter (got '\(name)')")
            }
            if Self.reservedNames.contains(name) {
                throw fields.problem(at: fields.line(of: "name"), "'\(name)' is the hub's own (its data file would be the call records'); choose another name")
            }
            title = try fields.text("title") ?? name
            description = try fields.text("description") ?? ""
            routerName = try fields.text("router")
            isDefault = try fields.flag("default") ?? false
            routerLine = fields.line(of: "router")
            filler = try FillerDeclaration.read(fields)
            idle = try IdlePolicy.read(fields)
            analysis = try AnalysisPlan.read(fields)
            recording = try RecordingPolicy.read(fields)
            if let node = fields.node("data") {
                data = try readData(YAMLFields(node, file: manifestPath, context: "data", what: "'data' must be a mapping with 'schema' and 'seed'"))
            }
            if let node = fields.node("speech") {
                speech = try readSpeech(YAMLFields(node, file: manifestPath, context: "speech", what: "'speech' must be a mapping with 'codes' and 'templates'"))
            }
            if let node = fields.node("customers") {
                let entry = try YAMLFields(node, file: manifestPath, context: "customers", what: "'customers' must be a mapping with 'by_id' and 'by_phone'")
                try entry.allowOnly(["by_id", "by_phone"])
                customers = Pack.CustomerQueries(byID: try entry.text("by_id"), byPhone: try entry.text("by_phone"), line: entry.line)
                customers.byIDLine = entry.line(of: "by_id")
                customers.byPhoneLine = entry.line(of: "by_phone")
            }
        } catch let problem as PersonaProblem {
            problems.append(problem)
        }

        let packFiller = (filler ?? FillerDeclaration()).resolved(over: .standard)
        let tools = loadTools().map { tool in
            var tool = tool
            tool.filler = tool.fillerDeclaration.map { $0.resolved(over: packFiller) } ?? packFiller
            return tool
        }
        var catalog: PersonaCatalog?
        do {
            catalog = try PersonaCatalog.load(directory: directory + "/agents", knownTools: tools.map(\.name))
        } catch let error as PersonaCatalogError {
            problems += error.problems
        }
        if let catalog {
            if let routerName {
                if let router = catalog.persona(named: routerName) {
                    if router.role != .router {
                        problems.append(PersonaProblem(file: manifestPath, line: routerLine, message: "router '\(routerName)' is not an agent with role router"))
                    }
                } else {
                    problems.append(PersonaProblem(file: manifestPath, line: routerLine,
                                                   message: "router '\(routerName)' is not one of the agents (\(catalog.personas.map(\.name).joined(separator: ", ")))"))
                }
            }
            let used = Set(catalog.personas.flatMap { $0.tools.map(\.name) })
            for tool in tools where !used.contains(tool.name) {
                problems.append(PersonaProblem(file: tool.file, line: 1, message: "tool '\(tool.name)' is used by no agent"))
            }
        }
        let knowledge: KnowledgeBase
        do {
            knowledge = try KnowledgeBase.load(directory: directory + "/knowledge")
        } catch {
            problems.append(PersonaProblem(file: directory + "/knowledge", line: 0, message: "cannot read the knowledge: \(error)"))
            knowledge = KnowledgeBase(documents: [])
        }
        for tool in tools {
            if case .knowledge(let folder?, _) = tool.kind, !knowledge.domains.contains(folder) {
                problems.append(PersonaProblem(file: tool.file, line: tool.line, message: "knowledge folder '\(folder)' has no documents (knowledge/\(folder)/*.md)"))
            }
        }
        for field in analysis?.fields ?? [] {
            var named = field.values.flatMap(\.tools)
            if case .tool(let tool, _)? = field.source { named.append(tool) }
            for tool in named where !tools.contains(where: { $0.name == tool }) {
                problems.append(PersonaProblem(file: manifestPath, line: 1,
                                               message: "analysis field '\(field.name)' names tool '\(tool)', which the pack does not have"))
            }
        }
        let derived = PackSpeech.derivedCodes(from: tools, declared: speech.codes)
        for vocabulary in speech.vocabularies {
            if data == nil {
                problems.append(PersonaProblem(file: manifestPath, line: vocabulary.line, message: "a vocabulary needs the pack's data (data: in pack.yaml)"))
            }
            if (speech.codes + derived).contains(where: { $0.name == vocabulary.name }) {
                problems.append(PersonaProblem(file: manifestPath, line: vocabulary.line,
                                               message: "the vocabulary name '\(vocabulary.name)' is also a code's (a parameter with a pattern, or speech.codes)"))
            }
        }
        guard problems.isEmpty, var catalog else { throw PersonaCatalogError(problems: problems) }
        speech.codes += derived
        catalog.speech = speech
        var pack = Pack(name: name, title: title, description: description, directory: directory, catalog: catalog, tools: tools,
                        knowledge: knowledge, data: data, customers: customers)
        pack.isDefault = isDefault
        pack.idle = idle
        pack.analysis = analysis
        pack.recording = recording
        return pack
    }

    /// `speech: {codes: [{name, pattern, examples}], templates: [...]}`.
    private func readSpeech(_ fields: YAMLFields) throws(PersonaProblem) -> PackSpeech {
        try fields.allowOnly(["codes", "templates", "vocabulary"])
        var speech = PackSpeech(templates: try fields.phrases("templates", each: "template", plural: "templates") ?? [])
        if let node = fields.node("vocabulary") {
            guard let items = node.sequence else { throw fields.problem(at: node.line, "'speech.vocabulary' must be a list of {name, sql}") }
            for item in items {
                let entry = try YAMLFields(item, file: fields.file, context: "speech.vocabulary", what: "a vocabulary is a mapping with 'name' and 'sql'")
                try entry.allowOnly(["name", "sql"])
                let name = try entry.text("name", required: true) ?? ""
                if name.range(of: "^[a-z][a-z0-9_]{0,62}$", options: .regularExpression) == nil {
                    throw entry.problem(at: entry.line(of: "name"), "a vocabulary's 'name' is lowercase letters, digits and '_', starting with a letter (got '\(name)')")
                }
                if PackSpeech.wordClasses.contains(name) || speech.vocabularies.contains(where: { $0.name == name }) {
                    throw entry.problem(at: entry.line(of: "name"), "the vocabulary name '\(name)' is taken (the recognizer's classes are \(PackSpeech.wordClasses.sorted().joined(separator: ", ")))")
                }
                let sql = try entry.text("sql", required: true) ?? ""
                speech.vocabularies.append(PackSpeech.Vocabulary(name: name, sql: sql, line: entry.line(of: "sql")))
            }
        }
        if let node = fields.node("codes") {
            guard let items = node.sequence else { throw fields.problem(at: node.line, "'speech.codes' must be a list of {name, pattern, examples}") }
            for item in items {
                let code = try YAMLFields(item, file: fields.file, context: "speech.codes", what: "a code is a mapping with 'name', 'pattern' and 'examples'")
                try code.allowOnly(["name", "pattern", "examples"])
                let name = try code.text("name", required: true) ?? ""
                let pattern = try code.text("pattern", required: true) ?? ""
                guard pattern.allSatisfy({ $0 == "@" || $0 == "#" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }), (2...16).contains(pattern.count) else {
                    throw code.problem(at: code.line(of: "pattern"), "'pattern' is 2 to 16 of: capital letters and digits (themselves), @ (any letter), # (any digit); got '\(pattern)'")
                }
                let examples = try code.phrases("examples", each: "code", plural: "codes") ?? []
                let spoken = PackSpeech.Code(name: name, pattern: pattern, examples: examples)
                for example in examples where !Self.matches(example, spoken.pattern) {
                    throw code.problem(at: code.line(of: "examples"), "example '\(example)' does not match pattern '\(pattern)'")
                }
                speech.codes.append(spoken)
            }
        }
        for template in speech.templates {
            var rest = Substring(template)
            while let open = rest.firstIndex(of: "{") {
                guard let close = rest[open...].firstIndex(of: "}") else {
                    throw fields.problem(at: fields.line(of: "templates"), "template '\(template)' has an unclosed '{'")
                }
                rest = rest[rest.index(after: close)...]
            }
        }
        return speech
    }

    static func matches(_ written: String, _ pattern: String) -> Bool {
        let characters = Array(written.uppercased())
        let slots = Array(pattern)
        guard characters.count == slots.count else { return false }
        for (character, slot) in zip(characters, slots) {
            switch slot {
            case "@": guard character.isASCII && character.isLetter else { return false }
            case "#": guard character.isASCII && character.isNumber else { return false }
            default: guard character == slot else { return false }
            }
        }
        return true
    }

    private mutating func readData(_ fields: YAMLFields) throws(PersonaProblem) -> Pack.DataFiles? {
        try fields.allowOnly(["schema", "seed", "customer_tables"])
        let schemaName = try fields.text("schema") ?? "schema.sql"
        let seedName = try fields.text("seed")
        let customerTables = try fields.phrases("customer_tables", each: "table name", plural: "table names") ?? []
        let schemaFile = directory + "/" + schemaName
        let seedFile = seedName.map { directory + "/" + $0 }
        guard let schema = try? String(contentsOfFile: schemaFile, encoding: .utf8) else {
            throw fields.problem(at: fields.line(of: "schema"), "cannot read the schema file \(schemaName)")
        }
        var seed = ""
        if let seedFile {
            guard let text = try? String(contentsOfFile: seedFile, encoding: .utf8) else {
                throw fields.problem(at: fields.line(of: "seed"), "cannot read the seed file \(seedName ?? "")")
            }
            seed = text
        }
        return Pack.DataFiles(schema: schema, seed: seed, schemaFile: schemaFile, seedFile: seedFile ?? "", customerTables: customerTables)
    }

    /// Every `tools/*.yaml`; a file with a problem is reported and left out.
    private mutating func loadTools() -> [ToolDefinition] {
        let folder = directory + "/tools"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var tools: [ToolDefinition] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = folder + "/" + name
            do throws(PersonaProblem) {
                let tool = try ToolFileParser(file: path).parse(try Self.compose(file: path))
                if let other = tools.first(where: { $0.name == tool.name }) {
                    problems.append(PersonaProblem(file: path, line: 1, message: "the tool name '\(tool.name)' is already used by \(other.file)"))
                    continue
                }
                tools.append(tool)
            } catch {
                problems.append(error)
            }
        }
        return tools
    }

    static func compose(file: String) throws(PersonaProblem) -> Node {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw PersonaProblem(file: file, line: 0, message: "cannot read the file")
        }
        return try compose(text: text, file: file)
    }

    /// `text` as a YAML node; a problem at its line when it is not YAML or is empty.
    static func compose(text: String, file: String) throws(PersonaProblem) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PersonaProblem(file: file, line: PersonaParser.line(of: error), message: "not valid YAML: \(PersonaParser.summary(of: error))")
        } catch {
            throw PersonaProblem(file: file, line: 1, message: "not valid YAML: \(error)")
        }
        guard let node else { throw PersonaProblem(file: file, line: 1, message: "the file is empty") }
        return node
    }
}

/// Reads one `tools/<name>.yaml`.
struct ToolFileParser {
    let file: String

    func parse(_ root: Node) throws(PersonaProblem) -> ToolDefinition {
        let fields = try YAMLFields(root, file: file, context: nil, what: "a tool must be a mapping of fields (name, description, parameters, kind, …)")
        try fields.allowOnly(PackLoader.toolFields)
        guard let name = try fields.text("name", required: true) else { throw fields.problem(at: 1, "missing required field 'name'") }
        if name.range(of: "^[a-zA-Z0-9_-]{1,64}$", options: .regularExpression) == nil {
            throw fields.problem(at: fields.line(of: "name"), "'name' must be 1 to 64 letters, digits, '_' or '-' (got '\(name)')")
        }
        let kindText = try fields.text("kind", required: true) ?? ""
        var description = try fields.text("description", required: kindText != "builtin") ?? ""
        var parameters = try readParameters(fields)
        let kind: ToolDefinition.Kind
        switch kindText {
        case "sql":
            guard let node = fields.node("sql") else { throw fields.problem(at: fields.line(of: "kind"), "a kind: sql tool needs an 'sql' mapping") }
            kind = .sql(try readSQL(YAMLFields(node, file: file, context: "sql", what: "'sql' must be a mapping (query, returns, transaction, sources)")))
        case "knowledge":
            var folder: String?
            var topics: String?
            if let node = fields.node("knowledge") {
                let entry = try YAMLFields(node, file: file, context: "knowledge", what: "'knowledge' must be a mapping with 'folder' and 'topics'")
                try entry.allowOnly(["folder", "topics"])
                folder = try entry.text("folder")
                topics = try entry.text("topics")
            }
            kind = .knowledge(folder: folder, topics: topics)
        case "http":
            guard let node = fields.node("http") else { throw fields.problem(at: fields.line(of: "kind"), "a kind: http tool needs an 'http' mapping (method, url)") }
            let known = Set(readParameterNames(parameters)).union(Pack.sessionParameters)
            kind = .http(try readHTTP(YAMLFields(node, file: file, context: "http", what: "'http' must be a mapping (method, url, headers, body, outcomes, fields)"),
                                      known: known))
        case "builtin":
            let plan = try readBuiltin(fields)
            if fields.node("parameters") != nil {
                throw fields.problem(at: fields.line(of: "parameters"), "a kind: builtin tool's parameters are the hub's; leave 'parameters' out")
            }
            parameters = plan.parameters
            if description.isEmpty { description = plan.defaultDescription }
            kind = .builtin(plan)
        default:
            throw fields.problem(at: fields.line(of: "kind"), "'kind' must be sql, knowledge, http or builtin (got '\(kindText)')")
        }
        if case .knowledge = kind {
            if fields.node("parameters") == nil {
                parameters = .object([
                    "type": .string("object"),
                    "properties": .object(["query": .object([
                        "type": .string("string"), "minLength": .int(1), "maxLength": .int(500),
                        "description": .string("The caller's question or its key words."),
                    ])]),
                    "required": .array([.string("query")]), "additionalProperties": .bool(false),
                ])
            } else if parameters.objectValue?["properties"]?.objectValue?["query"]?.objectValue?["type"]?.stringValue != "string" {
                throw fields.problem(at: fields.line(of: "parameters"), "a kind: knowledge tool takes a string parameter 'query'")
            }
        }
        if case .sql = kind {} else if fields.node("sql") != nil {
            throw fields.problem(at: fields.line(of: "sql"), "'sql' is only for kind: sql")
        }
        if case .http = kind {} else if fields.node("http") != nil {
            throw fields.problem(at: fields.line(of: "http"), "'http' is only for kind: http")
        }
        var timeout: Duration?
        if let node = fields.node("timeout") {
            guard let text = node.scalar?.string, let value = Self.duration(text) else {
                throw fields.problem(at: node.line, "'timeout' must be a duration like 5s, 500ms or 2m")
            }
            timeout = value
        }
        var tool = ToolDefinition(name: name, description: description, parameters: parameters, kind: kind, timeout: timeout, file: file, line: fields.line(of: "kind"))
        tool.fillerDeclaration = try FillerDeclaration.read(fields)
        tool.filler = tool.fillerDeclaration.map { $0.resolved(over: .standard) } ?? .standard
        return tool
    }

    /// `builtin: end_call | send_dtmf`, or a mapping `{type: transfer_call, destinations: [...]}`.
    private func readBuiltin(_ fields: YAMLFields) throws(PersonaProblem) -> CallControlPlan {
        guard let node = fields.node("builtin") else {
            throw fields.problem(at: fields.line(of: "kind"), "a kind: builtin tool needs 'builtin': \(CallControlPlan.types.joined(separator: ", "))")
        }
        var type = node.scalar?.string
        var entry: YAMLFields?
        if node.mapping != nil {
            let mapping = try YAMLFields(node, file: file, context: "builtin", what: "'builtin' must be a type or a mapping with 'type'")
            try mapping.allowOnly(["type", "destinations"])
            type = try mapping.text("type", required: true)
            entry = mapping
        }
        switch type {
        case "end_call", "send_dtmf":
            if let entry, entry.node("destinations") != nil {
                throw entry.problem(at: entry.line(of: "destinations"), "'destinations' is only for transfer_call")
            }
            return type == "end_call" ? .endCall : .sendDTMF
        case "transfer_call":
            guard let entry, let list = entry.node("destinations") else {
                throw fields.problem(at: fields.line(of: "builtin"), "transfer_call needs 'destinations': a list of {name, to, description}")
            }
            guard let items = list.sequence, !items.isEmpty, items.count <= 32 else {
                throw entry.problem(at: list.line, "'destinations' must be a list of 1 to 32 {name, to, description}")
            }
            var destinations: [TransferDestination] = []
            for item in items {
                let destination = try YAMLFields(item, file: file, context: "destination", what: "each destination must be a mapping {name, to, description, mode, message}")
                try destination.allowOnly(["name", "to", "description", "mode", "message"])
                let name = try destination.text("name", required: true) ?? ""
                if name.range(of: "^[a-z0-9_-]{1,64}$", options: .regularExpression) == nil {
                    throw destination.problem(at: destination.line(of: "name"), "a destination's 'name' must be 1 to 64 lowercase letters, digits, '_' or '-' (got '\(name)')")
                }
                if destinations.contains(where: { $0.name == name }) {
                    throw destination.problem(at: destination.line(of: "name"), "destination '\(name)' appears twice")
                }
                let to = try destination.text("to", required: true) ?? ""
                guard TransferDestination.isAddress(to) else {
                    throw destination.problem(at: destination.line(of: "to"), "a destination's 'to' must be a number in E.164 (+15551230000) or a sip: URI (got '\(to.prefix(80))')")
                }
                destinations.append(TransferDestination(
                    name: name, to: to, description: try destination.text("description", required: true) ?? "",
                    mode: try destination.choice("mode", of: TransferDestination.Mode.self, choices: TransferDestination.Mode.allCases) ?? .cold,
                    message: try destination.text("message")))
            }
            return .transferCall(destinations)
        default:
            throw fields.problem(at: fields.line(of: "builtin"), "'builtin' must be \(CallControlPlan.types.joined(separator: ", ")) (got '\((type ?? "a list").prefix(64))')")
        }
    }

    private func readParameters(_ fields: YAMLFields) throws(PersonaProblem) -> JSONValue {
        guard let node = fields.node("parameters") else {
            return .object(["type": .string("object"), "properties": .object(JSONObject()), "additionalProperties": .bool(false)])
        }
        var schema = try YAMLJSON.value(node, file: file)
        guard var object = schema.objectValue, object["type"]?.stringValue == "object" else {
            throw PersonaProblem(file: file, line: node.line, message: "'parameters' must be a JSON schema with type: object")
        }
        if let properties = object["properties"] {
            guard let members = properties.objectValue?.members else {
                throw PersonaProblem(file: file, line: node.line, message: "'parameters.properties' must be a mapping of parameter schemas")
            }
            // The line of each property's name, for problems.
            var lines: [String: Int] = [:]
            if let properties = node.mapping?.first(where: { $0.key.scalar?.string == "properties" })?.value.mapping {
                for (key, _) in properties { if let name = key.scalar?.string { lines[name] = key.line } }
            }
            for (name, _) in members {
                let line = lines[name] ?? node.line
                if Pack.sessionParameters.contains(name) {
                    throw PersonaProblem(file: file, line: line,
                                         message: "parameter '\(name)' is a session value (\(Pack.sessionParameters.sorted().joined(separator: ", "))) and cannot come from the model")
                }
                if name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) == nil {
                    throw PersonaProblem(file: file, line: line, message: "parameter '\(name)' must be lowercase letters, digits and '_'")
                }
            }
        } else {
            object["properties"] = .object(JSONObject())
        }
        if object["additionalProperties"] == nil { object["additionalProperties"] = .bool(false) }
        schema = .object(object)
        return schema
    }

    private func readSQL(_ fields: YAMLFields) throws(PersonaProblem) -> SQLToolPlan {
        try fields.allowOnly(PackLoader.sqlFields)
        var steps: [SQLStep] = []
        var isTransaction = false
        if fields.node("transaction") != nil, fields.node("steps") != nil {
            throw fields.problem(at: fields.line(of: "steps"), "use 'transaction' or 'steps', not both")
        }
        for key in ["transaction", "steps"] {
            guard let node = fields.node(key) else { continue }
            guard let items = node.sequence else { throw fields.problem(at: node.line, "'sql.\(key)' must be a list of steps") }
            isTransaction = key == "transaction"
            for item in items { steps.append(try readStep(item)) }
        }
        if let query = try fields.text("query") {
            let returns = try fields.choice("returns", of: SQLStep.Returns.self, choices: [.one, .many]) ?? .one
            let array = try fields.text("as")
            let whenEmpty = try fields.text("when_empty") ?? "not_found"
            steps.append(SQLStep(sql: query, action: .query(returns: returns, array: returns == .many ? (array ?? "rows") : array, whenEmpty: whenEmpty),
                                 line: fields.line(of: "query")))
        } else {
            for key in ["returns", "as", "when_empty"] where fields.node(key) != nil {
                throw fields.problem(at: fields.line(of: key), "'sql.\(key)' needs 'sql.query'")
            }
        }
        guard !steps.isEmpty else { throw fields.problem(at: fields.line, "an sql tool needs 'query' or 'transaction'") }
        var generate: [SQLToolPlan.Generated] = []
        if let node = fields.node("generate") {
            let entries = try YAMLFields(node, file: file, context: "sql.generate", what: "'sql.generate' must map names to {pattern, unique}")
            for (name, line, value) in entries.all {
                let entry = try YAMLFields(value, file: file, context: "sql.generate.\(name)", what: "'sql.generate.\(name)' must be a mapping with 'pattern'")
                try entry.allowOnly(["pattern", "unique"])
                guard let pattern = try entry.text("pattern", required: true) else { continue }
                guard GeneratedPattern(pattern) != nil else {
                    throw entry.problem(at: entry.line(of: "pattern"), "'pattern' must be literal characters and classes like [A-Z]{3}[0-9]{3} (got '\(pattern)')")
                }
                generate.append(.init(name: name, pattern: pattern, unique: try entry.text("unique"), line: line))
            }
        }
        return SQLToolPlan(generate: generate, steps: steps, isTransaction: isTransaction, sources: try readSources(fields))
    }

    private func readStep(_ node: Node) throws(PersonaProblem) -> SQLStep {
        if let text = node.scalar?.string {
            return SQLStep(sql: text, action: .statement, line: node.line)
        }
        let step = try YAMLFields(node, file: file, context: "step", what: "a step must be SQL text or a mapping (check, run, query)")
        try step.allowOnly(["check", "else", "run", "expect", "query", "returns", "as", "when_empty"])
        let present = ["check", "run", "query"].filter { step.node($0) != nil }
        guard present.count == 1 else {
            throw step.problem(at: step.line, "a step has exactly one of 'check', 'run' or 'query'")
        }
        switch present[0] {
        case "check":
            return SQLStep(sql: try step.text("check") ?? "", action: .check(otherwise: try step.text("else") ?? "unavailable"), line: step.line(of: "check"))
        case "run":
            var expect: Int?
            if let node = step.node("expect") {
                guard let count = node.int, count >= 0 else { throw step.problem(at: node.line, "'expect' must be a row count (0 or more)") }
                expect = count
            }
            return SQLStep(sql: try step.text("run") ?? "", action: .run(expect: expect), line: step.line(of: "run"))
        default:
            let returns = try step.choice("returns", of: SQLStep.Returns.self, choices: [.one, .many]) ?? .one
            let array = try step.text("as")
            return SQLStep(sql: try step.text("query") ?? "",
                           action: .query(returns: returns, array: returns == .many ? (array ?? "rows") : array, whenEmpty: try step.text("when_empty") ?? "not_found"),
                           line: step.line(of: "query"))
        }
    }

    /// `sources: [table, key, …]` or a list of those (or of `{table, key, each}` mappings).
    private func readSources(_ fields: YAMLFields) throws(PersonaProblem) -> [SQLToolPlan.SourceRule] {
        guard let node = fields.node("sources") else { return [] }
        if node.mapping != nil { return try readSources(entries: [node]) }
        guard let items = node.sequence, !items.isEmpty else { throw fields.problem(at: node.line, "'sql.sources' must be [table, key column, …] or a list of them") }
        return try readSources(entries: items.allSatisfy({ $0.scalar != nil }) ? [node] : Array(items))
    }

    private func readSources(entries: [Node]) throws(PersonaProblem) -> [SQLToolPlan.SourceRule] {
        var rules: [SQLToolPlan.SourceRule] = []
        for entry in entries {
            if let list = entry.sequence {
                let words = list.compactMap { $0.scalar?.string }
                guard words.count == list.count, words.count >= 2 else {
                    throw PersonaProblem(file: file, line: entry.line, message: "a source is [table, key column, …]")
                }
                rules.append(.init(table: words[0], keys: Array(words.dropFirst()), each: nil, line: entry.line))
            } else {
                let rule = try YAMLFields(entry, file: file, context: "source", what: "a source is [table, key column, …] or {table, key, each}")
                try rule.allowOnly(["table", "key", "each"])
                let keys = try rule.phrases("key", each: "column", plural: "columns") ?? []
                guard let table = try rule.text("table", required: true), !keys.isEmpty else {
                    throw rule.problem(at: rule.line, "a source needs 'table' and 'key'")
                }
                rules.append(.init(table: table, keys: keys, each: try rule.text("each"), line: rule.line))
            }
        }
        return rules
    }

    /// `5s`, `500ms`, `2m`, or a number of seconds.
    static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number > 0, number * scale <= 3600 else { return nil }
            let milliseconds = Int((number * scale * 1000).rounded())
            return milliseconds >= 1 ? .milliseconds(milliseconds) : nil
        }
        guard let number = Double(text), number > 0, number <= 3600 else { return nil }
        let milliseconds = Int((number * 1000).rounded())
        return milliseconds >= 1 ? .milliseconds(milliseconds) : nil
    }
}

/// YAML as JSON values: plain scalars are resolved (null, booleans, numbers), quoted ones are text.
enum YAMLJSON {
    static func value(_ node: Node, file: String) throws(PersonaProblem) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            let text = scalar.string
            if ["", "~", "null", "Null", "NULL"].contains(text) { return .null }
            if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
            if let number = Int(text) { return .int(number) }
            if text.range(of: "^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$", options: .regularExpression) != nil, let number = Double(text) {
                return .double(number)
            }
            return .string(text)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try value(item, file: file)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [(String, JSONValue)] = []
            for (key, item) in mapping {
                guard let name = key.scalar?.string else { throw PersonaProblem(file: file, line: key.line, message: "a key must be plain text") }
                members.append((name, try value(item, file: file)))
            }
            return .object(JSONObject(members))
        case .alias:
            throw PersonaProblem(file: file, line: node.line, message: "YAML aliases are not allowed here")
        }
    }
}

/// A pattern for generated values: literal characters and `[A-Z0-9]` classes, each optionally
/// repeated `{n}` times.
public struct GeneratedPattern: Sendable {
    /// Each position's allowed characters.
    public let positions: [[Character]]

    public init?(_ pattern: String) {
        var positions: [[Character]] = []
        var characters = Array(pattern)
        var index = 0
        while index < characters.count {
            var set: [Character]
            if characters[index] == "[" {
                guard let close = characters[index...].firstIndex(of: "]") else { return nil }
                set = []
                var inner = index + 1
                // Negated classes and escapes are not small patterns: refused, never read literally.
                if inner < close, characters[inner] == "^" { return nil }
                if characters[(index + 1)..<close].contains("\\") { return nil }
                while inner < close {
                    if inner + 2 < close, characters[inner + 1] == "-" {
                        guard let low = characters[inner].unicodeScalars.first?.value, let high = characters[inner + 2].unicodeScalars.first?.value, low <= high,
                              high - low < 128 else { return nil }
                        set += (low...high).compactMap { Unicode.Scalar($0).map(Character.init) }
                        inner += 3
                    } else {
                        set.append(characters[inner])
                        inner += 1
                    }
                }
                index = close + 1
            } else {
                guard !"{}]()*+?.\\|^$".contains(characters[index]) else { return nil }
                set = [characters[index]]
                index += 1
            }
            guard !set.isEmpty else { return nil }
            var count = 1
            if index < characters.count, characters[index] == "{" {
                guard let close = characters[index...].firstIndex(of: "}"), let number = Int(String(characters[(index + 1)..<close])), (1...64).contains(number) else { return nil }
                count = number
                index = close + 1
            }
            positions += Array(repeating: set, count: count)
        }
        guard !positions.isEmpty, positions.count <= 64 else { return nil }
        self.positions = positions
        characters.removeAll()
    }

    /// A random value.
    public func generate<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        String(positions.map { $0.randomElement(using: &generator)! })
    }
}
