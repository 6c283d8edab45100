import Foundation
import RealtimeProtocol
@testable import SwitchboardAgents
import SwitchboardTesting
import Testing

// Pack validation: every problem the loader finds, each at its exact file and line, and the
// parts of the pack format the loader decides (sources, timeouts, knowledge parameters,
// speech codes, generated patterns).

/// A pack written file by file into a temporary directory of its own.
private struct PackFolder {
    let directory: String

    /// Writes `files` (path relative to the pack → text), creating folders as needed.
    init(_ files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchboard-pack-\(UUID().uuidString)").path
        for (path, text) in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Loads the pack; the problems as `relative/file:line: message`, or `[]` when it loads.
    func problems() -> [String] {
        do {
            _ = try Pack.load(directory: directory)
            return []
        } catch let error as PersonaCatalogError {
            return error.problems.map(relative)
        } catch {
            return ["unexpected error: \(error)"]
        }
    }

    /// `problem` with the pack's directory taken off its file.
    func relative(_ problem: PersonaProblem) -> String {
        var file = problem.file
        if file.hasPrefix(directory + "/") { file.removeFirst(directory.count + 1) }
        return "\(file):\(problem.line): \(problem.message)"
    }
}

/// Loads `files` as a pack, removing it afterwards.
private func problems(_ files: [String: String]) throws -> [String] {
    let folder = try PackFolder(files)
    defer { folder.remove() }
    return folder.problems()
}

/// Loads `files` as a pack that must have no problem.
private func loaded(_ files: [String: String]) throws -> Pack {
    let folder = try PackFolder(files)
    defer { folder.remove() }
    return try Pack.load(directory: folder.directory)
}

/// The 1-based line of the first line of `text` containing `needle`.
private func lineNumber(of needle: String, in text: String) -> Int {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let index = lines.firstIndex(where: { $0.contains(needle) }) else {
        Issue.record("'\(needle)' is not in the text")
        return -1
    }
    return index + 1
}

/// A small valid pack: a router, one agent using `order_status` and `search_help`, data and
/// knowledge. Each test breaks one part.
private enum ShopPack {
    static let manifest = """
        name: shop
        title: The Shop
        description: Orders for shop customers.
        router: desk
        data:
          schema: schema.sql
          seed: seed.sql
          customer_tables: [customers, orders]
        customers:
          by_id: SELECT id, name FROM customers WHERE id = :customer_id
          by_phone: SELECT id, name FROM customers WHERE phone = :phone

        """
    static let router = """
        name: desk
        role: router
        description: Greets callers.
        instructions: You greet callers and route them.

        """
    static func agent(tools: [String] = ["order_status", "search_help"]) -> String {
        """
        name: orders
        role: agent
        description: Orders.
        instructions: You help with orders.
        routing:
          examples: [Where is my order?, Cancel my order, What did I order last week?]
        tools:
        \(tools.map { "  - \($0)" }.joined(separator: "\n"))

        """
    }
    static let orderStatus = """
        name: order_status
        description: The status of one of the caller's orders.
        parameters:
          type: object
          properties:
            code: {type: string, pattern: "^R[0-9]{4}$"}
          required: [code]
        kind: sql
        timeout: 5s
        sql:
          query: SELECT code, status FROM orders WHERE code = :code AND customer_id = :customer_id
          returns: one
          sources: [orders, code]

        """
    static let searchHelp = """
        name: search_help
        description: Searches the shop's help pages.
        kind: knowledge
        knowledge:
          folder: help
          topics: returns, delivery

        """
    static let schema = """
        CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);
        CREATE TABLE orders (code TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL);

        """
    static let seed = """
        INSERT INTO customers (id, name, phone) VALUES ('C-1', 'Ada', '+14155550100');
        INSERT INTO orders (code, customer_id, status) VALUES ('R1001', 'C-1', 'shipped');

        """
    static let help = """
        # Returns
        ## Sending something back
        You can return any item within 30 days for a full refund.

        """

    static var files: [String: String] {
        [
            "pack.yaml": manifest,
            "agents/desk.yaml": router,
            "agents/orders.yaml": agent(),
            "tools/order_status.yaml": orderStatus,
            "tools/search_help.yaml": searchHelp,
            "schema.sql": schema,
            "seed.sql": seed,
            "knowledge/help/returns.md": help,
        ]
    }

    /// The files with one tool file replaced (and used by the agent).
    static func with(tool name: String, _ text: String) -> [String: String] {
        var files = files
        files["tools/\(name).yaml"] = text
        var tools = ["order_status", "search_help"]
        if !tools.contains(name) { tools.append(name) }
        files["agents/orders.yaml"] = agent(tools: tools)
        return files
    }

    /// The files with a tool file that no agent names, as `tools/extra.yaml` (renamed `extra`):
    /// a tool file with a problem is left out, and an agent naming it would add a second
    /// problem (an unknown tool).
    static func broken(_ text: String) -> [String: String] {
        var files = files
        files["tools/extra.yaml"] = text
            .replacingOccurrences(of: "name: order_status\n", with: "name: extra\n")
            .replacingOccurrences(of: "name: search_help\n", with: "name: extra\n")
        return files
    }

    /// A kind: sql tool named `name` with `sql` (indented under `sql:`) and `extra` top-level lines.
    static func sqlTool(_ name: String = "extra", parameters: String = "", sql: String, extra: String = "") -> String {
        """
        name: \(name)
        description: A test tool.
        \(parameters)kind: sql
        \(extra)sql:
        \(sql)

        """
    }
}

@Suite("pack loading: problems at their file and line")
struct PackLoaderProblemTests {
    @Test("the base pack loads, with its parts")
    func basePackLoads() throws {
        let pack = try loaded(ShopPack.files)
        #expect(pack.name == "shop")
        #expect(pack.title == "The Shop")
        #expect(pack.catalog.router?.name == "desk")
        #expect(pack.tools.map(\.name) == ["order_status", "search_help"])
        #expect(pack.data?.customerTables == ["customers", "orders"])
        #expect(pack.data?.schema == ShopPack.schema)
        #expect(pack.data?.seed == ShopPack.seed)
        #expect(pack.customers.byID == "SELECT id, name FROM customers WHERE id = :customer_id")
        #expect(pack.customers.byPhone == "SELECT id, name FROM customers WHERE phone = :phone")
        #expect(pack.knowledge.domains == ["help"])
        let status = try #require(pack.tool(named: "order_status"))
        #expect(status.timeout == .seconds(5))
        #expect(status.line == lineNumber(of: "kind:", in: ShopPack.orderStatus))
        guard case .sql(let plan) = status.kind else {
            Issue.record("order_status is not an sql tool")
            return
        }
        #expect(plan.isTransaction == false)
        #expect(plan.steps.count == 1)
        #expect(plan.steps.first?.action == .query(returns: .one, array: nil, whenEmpty: "not_found"))
        #expect(plan.steps.first?.line == lineNumber(of: "query:", in: ShopPack.orderStatus))
    }

