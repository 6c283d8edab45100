import Foundation
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardTools
import Testing

// The SQL tool executor (docs/packs.md, "Parameters of a statement", "What a tool returns",
// "Steps and transactions", "Sources") on a small pack written into a temporary directory, its
// data in a temporary SQLite file.

private let schema = """
    CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE items (sku TEXT PRIMARY KEY, title TEXT NOT NULL, price INTEGER, stock INTEGER NOT NULL, secret TEXT);
    CREATE TABLE notes (id INTEGER PRIMARY KEY, customer_id TEXT, body TEXT NOT NULL);
    CREATE TABLE codes (code TEXT PRIMARY KEY, customer_id TEXT NOT NULL);
    CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);

    """

private let seed = """
    INSERT INTO customers (id, name) VALUES ('C-1', 'Ada'), ('C-2', 'Bea');
    INSERT INTO items (sku, title, price, stock, secret) VALUES
      ('P-1', 'Kettle', 2500, 3, 'supplier A'),
      ('P-2', 'Teapot', NULL, 0, 'supplier B'),
      ('P-3', 'Cup', 400, 10, 'supplier C');
    INSERT INTO codes (code, customer_id) VALUES ('A', 'C-2');
    INSERT INTO counters (id, n) VALUES (1, 5);

    """

/// The tools, by name: the `sql:` part of each file (indented two spaces), and its parameters.
private struct ToolText {
    var parameters: [String: String] = [:]
    var required: [String] = []
    var sql: String
    var timeout: String?

    func file(_ name: String) -> String {
        var text = "name: \(name)\ndescription: A test tool.\n"
        if !parameters.isEmpty {
            text += "parameters:\n  type: object\n  properties:\n"
            for (parameter, type) in parameters.sorted(by: { $0.key < $1.key }) { text += "    \(parameter): {type: \(type)}\n" }
            if !required.isEmpty { text += "  required: [\(required.joined(separator: ", "))]\n" }
        }
        if let timeout { text += "timeout: \(timeout)\n" }
        return text + "kind: sql\nsql:\n\(sql)\n"
    }
}