    @Test("an unknown key in pack.yaml")
    func unknownPackKey() throws {
        var files = ShopPack.files
        let manifest = ShopPack.manifest.replacingOccurrences(of: "router: desk\n", with: "router: desk\ncolour: blue\n")
        files["pack.yaml"] = manifest
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "colour", in: manifest)): unknown field 'colour'"])
    }

    @Test("an unknown key in data: and in customers:")
    func unknownNestedPackKeys() throws {
        var files = ShopPack.files
        var manifest = ShopPack.manifest.replacingOccurrences(of: "  seed: seed.sql\n", with: "  seed: seed.sql\n  engine: sqlite\n")
        files["pack.yaml"] = manifest
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "engine", in: manifest)): unknown field 'engine' in 'data'"])
        manifest = ShopPack.manifest + "  by_email: SELECT id, name FROM customers WHERE id = :email\n"
        files["pack.yaml"] = manifest
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "by_email", in: manifest)): unknown field 'by_email' in 'customers'"])
    }

    @Test("an unknown key in a tool file")
    func unknownToolKey() throws {
        let tool = ShopPack.orderStatus.replacingOccurrences(of: "kind: sql\n", with: "kind: sql\ncache: true\n")
        let files = ShopPack.broken(tool)
        #expect(try problems(files) == ["tools/extra.yaml:\(lineNumber(of: "cache", in: tool)): unknown field 'cache'"])
    }

    @Test("an unknown key in sql:")
    func unknownSQLKey() throws {
        let tool = ShopPack.orderStatus.replacingOccurrences(of: "  returns: one\n", with: "  returns: one\n  limit: 3\n")
        let files = ShopPack.broken(tool)
        #expect(try problems(files) == ["tools/extra.yaml:\(lineNumber(of: "limit", in: tool)): unknown field 'limit' in 'sql'"])
    }

    @Test("an unknown key in a step")
    func unknownStepKey() throws {
        let tool = ShopPack.sqlTool(sql: """
              transaction:
                - check: SELECT status FROM orders WHERE customer_id = :customer_id
                  else: not_found
                - run: UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
                  expect: 1
                  retries: 3
            """)
        let files = ShopPack.broken(tool)
        #expect(try problems(files) == ["tools/extra.yaml:\(lineNumber(of: "retries", in: tool)): unknown field 'retries' in 'step'"])
    }

    @Test("a step with two of check, run and query, and a step with none")
    func stepWithTwoActions() throws {
        let tool = ShopPack.sqlTool(sql: """
              transaction:
                - check: SELECT status FROM orders WHERE customer_id = :customer_id
                  run: UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
            """)
        #expect(try problems(ShopPack.broken(tool))
            == ["tools/extra.yaml:\(lineNumber(of: "- check", in: tool)): a step has exactly one of 'check', 'run' or 'query'"])
        let empty = ShopPack.sqlTool(sql: """
              transaction:
                - else: not_found
            """)
        #expect(try problems(ShopPack.broken(empty))
            == ["tools/extra.yaml:\(lineNumber(of: "- else", in: empty)): a step has exactly one of 'check', 'run' or 'query'"])
    }

    @Test("a bad 'expect'", arguments: ["-1", "two", "[1]"])
    func badExpect(_ value: String) throws {
        let tool = ShopPack.sqlTool(sql: """
              transaction:
                - run: UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
                  expect: \(value)
            """)
        #expect(try problems(ShopPack.broken(tool))
            == ["tools/extra.yaml:\(lineNumber(of: "expect:", in: tool)): 'expect' must be a row count (0 or more)"])
    }

    @Test("'transaction' and 'steps' together, and 'returns' without 'query'")
    func conflictingSQLKeys() throws {
        let both = ShopPack.sqlTool(sql: """
              transaction:
                - UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
              steps:
                - SELECT status FROM orders WHERE customer_id = :customer_id
            """)
        #expect(try problems(ShopPack.broken(both))
            == ["tools/extra.yaml:\(lineNumber(of: "steps:", in: both)): use 'transaction' or 'steps', not both"])
        let returns = ShopPack.sqlTool(sql: """
              transaction:
                - UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
              returns: many
            """)
        #expect(try problems(ShopPack.broken(returns))
            == ["tools/extra.yaml:\(lineNumber(of: "returns:", in: returns)): 'sql.returns' needs 'sql.query'"])
        let nothing = ShopPack.sqlTool(sql: "  sources: [orders, code]")
        #expect(try problems(ShopPack.broken(nothing))
            == ["tools/extra.yaml:\(lineNumber(of: "sources:", in: nothing)): an sql tool needs 'query' or 'transaction'"])
    }

    @Test("a bad pack name", arguments: ["Shop", "1shop", "shop-online", "shop online", "_shop"])
    func badPackName(_ name: String) throws {
        var files = ShopPack.files
        files["pack.yaml"] = ShopPack.manifest.replacingOccurrences(of: "name: shop", with: "name: \"\(name)\"")
        #expect(try problems(files)
            == ["pack.yaml:1: 'name' must be lowercase letters, digits and '_', starting with a letter (got '\(name)')"])
    }

    @Test("a missing schema file, and a missing seed file")
    func missingDataFiles() throws {
        var files = ShopPack.files
        files["schema.sql"] = nil
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "schema:", in: ShopPack.manifest)): cannot read the schema file schema.sql"])
        files = ShopPack.files
        files["seed.sql"] = nil
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "seed:", in: ShopPack.manifest)): cannot read the seed file seed.sql"])
    }

    @Test("a tool used by no agent")
    func unusedTool() throws {
        var files = ShopPack.files
        files["tools/unused.yaml"] = ShopPack.sqlTool("unused", sql: "  query: SELECT status FROM orders WHERE customer_id = :customer_id")
        #expect(try problems(files) == ["tools/unused.yaml:1: tool 'unused' is used by no agent"])
    }

    @Test("an agent naming a tool the pack does not have")
    func missingTool() throws {
        var files = ShopPack.files
        let agent = ShopPack.agent(tools: ["order_status", "search_help", "refund_order"])
        files["agents/orders.yaml"] = agent
        let found = try problems(files)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("agents/orders.yaml:\(lineNumber(of: "refund_order", in: agent)): unknown tool 'refund_order'") == true, "\(found)")
    }

    @Test("a router that is not role router, and one that is no agent")
    func badRouter() throws {
        var files = ShopPack.files
        files["pack.yaml"] = ShopPack.manifest.replacingOccurrences(of: "router: desk", with: "router: orders")
        let line = lineNumber(of: "router:", in: ShopPack.manifest)
        #expect(try problems(files) == ["pack.yaml:\(line): router 'orders' is not an agent with role router"])
        files["pack.yaml"] = ShopPack.manifest.replacingOccurrences(of: "router: desk", with: "router: lobby")
        #expect(try problems(files) == ["pack.yaml:\(line): router 'lobby' is not one of the agents (desk, orders)"])
    }

    @Test("two tools with one name")
    func duplicateToolName() throws {
        var files = ShopPack.files
        files["tools/status_again.yaml"] = ShopPack.orderStatus
        let found = try problems(files)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("tools/status_again.yaml:1: the tool name 'order_status' is already used by ") == true, "\(found)")
        #expect(found.first?.hasSuffix("tools/order_status.yaml") == true, "\(found)")
    }

    @Test("kind builtin needs its type, http needs its mapping; another kind is unknown")
    func unsupportedKinds() throws {
        let builtin = "name: extra\ndescription: A test tool.\nkind: builtin\n"
        #expect(try problems(ShopPack.broken(builtin))
            == ["tools/extra.yaml:3: a kind: builtin tool needs 'builtin': end_call, transfer_call, send_dtmf"])
        let http = "name: extra\ndescription: A test tool.\nkind: http\n"
        #expect(try problems(ShopPack.broken(http)) == ["tools/extra.yaml:3: a kind: http tool needs an 'http' mapping (method, url)"])
        let tool = "name: extra\ndescription: A test tool.\nkind: graphql\n"
        #expect(try problems(ShopPack.broken(tool)) == ["tools/extra.yaml:3: 'kind' must be sql, knowledge, http or builtin (got 'graphql')"])
    }

    @Test("call-control tools: their parameters are the hub's, a transfer names its destinations")
    func callControlTools() throws {
        var files = ShopPack.files
        files["tools/end_call.yaml"] = "name: end_call\nkind: builtin\nbuiltin: end_call\n"
        files["tools/transfer_call.yaml"] = """
            name: transfer_call
            kind: builtin
            builtin:
              type: transfer_call
              destinations:
                - {name: front_desk, to: "+15550100123", description: the front desk, message: Putting you through.}
                - {name: billing, to: "sip:billing@pbx.example.com", description: billing questions, mode: warm}

            """
        files["tools/send_dtmf.yaml"] = "name: send_dtmf\ndescription: Presses keys in the supplier's phone menu.\nkind: builtin\nbuiltin: {type: send_dtmf}\n"
        files["agents/orders.yaml"] = ShopPack.agent(tools: ["order_status", "search_help", "end_call", "transfer_call", "send_dtmf"])
        let pack = try loaded(files)
        let byName = Dictionary(uniqueKeysWithValues: pack.tools.map { ($0.name, $0) })
        guard case .builtin(.endCall)? = byName["end_call"]?.kind else { Issue.record("end_call: \(String(describing: byName["end_call"]?.kind))"); return }
        #expect(byName["end_call"]?.description == CallControlPlan.endCall.defaultDescription)
        #expect(byName["end_call"]?.parameterNames == ["reason"])
        guard case .builtin(.transferCall(let destinations))? = byName["transfer_call"]?.kind else { Issue.record("transfer_call"); return }
        #expect(destinations == [
            TransferDestination(name: "front_desk", to: "+15550100123", description: "the front desk", message: "Putting you through."),
            TransferDestination(name: "billing", to: "sip:billing@pbx.example.com", description: "billing questions", mode: .warm),
        ])
        let destination = byName["transfer_call"]?.parameters.objectValue?["properties"]?.objectValue?["destination"]?.objectValue
        #expect(destination?["enum"] == .array([.string("front_desk"), .string("billing")]))
        #expect(byName["send_dtmf"]?.description == "Presses keys in the supplier's phone menu.")
        guard case .builtin(.sendDTMF)? = byName["send_dtmf"]?.kind else { Issue.record("send_dtmf"); return }
    }

    @Test("a pack cannot be named after the call records")
    func reservedName() throws {
        var files = ShopPack.files
        files["pack.yaml"] = (files["pack.yaml"] ?? "").replacingOccurrences(of: "name: shop", with: "name: calls")
        let found = try problems(files)
        #expect(found.count == 1 && found.first?.contains("'calls' is the hub's own") == true, "\(found)")
    }

    @Test("an analysis plan and an idle policy are read from pack.yaml")
    func analysisAndIdle() throws {
        var files = ShopPack.files
        files["pack.yaml"] = (files["pack.yaml"] ?? "") + """

            idle: {reprompt_after: 5s, reprompt: Still there?, hang_up_after: 1m}
            analysis:
              summary: false
              fields:
                - {name: order, type: text, from: {argument: code}}
                - {name: looked_up, type: boolean, from: {tool: order_status, outcome: found}}
                - {name: upset, type: boolean, from: {said: [ridiculous]}}
                - name: topic
                  type: enum
                  values: [{value: orders, tools: [order_status]}, other]

            """
        let pack = try loaded(files)
        #expect(pack.idle == .some(IdlePolicy(repromptAfter: .seconds(5), reprompt: "Still there?", hangUpAfter: .seconds(60))))
        #expect(pack.analysis == AnalysisPlan(summary: false, fields: [
            .init(name: "order", kind: .text, source: .argument("code")),
            .init(name: "looked_up", kind: .boolean, source: .tool("order_status", outcome: "found")),
            .init(name: "upset", kind: .boolean, source: .said(["ridiculous"])),
            .init(name: "topic", kind: .enum, values: [.init(value: "orders", tools: ["order_status"]), .init(value: "other")]),
        ]))
        files["pack.yaml"] = (ShopPack.files["pack.yaml"] ?? "") + "\nidle: off\n"
        #expect(try loaded(files).idle == .some(nil))
        #expect(try loaded(ShopPack.files).idle == nil)
    }

    @Test("an analysis plan or idle policy with a problem", arguments: [
        ("idle: {reprompt_after: 1s}", "'idle.reprompt_after' must be a duration from 3s to 600s, like 15s"),
        ("idle: {reprompt_after: forever}", "'idle.reprompt_after' must be a duration from 3s to 600s, like 15s"),
        ("idle: {wait: 5s}", "unknown field 'wait' in 'idle'"),
        ("analysis: {fields: [{name: x, type: text}]}", "analysis field 'x' needs 'from': {tool}, {argument}, {output} or {said}"),
        ("analysis: {fields: [{name: x, type: date, from: {argument: a}}]}", "'type' must be text, number, boolean or enum (got 'date')"),
        ("analysis: {fields: [{name: x, type: text, from: {tool: order_status}}]}", "'from.tool' gives a boolean; use it for type: boolean"),
        ("analysis: {fields: [{name: x, type: boolean, from: {argument: a}}]}", "a boolean comes from 'tool' or 'said'"),
        ("analysis: {fields: [{name: x, type: boolean, from: {tool: order_status, said: [a]}}]}", "'from' names one source: tool (with an outcome), argument, output or said"),
        ("analysis: {fields: [{name: x, type: boolean, from: {tool: no_such_tool}}]}", "analysis field 'x' names tool 'no_such_tool', which the pack does not have"),
        ("analysis: {fields: [{name: x, type: enum}]}", "an enum field needs 'values': a list of 1 to 50 {value, tools, said}"),
        ("analysis: {fields: [{name: x, type: enum, values: [a, a]}]}", "an enum's values must differ"),
        ("analysis: {fields: [{name: Summary, type: text, from: {output: a}}]}", "an analysis field's 'name' must be lowercase letters, digits and '_' (got 'Summary')"),
        ("analysis: {fields: [{name: x, type: text, from: {output: a}}, {name: x, type: text, from: {output: b}}]}", "analysis field 'x' appears twice (or is 'summary')"),
    ])
    func analysisProblems(_ text: String, _ message: String) throws {
        var files = ShopPack.files
        files["pack.yaml"] = (files["pack.yaml"] ?? "") + "\n" + text + "\n"
        let found = try problems(files)
        #expect(found.count == 1 && found.first?.hasSuffix(": " + message) == true, "\(found)")
    }

    @Test("a call-control tool with a problem", arguments: [
        ("builtin: hang_up", "'builtin' must be end_call, transfer_call, send_dtmf (got 'hang_up')"),
        ("builtin: [end_call]", "'builtin' must be end_call, transfer_call, send_dtmf (got 'a list')"),
        ("builtin: end_call\nparameters: {type: object}", "a kind: builtin tool's parameters are the hub's; leave 'parameters' out"),
        ("builtin: {type: end_call, destinations: []}", "'destinations' is only for transfer_call"),
        ("builtin: transfer_call", "transfer_call needs 'destinations': a list of {name, to, description}"),
        ("builtin: {type: transfer_call, destinations: []}", "'destinations' must be a list of 1 to 32 {name, to, description}"),
        ("builtin: {type: transfer_call, destinations: [{name: desk, to: '5551234', description: d}]}",
         "a destination's 'to' must be a number in E.164 (+15551230000) or a sip: URI (got '5551234')"),
        ("builtin: {type: transfer_call, destinations: [{name: desk, to: 'sip:', description: d}]}",
         "a destination's 'to' must be a number in E.164 (+15551230000) or a sip: URI (got 'sip:')"),
        ("builtin: {type: transfer_call, destinations: [{name: Desk, to: '+15550100123', description: d}]}",
         "a destination's 'name' must be 1 to 64 lowercase letters, digits, '_' or '-' (got 'Desk')"),
        ("builtin: {type: transfer_call, destinations: [{name: a, to: '+15550100123', description: d}, {name: a, to: '+15550100124', description: e}]}",
         "destination 'a' appears twice"),
        ("builtin: {type: transfer_call, destinations: [{name: a, to: '+15550100123', description: d, mode: lukewarm}]}",
         "'destination.mode' must be cold or warm (got 'lukewarm')"),
        ("builtin: {type: transfer_call, destinations: [{name: a, to: '+15550100123', description: d, dial: now}]}",
         "unknown field 'dial' in 'destination'"),
    ])
    func callControlProblems(_ text: String, _ message: String) throws {
        let found = try problems(ShopPack.broken("name: extra\nkind: builtin\n" + text + "\n"))
        #expect(found.count == 1 && found.first?.hasSuffix(": " + message) == true, "\(found)")
    }

    @Test("a tool parameter named after a session value", arguments: ["customer_id", "customer_name", "today", "now"])
    func sessionParameterName(_ name: String) throws {
        let tool = ShopPack.sqlTool(parameters: """
            parameters:
              type: object
              properties:
                code: {type: string}
                \(name): {type: string}

            """, sql: "  query: SELECT status FROM orders WHERE code = :code AND customer_id = :customer_id")
        let found = try problems(ShopPack.broken(tool))
        #expect(found.count == 1)
        let message = "parameter '\(name)' is a session value (customer_id, customer_name, now, today) and cannot come from the model"
        #expect(found.first?.hasPrefix("tools/extra.yaml:") == true && found.first?.hasSuffix(message) == true, "\(found)")
    }

    @Test("a session-value parameter is reported on its own line")
    func sessionParameterLine() throws {
        let tool = ShopPack.sqlTool(parameters: """
            parameters:
              type: object
              properties:
                code: {type: string}
                customer_id: {type: string}

            """, sql: "  query: SELECT status FROM orders WHERE code = :code AND customer_id = :customer_id")
        let found = try problems(ShopPack.broken(tool))
        // The loader converts `parameters` to JSON before checking names, losing their lines: the
        // problem points at the schema's first line (`type: object`), not at `customer_id:`.
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "customer_id:", in: tool)): ") == true, "\(found)")
    }

    @Test("a parameter name that is not lowercase, and parameters that are not an object schema")
    func badParameters() throws {
        let upper = ShopPack.sqlTool(parameters: """
            parameters:
              type: object
              properties:
                Code: {type: string}

            """, sql: "  query: SELECT status FROM orders WHERE customer_id = :customer_id")
        let found = try problems(ShopPack.broken(upper))
        #expect(found.count == 1 && found.first?.hasSuffix("parameter 'Code' must be lowercase letters, digits and '_'") == true, "\(found)")
        let array = ShopPack.sqlTool(parameters: "parameters: {type: array}\n", sql: "  query: SELECT status FROM orders WHERE customer_id = :customer_id")
        #expect(try problems(ShopPack.broken(array))
            == ["tools/extra.yaml:\(lineNumber(of: "parameters:", in: array)): 'parameters' must be a JSON schema with type: object"])
    }

    @Test("a knowledge tool whose folder has no documents")
    func emptyKnowledgeFolder() throws {
        let tool = ShopPack.searchHelp.replacingOccurrences(of: "folder: help", with: "folder: shipping")
        let files = ShopPack.with(tool: "search_help", tool)
        #expect(try problems(files)
            == ["tools/search_help.yaml:\(lineNumber(of: "kind:", in: tool)): knowledge folder 'shipping' has no documents (knowledge/shipping/*.md)"])
        // An empty folder, or one with no .md, has no documents either.
        var empty = ShopPack.with(tool: "search_help", tool)
        empty["knowledge/shipping/notes.txt"] = "not markdown"
        #expect(try problems(empty).count == 1)
    }

    @Test("invalid YAML, with its line, in pack.yaml, a tool and an agent")
    func invalidYAML() throws {
        var files = ShopPack.files
        files["pack.yaml"] = ShopPack.manifest.replacingOccurrences(of: "title: The Shop", with: "title: [The Shop")
        var found = try problems(files)
        #expect(found.count == 1)
        // A flow sequence left open is noticed where the next line's mapping starts.
        #expect(found.first?.hasPrefix("pack.yaml:") == true && found.first?.contains(": not valid YAML: ") == true, "\(found)")

        let tool = "name: extra\ndescription: A test tool.\nkind: sql\nsql:\n  query: SELECT 1\n   returns: one\n"
        found = try problems(ShopPack.broken(tool))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("tools/extra.yaml:6: not valid YAML: ") == true, "\(found)")

        files = ShopPack.files
        files["agents/desk.yaml"] = ShopPack.router + "greeting: \"Hello\n"
        found = try problems(files)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("agents/desk.yaml:") == true && found.first?.contains("not valid YAML") == true, "\(found)")
    }

    @Test("invalid YAML is reported at the line of the fault")
    func invalidYAMLLine() throws {
        var files = ShopPack.files
        let manifest = "name: shop\ntitle: The Shop\ndescription: Orders.\nrouter: desk\n\tdata: broken\n"
        files["pack.yaml"] = manifest
        let found = try problems(files)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("pack.yaml:5: not valid YAML: ") == true, "\(found)")
    }

    @Test("a bad timeout", arguments: ["5 seconds", "0", "0s", "-1s", "2h", "fast", "[5s]", "3601s", "61m"])
    func badTimeout(_ value: String) throws {
        let tool = ShopPack.orderStatus.replacingOccurrences(of: "timeout: 5s", with: "timeout: \(value)")
        #expect(try problems(ShopPack.broken(tool))
            == ["tools/extra.yaml:\(lineNumber(of: "timeout:", in: tool)): 'timeout' must be a duration like 5s, 500ms or 2m"])
    }

    @Test("a bad generate pattern")
    func badGeneratePattern() throws {
        let tool = ShopPack.sqlTool(sql: """
              generate:
                new_code:
                  pattern: "R[0-9]+"
                  unique: SELECT 1 FROM orders WHERE code = :new_code
              transaction:
                - INSERT INTO orders (code, customer_id, status) VALUES (:new_code, :customer_id, 'new')
            """)
        #expect(try problems(ShopPack.broken(tool))
            == ["tools/extra.yaml:\(lineNumber(of: "pattern:", in: tool)): 'pattern' must be literal characters and classes like [A-Z]{3}[0-9]{3} (got 'R[0-9]+')"])
        let unknown = tool.replacingOccurrences(of: "      unique:", with: "      length: 5\n      unique:")
        #expect(try problems(ShopPack.broken(unknown))
            == ["tools/extra.yaml:\(lineNumber(of: "length:", in: unknown)): unknown field 'length' in 'sql.generate.new_code'"])
    }

    @Test("a broken tool file that an agent names: its own problem, then the agent's unknown tool")
    func brokenToolNamedByAgent() throws {
        let tool = ShopPack.orderStatus.replacingOccurrences(of: "timeout: 5s", with: "timeout: soon")
        let found = try problems(ShopPack.with(tool: "order_status", tool))
        #expect(found.count == 2, "\(found)")
        #expect(found.first == "tools/order_status.yaml:\(lineNumber(of: "timeout:", in: tool)): 'timeout' must be a duration like 5s, 500ms or 2m")
        let agentLine = lineNumber(of: "- order_status", in: ShopPack.agent())
        #expect(found.last?.hasPrefix("agents/orders.yaml:\(agentLine): unknown tool 'order_status'") == true, "\(found)")
    }

    @Test("every problem of one load is reported, not only the first")
    func everyProblemReported() throws {
        var files = ShopPack.files
        let manifest = ShopPack.manifest.replacingOccurrences(of: "title: The Shop\n", with: "title: The Shop\ncolour: blue\n")
        files["pack.yaml"] = manifest
        files["agents/desk.yaml"] = ShopPack.router + "greeting: [Hello\n"
        let broken = "name: unused\ndescription: A test tool.\nkind: carrier_pigeon\n"
        files["tools/unused.yaml"] = broken
        let found = try problems(files)
        #expect(found.count == 3, "\(found)")
        #expect(found.contains("pack.yaml:\(lineNumber(of: "colour", in: manifest)): unknown field 'colour'"), "\(found)")
        #expect(found.contains { $0.hasPrefix("agents/desk.yaml:") && $0.contains("not valid YAML") }, "\(found)")
        #expect(found.contains("tools/unused.yaml:3: 'kind' must be sql, knowledge, http or builtin (got 'carrier_pigeon')"), "\(found)")
    }

    @Test("problems in several tool files are all reported, each at its own file")
    func everyToolProblemReported() throws {
        var files = ShopPack.with(tool: "first", "name: first\ndescription: One.\nkind: http\n")
        files["tools/second.yaml"] = "name: second\ndescription: Two.\nkind: sql\ntimeout: soon\nsql:\n  query: SELECT 1\n"
        files["tools/third.yaml"] = "name: third\ndescription: Three.\nkind: knowledge\nknowledge: {folder: help, depth: 2}\n"
        files["agents/orders.yaml"] = ShopPack.agent(tools: ["order_status", "search_help"])
        let found = try problems(files)
        #expect(found == [
            "tools/first.yaml:3: a kind: http tool needs an 'http' mapping (method, url)",
            "tools/second.yaml:4: 'timeout' must be a duration like 5s, 500ms or 2m",
            "tools/third.yaml:4: unknown field 'depth' in 'knowledge'",
        ])
    }

    @Test("loadAll reports the problems of every pack and refuses two packs with one name")
    func loadAllCollects() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-packs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func write(_ folder: String, _ files: [String: String]) throws {
            for (path, text) in files {
                let url = URL(fileURLWithPath: root).appendingPathComponent(folder).appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
        }
        try write("a", ShopPack.files)
        try write("b", ShopPack.files)
        #expect(throws: PersonaCatalogError.self) { try Pack.loadAll(directory: root) }
        do {
            _ = try Pack.loadAll(directory: root)
        } catch let error as PersonaCatalogError {
            #expect(error.problems.map(\.description) == ["\(root)/b/pack.yaml:1: the pack name 'shop' is used twice"])
        }
        var broken = ShopPack.files
        broken["pack.yaml"] = ShopPack.manifest.replacingOccurrences(of: "name: shop", with: "name: other\nlogo: x.png")
        try write("b", broken)
        do {
            _ = try Pack.loadAll(directory: root)
            Issue.record("a broken pack loaded")
        } catch let error as PersonaCatalogError {
            #expect(error.problems.map(\.description) == ["\(root)/b/pack.yaml:2: unknown field 'logo'"])
        }
    }
}

@Suite("pack loading: what the loader decides")
struct PackLoaderFormTests {
    private func plan(_ tool: String) throws -> SQLToolPlan {
        let pack = try loaded(ShopPack.with(tool: "extra", tool))
        guard case .sql(let plan) = try #require(pack.tool(named: "extra")).kind else { throw PlanError.notSQL }
        return plan
    }

    private enum PlanError: Error { case notSQL }

    private static let read = "  query: SELECT code, status, customer_id FROM orders WHERE customer_id = :customer_id\n"

    @Test("sources: [table, key, …]")
    func oneSource() throws {
        let tool = ShopPack.sqlTool(sql: Self.read + "  sources: [orders, code, status]")
        let sources = try plan(tool).sources
        #expect(sources.count == 1)
        #expect(sources.first?.table == "orders")
        #expect(sources.first?.keys == ["code", "status"])
        #expect(sources.first?.each == nil)
        #expect(sources.first?.line == lineNumber(of: "sources:", in: tool))
    }

    @Test("sources: a list of [table, key, …]")
    func listOfSources() throws {
        let tool = ShopPack.sqlTool(sql: Self.read + "  sources:\n    - [orders, code]\n    - [customers, customer_id]")
        let sources = try plan(tool).sources
        #expect(sources.map(\.table) == ["orders", "customers"])
        #expect(sources.map(\.keys) == [["code"], ["customer_id"]])
        #expect(sources.map(\.line) == [lineNumber(of: "- [orders", in: tool), lineNumber(of: "- [customers", in: tool)])
    }