private let tools: [String: ToolText] = [
    // Session values and an argument, echoed back by the database.
    "echo_session": ToolText(parameters: ["note": "string"], sql: """
          query: SELECT :customer_id AS cid, :customer_name AS cname, :today AS day, :now AS now_text, :note AS note_param
        """),
    // An optional argument left out.
    "optional_argument": ToolText(parameters: ["sku": "string", "colour": "string"], required: ["sku"], sql: """
          query: SELECT :colour IS NULL AS colour_missing, typeof(:colour) AS colour_type, title FROM items WHERE sku = :sku
        """),
    // Columns of earlier rows as parameters; an argument is never replaced by a column of the same name.
    "earlier_rows": ToolText(parameters: ["sku": "string"], required: ["sku"], sql: """
          steps:
            - SELECT price * 2 AS _double, 'from a row' AS label, 'ROW-SKU' AS sku FROM items WHERE sku = :sku
          query: SELECT :_double AS doubled, :label AS label_again, :sku AS bound_sku
        """),
    // One row: hidden columns, null columns, sources.
    "find_item": ToolText(parameters: ["sku": "string"], required: ["sku"], sql: """
          query: SELECT sku, title, price, stock, secret AS _secret FROM items WHERE sku = :sku
          returns: one
          sources: [items, sku]
        """),
    // A key the arguments give but no row returns: no source.
    "echo_source": ToolText(parameters: ["sku": "string"], required: ["sku"], sql: """
          query: SELECT title FROM items WHERE sku = :sku
          sources: [items, sku]
        """),
    // Many rows, the default array name, sources per row.
    "list_items": ToolText(parameters: ["min_stock": "integer"], sql: """
          query: SELECT sku, title, price, secret AS _secret, 'ignored' AS outcome FROM items WHERE stock >= COALESCE(:min_stock, 0) ORDER BY sku
          returns: many
          sources: [items, sku]
        """),
    // Many rows under `as:`, `when_empty:`, `each:` sources.
    "in_stock": ToolText(parameters: ["min_stock": "integer"], sql: """
          query: SELECT sku, title FROM items WHERE stock >= :min_stock ORDER BY sku
          returns: many
          as: items
          when_empty: sold_out
          sources: {table: items, key: [sku], each: items}
        """),
    // A write, a check that may refuse, a counted write, a final row with an outcome.
    "reserve": ToolText(parameters: ["sku": "string"], required: ["sku"], sql: """
          transaction:
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'reserve ' || :sku)
            - check: >
                SELECT CASE WHEN stock = 0 THEN 'sold_out' END AS outcome,
                  CASE WHEN stock = 0 THEN 'none left' END AS reason, title, stock AS _stock
                FROM items WHERE sku = :sku
              else: no_such_item
            - run: UPDATE items SET stock = stock - 1 WHERE sku = :sku AND stock = :_stock
              expect: 1
          query: SELECT 'reserved' AS outcome, sku, title, stock AS stock_left FROM items WHERE sku = :sku
          returns: one
          sources: [items, sku]
        """),
    // A check without else:.
    "must_exist": ToolText(parameters: ["sku": "string"], required: ["sku"], sql: """
          transaction:
            - check: SELECT title FROM items WHERE sku = :sku
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'seen ' || :sku)
          query: SELECT title FROM items WHERE sku = :sku
        """),
    // A read step's outcome, then a check whose null outcome passes.
    "outcome_then_check": ToolText(sql: """
          steps:
            - SELECT 'noted' AS outcome
            - check: SELECT NULL AS outcome, 1 AS passed
        """),
    // `expect:` that does not hold: everything is rolled back.
    "take_two": ToolText(sql: """
          transaction:
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'take two')
            - run: UPDATE counters SET n = n - 1 WHERE id = 1
              expect: 2
          query: SELECT n FROM counters WHERE id = 1
        """),
    // A generated code, unique among the codes table.
    "new_code": ToolText(sql: """
          generate:
            new_code: {pattern: "[AB]", unique: "SELECT 1 FROM codes WHERE code = :new_code"}
          transaction:
            - run: INSERT INTO codes (code, customer_id) VALUES (:new_code, :customer_id)
              expect: 1
          query: SELECT code FROM codes WHERE code = :new_code AND customer_id = :customer_id
          sources: [codes, code]
        """),
    // A generated value whose name an earlier row also has.
    "generated_or_row": ToolText(sql: """
          generate:
            token: {pattern: "G[0-9]{3}"}
          steps:
            - SELECT 'ROW' AS token
          query: SELECT :token AS bound_token
        """),
    // Text stored as given.
    "add_note": ToolText(parameters: ["body": "string"], required: ["body"], sql: """
          transaction:
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, :body)
          query: SELECT id, body FROM notes WHERE id = last_insert_rowid() AND customer_id = :customer_id
        """),
    // One unit of a counter, never below zero.
    "decrement": ToolText(sql: """
          transaction:
            - run: UPDATE counters SET n = n - 1 WHERE id = 1 AND n > 0
              expect: 1
          query: SELECT n FROM counters WHERE id = 1
        """),
    // A write, a long read, a write.
    "slow_write": ToolText(sql: """
          transaction:
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'partial')
            - WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT count(*) AS _n FROM c
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'complete')
          query: SELECT count(*) AS notes FROM notes
        """),
    // The same, with a time limit the registry enforces.
    "slow_write_limited": ToolText(sql: """
          transaction:
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'partial')
            - WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT count(*) AS _n FROM c
            - INSERT INTO notes (customer_id, body) VALUES (:customer_id, 'complete')
          query: SELECT count(*) AS notes FROM notes
        """, timeout: "200ms"),
]

private let today = ISO8601DateFormatter().date(from: "2025-11-20T12:00:00Z")!
private let ada = ToolContext(customer: Customer(name: "Ada", id: "C-1"), sessionKey: "session-ada", today: today)
private let anonymous = ToolContext(customer: Customer(), sessionKey: "session-anon", today: today)

/// The pack, loaded, with its database open.
private struct Shop {
    let directory: String
    let pack: Pack
    let database: SQLitePackDatabase
    let runtime: PackRuntime

    var path: String { directory + "/data/shop.sqlite" }