    @Test("sources: {table, key, each}, alone and in a list")
    func mappingSources() throws {
        let many = Self.read + "  returns: many\n  as: orders\n"
        let alone = ShopPack.sqlTool(sql: many + "  sources: {table: orders, key: [code], each: orders}")
        var sources = try plan(alone).sources
        #expect(sources.count == 1)
        #expect(sources.first?.table == "orders" && sources.first?.keys == ["code"] && sources.first?.each == "orders")
        let listed = ShopPack.sqlTool(sql: many + "  sources:\n    - {table: orders, key: [code, status], each: orders}\n    - [customers, customer_id]")
        sources = try plan(listed).sources
        #expect(sources.map(\.table) == ["orders", "customers"])
        #expect(sources.map(\.keys) == [["code", "status"], ["customer_id"]])
        #expect(sources.map(\.each) == ["orders", nil])
    }

    @Test("bad sources", arguments: [
        ("[orders]", "a source is [table, key column, …]"),
        ("[]", "'sql.sources' must be [table, key column, …] or a list of them"),
        ("orders", "'sql.sources' must be [table, key column, …] or a list of them"),
        ("{table: orders}", "a source needs 'table' and 'key'"),
        ("{table: orders, key: [code], per: orders}", "unknown field 'per' in 'source'"),
    ])
    func badSources(_ value: String, _ message: String) throws {
        let tool = ShopPack.sqlTool(sql: Self.read + "  sources: \(value)")
        #expect(try problems(ShopPack.broken(tool)) == ["tools/extra.yaml:\(lineNumber(of: "sources:", in: tool)): \(message)"])
    }

    @Test("timeouts: 5s, 500ms, 2m, a plain number of seconds; 0 and negatives refused")
    func timeouts() {
        #expect(ToolFileParser.duration("5s") == .seconds(5))
        #expect(ToolFileParser.duration("500ms") == .milliseconds(500))
        #expect(ToolFileParser.duration("2m") == .seconds(120))
        #expect(ToolFileParser.duration("1.5s") == .milliseconds(1500))
        #expect(ToolFileParser.duration("7") == .seconds(7))
        #expect(ToolFileParser.duration("60m") == .seconds(3600))
        for refused in ["0", "0s", "0ms", "0m", "-5s", "-1", "", "s", "ms", "5 s", "5sec", "1h", "61m", "3601s", "inf", "nans", "infs"] {
            #expect(ToolFileParser.duration(refused) == nil, "\(refused)")
        }
    }

    @Test("a timeout too short to be a millisecond is refused, never a zero limit")
    func timeoutRoundingToZero() {
        // 0.0001s passes `number > 0` and is then rounded to 0 ms: every call would time out.
        #expect(ToolFileParser.duration("0.0001s") == nil)
        #expect(ToolFileParser.duration("0.4ms") == nil)
    }

    @Test("a tool's timeout from its file", arguments: [("5s", Duration.seconds(5)), ("500ms", .milliseconds(500)), ("2m", .seconds(120))])
    func toolTimeout(_ text: String, _ expected: Duration) throws {
        let tool = ShopPack.orderStatus.replacingOccurrences(of: "timeout: 5s", with: "timeout: \(text)")
        let pack = try loaded(ShopPack.with(tool: "order_status", tool))
        #expect(pack.tool(named: "order_status")?.timeout == expected)
        let untimed = ShopPack.orderStatus.replacingOccurrences(of: "timeout: 5s\n", with: "")
        #expect(try loaded(ShopPack.with(tool: "order_status", untimed)).tool(named: "order_status")?.timeout == nil)
    }