    /// A tool call through the registry: the outcome, the output and the sources.
    struct Call {
        var outcome: String
        var output: JSONObject
        var sources: [JSONValue]
        subscript(_ key: String) -> JSONValue? { output[key] }
        var errorCode: String? { output["error"]?["code"]?.stringValue }
    }

    func call(_ name: String, _ arguments: String = "{}", as context: ToolContext = ada) async throws -> Call {
        let result = await runtime.tools.call(ToolCallRequest(callID: "call-\(name)", name: name, arguments: arguments), context: context)
        let output = try #require(try JSONParser.parse(result.output).objectValue)
        #expect(output.keys.first == "outcome")
        #expect(output["outcome"]?.stringValue == result.outcome)
        #expect(output.keys.filter { $0 == "outcome" }.count == 1, "\(result.output)")
        return Call(outcome: result.outcome, output: output, sources: result.sources)
    }

    /// The tool itself, to run it with arguments the registry's schema check would refuse.
    func tool(_ name: String) throws -> SQLTool {
        let definition = try #require(pack.tool(named: name))
        guard case .sql(let plan) = definition.kind else { throw DataError.corrupt("\(name) is not an sql tool") }
        return try SQLTool(definition: definition, plan: plan, database: database)
    }

    /// Rows of a query run directly on the pack's connection.
    func rows(_ sql: String, on database: (any PackDatabase)? = nil) async throws -> [SQLRow] {
        let statement = try NamedStatement(sql)
        let target: any PackDatabase = database ?? self.database
        return try await target.read { runner in try await runner.rows(statement, [:]) }
    }

    /// A second connection to the pack's file.
    func openAgain() async throws -> SQLitePackDatabase {
        let data = try #require(pack.data)
        let other = try await SQLitePackDatabase.open(path: path, schema: data.schema, seed: data.seed, today: today)
        #expect(other.wasSeeded == false)
        return other
    }

    func integer(_ sql: String, on database: (any PackDatabase)? = nil) async throws -> Int? {
        guard case .integer(let value)? = try await rows(sql, on: database).first?.values.first else { return nil }
        return value
    }
}