    @Test("a knowledge tool gets {query: string} parameters by default")
    func knowledgeDefaultParameters() throws {
        let pack = try loaded(ShopPack.files)
        let tool = try #require(pack.tool(named: "search_help"))
        guard case .knowledge(let folder, let topics) = tool.kind else {
            Issue.record("search_help is not a knowledge tool")
            return
        }
        #expect(folder == "help")
        #expect(topics == "returns, delivery")
        #expect(tool.parameterNames == ["query"])
        let schema = try #require(tool.parameters.objectValue)
        #expect(schema["type"]?.stringValue == "object")
        #expect(schema["properties"]?["query"]?["type"]?.stringValue == "string")
        #expect(schema["required"] == .array([.string("query")]))
        #expect(schema["additionalProperties"] == .bool(false))
    }

    @Test("a knowledge tool with parameters must take a string query; 'sql' is only for kind sql")
    func knowledgeParameters() throws {
        let wrong = ShopPack.searchHelp + "parameters:\n  type: object\n  properties:\n    question: {type: string}\n"
        #expect(try problems(ShopPack.broken(wrong))
            == ["tools/extra.yaml:\(lineNumber(of: "parameters:", in: wrong)): a kind: knowledge tool takes a string parameter 'query'"])
        let withSQL = ShopPack.searchHelp + "sql:\n  query: SELECT 1\n"
        #expect(try problems(ShopPack.broken(withSQL))
            == ["tools/extra.yaml:\(lineNumber(of: "sql:", in: withSQL)): 'sql' is only for kind: sql"])
    }

    @Test("an sql tool without parameters gets an empty object schema that refuses extra arguments")
    func sqlDefaultParameters() throws {
        let tool = ShopPack.sqlTool(sql: Self.read)
        let pack = try loaded(ShopPack.with(tool: "extra", tool))
        let schema = try #require(pack.tool(named: "extra")?.parameters.objectValue)
        #expect(schema["type"]?.stringValue == "object")
        #expect(schema["properties"]?.objectValue?.isEmpty == true)
        #expect(schema["additionalProperties"] == .bool(false))
    }

    @Test("steps: check with else, plain statements, run with expect, query with returns, as and when_empty")
    func stepForms() throws {
        let tool = ShopPack.sqlTool(sql: """
              transaction:
                - check: SELECT status AS _status FROM orders WHERE customer_id = :customer_id
                  else: no_orders
                - check: SELECT 1 AS one WHERE :customer_id IS NOT NULL
                - UPDATE orders SET status = 'seen' WHERE customer_id = :customer_id
                - run: UPDATE orders SET status = 'held' WHERE customer_id = :customer_id
                  expect: 2
                - query: SELECT code FROM orders WHERE customer_id = :customer_id
                  returns: many
                  when_empty: empty
              query: SELECT count(*) AS total FROM orders WHERE customer_id = :customer_id
            """)
        let plan = try plan(tool)
        #expect(plan.isTransaction)
        #expect(plan.steps.map(\.action) == [
            .check(otherwise: "no_orders"), .check(otherwise: "unavailable"), .statement, .run(expect: 2),
            .query(returns: .many, array: "rows", whenEmpty: "empty"), .query(returns: .one, array: nil, whenEmpty: "not_found"),
        ])
        #expect(plan.steps.map(\.line) == [
            lineNumber(of: "- check: SELECT status", in: tool), lineNumber(of: "- check: SELECT 1", in: tool),
            lineNumber(of: "- UPDATE", in: tool), lineNumber(of: "- run:", in: tool),
            lineNumber(of: "- query:", in: tool), lineNumber(of: "  query: SELECT count", in: tool),
        ])
    }
}

@Suite("pack speech: codes from pack.yaml and from parameter patterns")
struct PackLoaderSpeechTests {
    private func manifest(_ speech: String) -> String { ShopPack.manifest + speech }

    @Test("declared codes and templates load")
    func declaredCodes() throws {
        var files = ShopPack.files
        files["pack.yaml"] = manifest("""
            speech:
              codes:
                - {name: order_code, pattern: "R####", examples: [R1001, r2002]}
              templates:
                - "where is order {order_code}"

            """)
        let pack = try loaded(files)
        #expect(pack.catalog.speech.codes.first == PackSpeech.Code(name: "order_code", pattern: "R####", examples: ["R1001", "r2002"]))
        #expect(pack.catalog.speech.templates == ["where is order {order_code}"])
        // order_status's `code` parameter (^R[0-9]{4}$) is derived too, under its own name.
        #expect(pack.catalog.speech.codes.dropFirst().map(\.name) == ["code"])
        #expect(pack.catalog.speech.codes.dropFirst().map(\.pattern) == ["R####"])
    }

    @Test("a code pattern must be 2 to 16 capitals, digits, @ and #", arguments: ["r####", "R", "R-###", "@@@@@@@@@@@@@@@@@", "R[0-9]{4}", "R #"])
    func badCodePattern(_ pattern: String) throws {
        var files = ShopPack.files
        let text = manifest("speech:\n  codes:\n    - name: order_code\n      pattern: \"\(pattern)\"\n")
        files["pack.yaml"] = text
        #expect(try problems(files) == [
            "pack.yaml:\(lineNumber(of: "pattern:", in: text)): 'pattern' is 2 to 16 of: capital letters and digits (themselves), @ (any letter), # (any digit); got '\(pattern)'",
        ])
    }

    @Test("an example that does not match its code's pattern")
    func badExample() throws {
        for example in ["R101", "R10011", "X1001", "R10O1"] {
            var files = ShopPack.files
            let text = manifest("speech:\n  codes:\n    - name: order_code\n      pattern: \"R####\"\n      examples: [R1001, \(example)]\n")
            files["pack.yaml"] = text
            #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "examples:", in: text)): example '\(example)' does not match pattern 'R####'"])
        }
    }

    @Test("a speech section with unknown fields, a code without a name, an unclosed template slot")
    func badSpeech() throws {
        var files = ShopPack.files
        var text = manifest("speech:\n  codes: []\n  words: [refund]\n")
        files["pack.yaml"] = text
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "words:", in: text)): unknown field 'words' in 'speech'"])
        text = manifest("speech:\n  codes:\n    - {pattern: \"R####\"}\n")
        files["pack.yaml"] = text
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "pattern", in: text)): missing required field 'speech.codes.name'"])
        text = manifest("speech:\n  templates:\n    - \"order {order_code\"\n")
        files["pack.yaml"] = text
        #expect(try problems(files) == ["pack.yaml:\(lineNumber(of: "templates:", in: text)): template 'order {order_code' has an unclosed '{'"])
    }

    @Test("spoken patterns of simple regular expressions")
    func spokenPatterns() {
        #expect(PackSpeech.spokenPatterns(regex: "^[A-Z]{2}[0-9]{3,4}$") == ["@@###", "@@####"])
        #expect(PackSpeech.spokenPatterns(regex: "^A[0-9]{4}$") == ["A####"])
        #expect(PackSpeech.spokenPatterns(regex: "^[A-Z]{3}[0-9]{3}$") == ["@@@###"])
        #expect(PackSpeech.spokenPatterns(regex: "^SB\\d{3}$") == ["SB###"])
        #expect(PackSpeech.spokenPatterns(regex: "H[0-9]{6}") == ["H######"])
        #expect(PackSpeech.spokenPatterns(regex: "^SB[0-9]{2,4}$") == ["SB##", "SB###", "SB####"])
        #expect(PackSpeech.spokenPatterns(regex: "^[A-Z]{1,2}[0-9]{1,2}$") == ["@#", "@##", "@@#", "@@##"])
    }

    @Test("anything else has no spoken pattern", arguments: [
        "^(SB|BA)[0-9]{3}$", "^SB[0-9]{3}|BA[0-9]{3}$", "^SB.[0-9]{3}$", "^SB[0-9]*$", "^SB[0-9]+$", "^SB[0-9]?$",
        "^[0-9]{1,5}$", "^[A-Z]{1,2}[0-9]{1,3}$", "^[a-z]{3}$", "^sb[0-9]{3}$", "^[A-Z0-9]{6}$", "^A$", "^[0-9]{3,}$",
        "^[0-9]{,3}$", "^[0-9]{4,2}$", "^[0-9]{0,2}A$", "^[0-9]{13}$", "^[0-9]{9}[0-9]{8}$", "^SB[0-9]{3$", "",
    ])
    func noSpokenPattern(_ regex: String) {
        #expect(PackSpeech.spokenPatterns(regex: regex) == nil)
    }

    @Test("derived codes are named after the parameter, then _2, _3, … for the other lengths")
    func derivedCodes() {
        func tool(_ name: String, _ properties: JSONObject) -> ToolDefinition {
            ToolDefinition(name: name, description: "", parameters: .object(["type": .string("object"), "properties": .object(properties)]), kind: .builtin(.endCall))
        }
        let tools = [
            tool("status", [
                "flight_number": .object(["type": .string("string"), "pattern": .string("^[A-Z]{2}[0-9]{3,4}$")]),
                "date": .object(["type": .string("string"), "format": .string("date")]),
                "note": .object(["type": .string("string"), "pattern": .string("^.*$")]),
            ]),
            tool("change", [
                "flight_number": .object(["type": .string("string"), "pattern": .string("^[0-9]{4}$")]),
                "confirmation": .object(["type": .string("string"), "pattern": .string("^[A-Z]{3}[0-9]{3}$")]),
                "code": .object(["type": .string("string"), "pattern": .string("^A[0-9]{4}$")]),
            ]),
        ]
        let codes = PackSpeech.derivedCodes(from: tools, declared: [PackSpeech.Code(name: "code", pattern: "A####")])
        #expect(codes == [
            PackSpeech.Code(name: "flight_number", pattern: "@@###"),
            PackSpeech.Code(name: "flight_number_2", pattern: "@@####"),
            PackSpeech.Code(name: "confirmation", pattern: "@@@###"),
        ])
    }
}

@Suite("generated patterns")
struct PackLoaderGeneratedPatternTests {
    private static let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { Character(UnicodeScalar($0)) }
    private static let digits = (UInt8(ascii: "0")...UInt8(ascii: "9")).map { Character(UnicodeScalar($0)) }

    @Test("classes, counts and literals")
    func positions() throws {
        let code = try #require(GeneratedPattern("[A-Z]{3}[0-9]{3}"))
        #expect(code.positions == Array(repeating: Self.letters, count: 3) + Array(repeating: Self.digits, count: 3))
        let reference = try #require(GeneratedPattern("R[0-9]{4}"))
        #expect(reference.positions == [["R"]] + Array(repeating: Self.digits, count: 4))
        let mixed = try #require(GeneratedPattern("BK[ABC][1-9]-x"))
        #expect(mixed.positions == [["B"], ["K"], ["A", "B", "C"], Array("123456789"), ["-"], ["x"]])
        let union = try #require(GeneratedPattern("[A-C0-2_]{2}"))
        #expect(union.positions == Array(repeating: Array("ABC012_"), count: 2))
        #expect(GeneratedPattern("A{64}")?.positions.count == 64)
    }

    @Test("refused patterns", arguments: [
        "", "A{0}", "[A-Z]{0}", "A{65}", "A{64}B", "[A-Z", "[A-Z]{3", "A]", "[]", "[Z-A]", "A{}", "A{x}", "A{1,3}", "{3}",
        "A+", "A*", "A?", "A|B", "(AB)", "A.", "\\d{3}", "^A", "A$", "[A-Z]{2}{3}",
    ])
    func refused(_ pattern: String) {
        #expect(GeneratedPattern(pattern) == nil, "\(pattern)")
    }

    @Test("negated classes and escapes inside a class are refused, not taken literally")
    func regexInsideClass() {
        // `[^0-9]` and `[\d]` mean "not a digit" and "a digit" to a regular expression; the
        // pattern takes them as the characters ^, 0-9 and \, d, so values break the regex.
        #expect(GeneratedPattern("[^0-9]{3}") == nil)
        #expect(GeneratedPattern("[\\d]{3}") == nil)
    }

    @Test("1000 generated values all match the equivalent regular expression", arguments: [
        "[A-Z]{3}[0-9]{3}", "R[0-9]{4}", "BK[ABCDEFGHJKLMNPQRSTUVWXYZ][1-9][0-9]{2}", "A[1-9][0-9]{3}", "[A-Z0-9]{8}",
        "H[0-9]{6}", "x_[a-f0-9]{12}", "[A-C]-[0-2]{2}", "Z",
    ])
    func generatedValuesMatch(_ pattern: String) throws {
        let generated = try #require(GeneratedPattern(pattern))
        let regex = try Regex("^" + pattern + "$")
        var generator = SplitMix64(seed: pattern.utf8.reduce(UInt64(17)) { $0 &* 31 &+ UInt64($1) })
        var seen = Set<String>()
        for _ in 0..<1000 {
            let value = generated.generate(using: &generator)
            #expect(value.count == generated.positions.count)
            #expect(value.wholeMatch(of: regex) != nil, "\(value) does not match \(pattern)")
            seen.insert(value)
        }
        // Every position draws across its class: more than one value unless the pattern is fixed.
        let fixed = generated.positions.allSatisfy { $0.count == 1 }
        #expect(fixed ? seen.count == 1 : seen.count > 1)
    }

    @Test("every character of a class is drawn")
    func everyCharacterDrawn() throws {
        let pattern = try #require(GeneratedPattern("[A-Z0-9]"))
        var generator = SplitMix64(seed: 42)
        var seen = Set<String>()
        for _ in 0..<5000 { seen.insert(pattern.generate(using: &generator)) }
        #expect(seen.count == 36)
    }
}


@Suite("pack loading: fillers said while a tool runs")
struct PackFillerTests {
    private func tool(_ filler: String) -> String {
        ShopPack.orderStatus.replacingOccurrences(of: "kind: sql\n", with: "kind: sql\nfiller: \(filler)\n")
    }

    private func manifest(_ filler: String) -> String {
        ShopPack.manifest.replacingOccurrences(of: "router: desk\n", with: "router: desk\nfiller: \(filler)\n")
    }

    @Test("a tool says the standard filler after 2 s unless its file or its pack says otherwise")
    func resolution() throws {
        #expect(try loaded(ShopPack.files).tool(named: "order_status")?.filler == .standard)
        var files = ShopPack.with(tool: "order_status", tool("Let me look that order up."))
        #expect(try loaded(files).tool(named: "order_status")?.filler == ToolFiller(say: "Let me look that order up.", after: .seconds(2)))
        // The pack's filler is every tool's; a tool's own parts win, the rest come from the pack.
        files["pack.yaml"] = manifest("{say: One moment., after: 800ms}")
        let pack = try loaded(files)
        #expect(pack.tool(named: "order_status")?.filler == ToolFiller(say: "Let me look that order up.", after: .milliseconds(800)))
        #expect(pack.tool(named: "search_help")?.filler == ToolFiller(say: "One moment.", after: .milliseconds(800)))
        files["pack.yaml"] = manifest("off")
        let quiet = try loaded(files)
        #expect(quiet.tool(named: "search_help")?.filler == nil)
        #expect(quiet.tool(named: "order_status")?.filler == ToolFiller(say: "Let me look that order up.", after: .seconds(2)))
        let off = ShopPack.with(tool: "order_status", tool("off"))
        #expect(try loaded(off).tool(named: "order_status")?.filler == nil)
    }