/// Writes the pack, opens its data and runs `body`; closes and removes everything afterwards.
private func withShop(_ body: (Shop) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-sqltool-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var files: [String: String] = [
        "pack.yaml": """
            name: shop
            title: The Shop
            description: A test shop.
            router: desk
            data:
              schema: schema.sql
              seed: seed.sql
              customer_tables: [customers, notes, codes]
            customers:
              by_id: SELECT id, name FROM customers WHERE id = :customer_id

            """,
        "schema.sql": schema, "seed.sql": seed,
        "agents/desk.yaml": "name: desk\nrole: router\ndescription: Greets.\ninstructions: You greet callers.\n",
        "agents/shop.yaml": """
            name: shop_agent
            role: agent
            description: Everything.
            instructions: You use the tools.
            routing:
              examples: [One thing, Another thing, A third thing]
            tools:
            \(tools.keys.sorted().map { "  - \($0)" }.joined(separator: "\n"))

            """,
    ]
    for (name, tool) in tools { files["tools/\(name).yaml"] = tool.file(name) }
    for (path, text) in files {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    let pack = try Pack.load(directory: directory)
    let data = try #require(pack.data)
    let database = try await SQLitePackDatabase.open(path: directory + "/data/shop.sqlite", schema: data.schema, seed: data.seed, today: today)
    do {
        // A limit far above what a call needs: the suite runs in parallel on two cores.
        let runtime = try PackRuntime(pack: pack, database: database, timeout: .seconds(120))
        try await body(Shop(directory: directory, pack: pack, database: database, runtime: runtime))
        await database.shutdown()
    } catch {
        await database.shutdown()
        throw error
    }
}

@Suite("SQL tools: parameters")
struct SQLToolParameterTests {
    @Test("session values: :customer_id, :customer_name, :today, :now")
    func sessionValues() async throws {
        try await withShop { shop in
            let call = try await shop.call("echo_session", #"{"note":"hello"}"#)
            #expect(call.outcome == "found")
            #expect(call["cid"] == .string("C-1"))
            #expect(call["cname"] == .string("Ada"))
            #expect(call["day"] == .string(CalendarDate(today).iso))
            #expect(call["now_text"] == .string("2025-11-20T12:00:00Z"))
            #expect(call["note"] == .string("hello"), "the arguments are fields")
            #expect(call["note_param"] == .string("hello"))
        }
    }

    @Test("an anonymous caller: :customer_id and :customer_name are NULL, and null columns are left out")
    func anonymousSession() async throws {
        try await withShop { shop in
            let call = try await shop.call("echo_session", #"{"note":"hello"}"#, as: anonymous)
            #expect(call.outcome == "found")
            #expect(call["cid"] == nil)
            #expect(call["cname"] == nil)
            #expect(call["day"] == .string(CalendarDate(today).iso))
        }
    }

    @Test("arguments never override session values")
    func argumentsCannotOverrideSession() async throws {
        try await withShop { shop in
            // The registry refuses them by schema (additionalProperties: false)…
            let refused = try await shop.call("echo_session", #"{"note":"x","customer_id":"C-2"}"#)
            #expect(refused.outcome == "error")
            #expect(refused.errorCode == "invalid_arguments")
            // …and the tool ignores them even when called directly.
            let tool = try shop.tool("echo_session")
            let result = try await tool.run([
                "note": .string("x"), "customer_id": .string("C-2"), "customer_name": .string("Mallory"),
                "today": .string("1999-01-01"), "now": .string("1999-01-01T00:00:00Z"),
            ], context: ada)
            #expect(result.fields["cid"] == .string("C-1"))
            #expect(result.fields["cname"] == .string("Ada"))
            #expect(result.fields["day"] == .string(CalendarDate(today).iso))
            #expect(result.fields["now_text"] == .string("2025-11-20T12:00:00Z"))
            for name in ["customer_id", "customer_name", "today", "now"] { #expect(result.fields[name] == nil, "\(name)") }
            // Nor can an anonymous caller claim a customer by argument.
            let claimed = try await tool.run(["note": .string("x"), "customer_id": .string("C-1")], context: anonymous)
            #expect(claimed.fields["cid"] == nil)
        }
    }

    @Test("an optional argument left out binds NULL")
    func optionalArgumentIsNull() async throws {
        try await withShop { shop in
            let call = try await shop.call("optional_argument", #"{"sku":"P-1"}"#)
            #expect(call.outcome == "found")
            #expect(call["colour_missing"] == .int(1))
            #expect(call["colour_type"] == .string("null"))
            #expect(call["colour"] == nil, "an argument left out is no field")
            let given = try await shop.call("optional_argument", #"{"sku":"P-1","colour":"red"}"#)
            #expect(given["colour_missing"] == .int(0))
            #expect(given["colour_type"] == .string("text"))
        }
    }

    @Test("columns of earlier rows are parameters; an argument is never replaced by a column, but the field is")
    func earlierRows() async throws {
        try await withShop { shop in
            let call = try await shop.call("earlier_rows", #"{"sku":"P-1"}"#)
            #expect(call.outcome == "found")
            #expect(call["doubled"] == .int(5000))
            #expect(call["label"] == .string("from a row"))
            #expect(call["label_again"] == .string("from a row"))
            #expect(call["_double"] == nil)
            #expect(call["bound_sku"] == .string("P-1"), "the argument stays the parameter")
            #expect(call["sku"] == .string("ROW-SKU"), "a later step's column overwrites the field")
        }
    }

    @Test("a generated value ranks above an earlier row's column of the same name (session, arguments, generated, rows)")
    func generatedBeforeRows() async throws {
        try await withShop { shop in
            let call = try await shop.call("generated_or_row")
            #expect(call.outcome == "found")
            // The row's column is still its field; the parameter stays the generated value.
            #expect(call["token"] == .string("ROW"))
            #expect(call["bound_token"] != .string("ROW"))
            #expect(call["bound_token"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("SQL in an argument is stored verbatim and never executed")
    func injection() async throws {
        try await withShop { shop in
            let attacks = [
                "x'); DROP TABLE items; --",
                "'; DELETE FROM notes WHERE '1'='1",
                "Robert\"); UPDATE counters SET n = 999; --",
                ":customer_id :body ?1 $1 @x",
                "/* */ ; COMMIT; BEGIN; -- ",
            ]
            for attack in attacks {
                let arguments = JSONValue.object(["body": .string(attack)]).jsonString
                let call = try await shop.call("add_note", arguments)
                #expect(call.outcome == "found")
                #expect(call["body"] == .string(attack))
                let stored = try await shop.rows("SELECT body FROM notes ORDER BY id DESC LIMIT 1")
                #expect(stored.first?["body"] == .text(attack))
            }
            #expect(try await shop.integer("SELECT count(*) FROM items") == 3)
            #expect(try await shop.integer("SELECT count(*) FROM notes") == attacks.count)
            #expect(try await shop.integer("SELECT n FROM counters WHERE id = 1") == 5)
        }
    }
}

@Suite("SQL tools: outcomes and fields")
struct SQLToolOutcomeTests {
    @Test("found: the arguments, then the row's columns; hidden columns never shown; null columns left out")
    func foundRow() async throws {
        try await withShop { shop in
            let call = try await shop.call("find_item", #"{"sku":"P-1"}"#)
            #expect(call.outcome == "found")
            #expect(call.output.keys == ["outcome", "sku", "title", "price", "stock"])
            #expect(call["title"] == .string("Kettle"))
            #expect(call["price"] == .int(2500))
            #expect(call["_secret"] == nil)
            #expect(!call.output.jsonString.contains("supplier"))
            let teapot = try await shop.call("find_item", #"{"sku":"P-2"}"#)
            #expect(teapot.outcome == "found")
            #expect(teapot["price"] == nil, "a null column is left out")
            #expect(teapot.output.keys == ["outcome", "sku", "title", "stock"])
        }
    }

    @Test("not_found when a query finds no row, with the arguments and no sources")
    func notFound() async throws {
        try await withShop { shop in
            let call = try await shop.call("find_item", #"{"sku":"P-404"}"#)
            #expect(call.outcome == "not_found")
            #expect(call.output.keys == ["outcome", "sku"])
            #expect(call.sources.isEmpty)
        }
    }

    @Test("returns: many: an array (rows by default) and count; hidden and outcome columns left out of rows")
    func manyRows() async throws {
        try await withShop { shop in
            let call = try await shop.call("list_items")
            #expect(call.outcome == "found", "an outcome column of many rows is no outcome")
            #expect(call["count"] == .int(3))
            let rows = try #require(call["rows"]?.arrayValue)
            #expect(rows.compactMap { $0["sku"]?.stringValue } == ["P-1", "P-2", "P-3"])
            #expect(rows.allSatisfy { $0["_secret"] == nil && $0["outcome"] == nil })
            #expect(!call.output.jsonString.contains("supplier"))

            let named = try await shop.call("in_stock", #"{"min_stock":1}"#)
            #expect(named.outcome == "found")
            #expect(named["count"] == .int(2))
            #expect(named["items"]?.arrayValue?.compactMap { $0["sku"]?.stringValue } == ["P-1", "P-3"])
            #expect(named["rows"] == nil)
        }
    }

    @Test("when_empty: the outcome when a many-row query finds nothing")
    func whenEmpty() async throws {
        try await withShop { shop in
            let call = try await shop.call("in_stock", #"{"min_stock":100}"#)
            #expect(call.outcome == "sold_out")
            #expect(call["items"] == nil)
            #expect(call.sources.isEmpty)
            let none = try await shop.call("list_items", #"{"min_stock":100}"#)
            #expect(none.outcome == "not_found")
        }
    }

    @Test("a check row with a non-null outcome stops the tool with it and the fields so far, rolling back earlier writes")
    func checkRefuses() async throws {
        try await withShop { shop in
            let call = try await shop.call("reserve", #"{"sku":"P-2"}"#)
            #expect(call.outcome == "sold_out")
            #expect(call["reason"] == .string("none left"))
            #expect(call["title"] == .string("Teapot"))
            #expect(call["sku"] == .string("P-2"))
            #expect(call["_stock"] == nil)
            #expect(call["stock_left"] == nil, "the final query did not run")
            #expect(try await shop.integer("SELECT count(*) FROM notes") == 0, "the note written before the check is rolled back")
            #expect(try await shop.integer("SELECT stock FROM items WHERE sku = 'P-2'") == 0)
        }
    }

    @Test("a check that finds no row stops with else:, rolling back; without else: the outcome is unavailable")
    func checkElse() async throws {
        try await withShop { shop in
            let missing = try await shop.call("reserve", #"{"sku":"P-404"}"#)
            #expect(missing.outcome == "no_such_item")
            #expect(missing.output.keys == ["outcome", "sku"])
            #expect(try await shop.integer("SELECT count(*) FROM notes") == 0)
            let unavailable = try await shop.call("must_exist", #"{"sku":"P-404"}"#)
            #expect(unavailable.outcome == "unavailable")
            let found = try await shop.call("must_exist", #"{"sku":"P-1"}"#)
            #expect(found.outcome == "found")
            #expect(try await shop.integer("SELECT count(*) FROM notes") == 1)
        }
    }

    @Test("a null outcome passes; the final row's outcome column is the outcome")
    func checkPasses() async throws {
        try await withShop { shop in
            let call = try await shop.call("reserve", #"{"sku":"P-1"}"#)
            #expect(call.outcome == "reserved")
            #expect(call["title"] == .string("Kettle"))
            #expect(call["stock_left"] == .int(2))
            #expect(call["reason"] == nil, "a null column is left out")
            #expect(call.sources == [.object(["source": .string("sqlite:items"), "id": .string("P-1")])])
            #expect(try await shop.integer("SELECT count(*) FROM notes") == 1)
            #expect(try await shop.integer("SELECT stock FROM items WHERE sku = 'P-1'") == 2)
        }
    }

    @Test("the outcome is that of the last row that had a non-null one, even when a check passes after it")
    func outcomeSurvivesPassingCheck() async throws {
        try await withShop { shop in
            let call = try await shop.call("outcome_then_check")
            #expect(call["passed"] == .int(1))
            // docs/packs.md: "else the value of a non-null column named outcome in the last row
            // that had one": a passing check (null outcome) does not clear it.
            #expect(call.outcome == "noted")
        }
    }

    @Test("expect: mismatch rolls back every write of the transaction; the result is an error with code data_unavailable")
    func expectMismatch() async throws {
        try await withShop { shop in
            let call = try await shop.call("take_two")
            #expect(call.outcome == "error")
            #expect(call.errorCode == "data_unavailable")
            #expect(try await shop.integer("SELECT count(*) FROM notes") == 0)
            #expect(try await shop.integer("SELECT n FROM counters WHERE id = 1") == 5)
            // The data is usable afterwards.
            #expect(try await shop.call("add_note", #"{"body":"after"}"#).outcome == "found")
        }
    }

    @Test("generate with unique draws again while the value is taken")
    func generateRedraws() async throws {
        try await withShop { shop in
            // 'A' is taken: the only free value is 'B' (a value is drawn up to 20 times).
            let call = try await shop.call("new_code")
            #expect(call.outcome == "found")
            #expect(call["code"] == .string("B"))
            #expect(call.sources == [.object(["source": .string("sqlite:codes"), "id": .string("B")])])
        }
    }

    @Test("generate fails cleanly when every value is taken after 20 tries")
    func generateExhausted() async throws {
        try await withShop { shop in
            try await shop.database.transaction { runner in
                _ = try await runner.run(try NamedStatement("INSERT INTO codes (code, customer_id) VALUES ('B', 'C-2')"), [:])
            }
            let call = try await shop.call("new_code")
            #expect(call.outcome == "error")
            #expect(call.errorCode == "data_unavailable")
            #expect(try await shop.integer("SELECT count(*) FROM codes") == 2)
            #expect(try await shop.integer("SELECT count(*) FROM codes WHERE customer_id = 'C-1'") == 0)
            #expect(try await shop.call("add_note", #"{"body":"after"}"#).outcome == "found")
        }
    }
}

@Suite("SQL tools: sources")
struct SQLToolSourceTests {
    @Test("one source for one row")
    func oneSource() async throws {
        try await withShop { shop in
            let call = try await shop.call("find_item", #"{"sku":"P-3"}"#)
            #expect(call.sources == [.object(["source": .string("sqlite:items"), "id": .string("P-3")])])
        }
    }

    @Test("one source per row of the array, by each: or by default")
    func perRow() async throws {
        try await withShop { shop in
            let named = try await shop.call("in_stock", #"{"min_stock":1}"#)
            #expect(named.sources == ["P-1", "P-3"].map { .object(["source": .string("sqlite:items"), "id": .string($0)]) })
            let all = try await shop.call("list_items")
            #expect(all.sources == ["P-1", "P-2", "P-3"].map { .object(["source": .string("sqlite:items"), "id": .string($0)]) })
        }
    }

    @Test("no source on not_found, on a refusal's missing keys, or from echoed arguments")
    func noSources() async throws {
        try await withShop { shop in
            #expect(try await shop.call("find_item", #"{"sku":"P-404"}"#).sources.isEmpty)
            #expect(try await shop.call("reserve", #"{"sku":"P-404"}"#).sources.isEmpty)
            let echoed = try await shop.call("echo_source", #"{"sku":"P-1"}"#)
            #expect(echoed.outcome == "found")
            #expect(echoed["sku"] == .string("P-1"))
            #expect(echoed.sources.isEmpty, "the key came from the arguments, not from a row")
        }
    }
}

@Suite("SQL tools: concurrency and cancellation")
struct SQLToolConcurrencyTests {
    @Test("20 concurrent decrements with expect: 1 never go below zero; the successes equal the initial count")
    func concurrentDecrements() async throws {
        try await withShop { shop in
            let calls = try await withThrowingTaskGroup(of: Shop.Call.self) { group in
                for _ in 0..<20 { group.addTask { try await shop.call("decrement") } }
                var calls: [Shop.Call] = []
                for try await call in group { calls.append(call) }
                return calls
            }
            let successes = calls.filter { $0.outcome == "found" }
            #expect(successes.count == 5)
            #expect(Set(successes.compactMap { $0["n"]?.intValue }) == [0, 1, 2, 3, 4])
            #expect(calls.filter { $0.outcome == "error" }.allSatisfy { $0.errorCode == "data_unavailable" })
            #expect(calls.filter { $0.outcome != "found" }.count == 15)
            #expect(try await shop.integer("SELECT n FROM counters WHERE id = 1") == 0)
        }
    }

    @Test("a tool task cancelled mid-way leaves no partial writes and the database usable")
    func cancelledMidway() async throws {
        try await withShop { shop in
            let other = try await shop.openAgain()
            let tool = try shop.tool("slow_write")
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await tool.run([:], context: ada) }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { try result.get() }
            #expect(start.duration(to: clock.now) < .seconds(20))
            try await expectNoPartialWrite(shop, other)
        }
    }

    @Test("a tool that times out in the registry leaves no partial writes and the database usable")
    func timedOut() async throws {
        try await withShop { shop in
            let other = try await shop.openAgain()
            let call = try await shop.call("slow_write_limited")
            #expect(call.outcome == "error")
            #expect(call.errorCode == "tool_failed")
            try await expectNoPartialWrite(shop, other)
        }
    }

    /// Nothing of `slow_write` is committed or visible, and a later write commits.
    /// `other` is a second connection to the same file, opened before the tool ran (opening takes
    /// the write lock, which a transaction left open would hold).
    private func expectNoPartialWrite(_ shop: Shop, _ other: SQLitePackDatabase) async throws {
        // Another connection sees only what was committed.
        #expect(try await shop.integer("SELECT count(*) FROM notes", on: other) == 0)
        // The tool's own connection (queued behind the cancelled transaction) sees nothing of it:
        // the transaction was rolled back, not left open.
        #expect(try await shop.integer("SELECT count(*) FROM notes") == 0)
        // A later transaction begins and commits.
        let after = try await shop.call("add_note", #"{"body":"after the cancel"}"#)
        #expect(after.outcome == "found", "\(after.output["error"]?["message"]?.stringValue ?? "")")
        #expect(try await shop.integer("SELECT count(*) FROM notes WHERE body = 'after the cancel'", on: other) == 1)
        await other.shutdown()
    }
}