    @Test("a bad filler is a problem at its line", arguments: [
        ("{say: Wait., colour: red}", "unknown field 'colour' in 'filler'"),
        ("{after: 2h}", "'filler.after' must be a duration up to 60s, like 2s or 1500ms"),
        ("{after: 0s}", "'filler.after' must be a duration up to 60s, like 2s or 1500ms"),
        ("{after: soon}", "'filler.after' must be a duration up to 60s, like 2s or 1500ms"),
        ("'Say \"this\" now'", "a filler is a sentence of 1 to 200 characters without double quotes"),
        ("'  '", "a filler is a sentence of 1 to 200 characters without double quotes"),
        (String(repeating: "a", count: 201), "a filler is a sentence of 1 to 200 characters without double quotes"),
    ])
    func badFiller(_ filler: String, _ message: String) throws {
        let text = tool(filler)
        // The broken file is left out, so the agent naming it adds a problem of its own.
        let found = try problems(ShopPack.with(tool: "order_status", text))
        #expect(found.contains { $0.hasPrefix("tools/order_status.yaml:\(lineNumber(of: "filler", in: text)): ") && $0.hasSuffix(message) }, "\(found)")
        let inPack = try problems(ShopPack.files.merging(["pack.yaml": manifest(filler)]) { $1 })
        #expect(inPack.count == 1)
        #expect(inPack.first?.hasPrefix("pack.yaml:\(lineNumber(of: "filler", in: manifest(filler)))") == true, "\(inPack)")
    }
}

@Suite("pack loading: vocabularies from the data")
struct PackVocabularyLoadingTests {
    private func manifest(_ vocabulary: String) -> String {
        ShopPack.manifest + "speech:\n  vocabulary:\n\(vocabulary)"
    }

    @Test("a vocabulary is read with its name, query and line")
    func loads() throws {
        var files = ShopPack.files
        files["pack.yaml"] = manifest("    - {name: product, sql: SELECT title FROM products}\n")
        let speech = try loaded(files).catalog.speech
        #expect(speech.vocabularies == [PackSpeech.Vocabulary(name: "product", sql: "SELECT title FROM products",
                                                              line: lineNumber(of: "name: product", in: files["pack.yaml"]!))])
        #expect(speech.words.isEmpty, "filled when the data opens")
    }

    @Test("a bad vocabulary is a problem at its line", arguments: [
        ("    - {name: Product, sql: SELECT 1}\n", "a vocabulary's 'name' is lowercase letters, digits and '_', starting with a letter (got 'Product')"),
        ("    - {name: date, sql: SELECT 1}\n", "the vocabulary name 'date' is taken (the recognizer's classes are date, month, number, ordinal, weekday)"),
        ("    - {name: item, sql: SELECT 1}\n    - {name: item, sql: SELECT 2}\n", "the vocabulary name 'item' is taken (the recognizer's classes are date, month, number, ordinal, weekday)"),
        ("    - {name: item, sql: SELECT 1, colour: red}\n", "unknown field 'colour' in 'speech.vocabulary'"),
        ("    - {name: item}\n", "missing required field 'speech.vocabulary.sql'"),
    ])
    func bad(_ vocabulary: String, _ message: String) throws {
        var files = ShopPack.files
        files["pack.yaml"] = manifest(vocabulary)
        let found = try problems(files)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("pack.yaml:") == true && found.first?.hasSuffix(message) == true, "\(found)")
    }

    @Test("a vocabulary named like a code, or in a pack without data")
    func clashes() throws {
        var files = ShopPack.files
        // order_status's `code` parameter has a pattern: it is a spoken code.
        files["pack.yaml"] = manifest("    - {name: code, sql: SELECT 1}\n")
        let found = try problems(files)
        #expect(found.contains { $0.hasSuffix("the vocabulary name 'code' is also a code's (a parameter with a pattern, or speech.codes)") }, "\(found)")
    }

    @Test("the recognizer prompt: title, a few examples of each code, vocabulary values; whole phrases up to the word limit")
    func prompt() {
        let speech = PackSpeech(codes: [PackSpeech.Code(name: "order", pattern: "R####", examples: ["R1001", "R1002", "R1003", "R1004"])],
                                vocabularies: [PackSpeech.Vocabulary(name: "dish", sql: "SELECT 1")],
                                words: ["dish": ["Pad Thai", "Green Curry"]])
        #expect(speech.recognizerPrompt(title: "Thai Garden") == "Thai Garden, R1001, R1002, R1003, Pad Thai, Green Curry.")
        #expect(speech.recognizerPrompt(title: "Thai Garden", maximumWords: 5) == "Thai Garden, R1001, R1002, R1003.")
        #expect(PackSpeech().recognizerPrompt(title: "", maximumWords: 5) == "")
    }

    @Test("values as callers say them: punctuation as spaces, repeats, blanks and long values left out, at most 500")
    func values() {
        #expect(PackSpeech.vocabularyValues(["Doctor Patel", "doctor patel", "Café Ñandú", "  ", "St. John's Wort", "a b c d e f g"])
                == ["Doctor Patel", "Café Ñandú", "St John's Wort"])
        #expect(PackSpeech.vocabularyValues((0..<600).map { "item \($0)" }).count == 500)
    }
}

@Suite("pack loading: recording")
struct PackLoaderRecordingTests {
    private func pack(_ text: String) throws -> Pack {
        var files = ShopPack.files
        files["pack.yaml"] = (files["pack.yaml"] ?? "") + "\n" + text + "\n"
        return try loaded(files)
    }

    @Test("recording: {enabled: true} has the standard notice and refusals; off, false or absent records nothing")
    func defaults() throws {
        #expect(try pack("recording: {enabled: true}").recording == RecordingPolicy())
        #expect(RecordingPolicy().notice == "This call is recorded for quality. Say 'do not record' if you'd rather not.")
        #expect(RecordingPolicy().refusals == ["do not record", "don't record", "no recording", "i do not consent", "i don't consent"])
        #expect(try pack("recording: off").recording == nil)
        #expect(try pack("recording: {enabled: false, notice: Recorded.}").recording == nil)
        #expect(try loaded(ShopPack.files).recording == nil)
    }

    @Test("a notice and refusals of the pack's own")
    func ownWords() throws {
        let policy = try #require(try pack("""
            recording:
              enabled: true
              notice: Calls are recorded. Say stop recording to opt out.
              refusals: [Stop Recording, "no thanks,  no recording"]
            """).recording)
        #expect(policy.notice == "Calls are recorded. Say stop recording to opt out.")
        #expect(policy.refusals == ["stop recording", "no thanks no recording"])
    }

    @Test("a refusal is found as whole words in any case", arguments: [
        ("Please DO NOT record this call.", true),
        ("i don't consent", true),
        ("I don\u{2019}t record anything", true),
        ("do not recorder", false),
        ("I do not recall", false),
        ("undo not record", false),
        ("", false),
    ])
    func refusals(_ utterance: String, _ refused: Bool) {
        #expect(RecordingPolicy().isRefusal(utterance) == refused)
    }

    @Test("recording with a problem", arguments: [
        ("recording: yes", "'recording' must be off or a mapping {enabled, notice, refusals}"),
        ("recording: {notice: Hello.}", "'recording' needs 'enabled: true' (or write recording: off)"),
        ("recording: {enabled: maybe}", "'recording.enabled' must be true or false"),
        ("recording: {enabled: true, where: s3}", "unknown field 'where' in 'recording'"),
        ("recording: {enabled: true, refusals: []}", "'recording.refusals' must be a list of 1 to 50 phrases"),
        ("recording: {enabled: true, refusals: stop}", "'recording.refusals' must be a list of phrases"),
        ("recording: {enabled: true, refusals: ['...']}", "each of 'recording.refusals' must be words, at most 100 characters (got '...')"),
        ("recording: {enabled: true, notice: 'Say \"stop\".'}", "'recording.notice' must be a sentence of at most 300 characters without double quotes"),
    ])
    func recordingProblems(_ text: String, _ message: String) throws {
        var files = ShopPack.files
        files["pack.yaml"] = (files["pack.yaml"] ?? "") + "\n" + text + "\n"
        let found = try problems(files)
        #expect(found.count == 1 && found.first?.hasSuffix(": " + message) == true, "\(found)")
    }
}
