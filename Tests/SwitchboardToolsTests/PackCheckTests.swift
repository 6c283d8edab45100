import Foundation
import SwitchboardAgents
import SwitchboardData
import SwitchboardTools
import Testing

// PackCheck: what `switchboard packs check` finds beyond the files parsing. Each case is a small
// pack in a temporary directory with one thing wrong, and the problem is expected at its file
// and line.

/// The 1-based line of the first line of `text` containing `needle`.
private func lineNumber(of needle: String, in text: String) -> Int {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let index = lines.firstIndex(where: { $0.contains(needle) }) else {
        Issue.record("'\(needle)' is not in the text")
        return -1
    }
    return index + 1
}

/// A valid pack: a router and one agent that uses every tool; each test changes one file.
private struct CheckPack {
    var manifest = """
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
    var schema = """
        CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);
        CREATE TABLE orders (code TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), status TEXT NOT NULL);
        CREATE TABLE products (sku TEXT PRIMARY KEY, title TEXT NOT NULL, stock INTEGER NOT NULL);

        """
    var seed = """
        INSERT INTO customers (id, name, phone) VALUES ('C-1', 'Ada', '+14155550100');
        INSERT INTO orders (code, customer_id, status) VALUES ('R1001', 'C-1', 'shipped');
        INSERT INTO products (sku, title, stock) VALUES ('P-1', 'Kettle', 3);

        """
    /// Tool name → file text.
    var tools: [String: String] = [
        "order_status": """
            name: order_status
            description: The status of one of the caller's orders.
            parameters:
              type: object
              properties:
                code: {type: string}
              required: [code]
            kind: sql
            sql:
              query: SELECT code, status FROM orders WHERE code = :code AND customer_id = :customer_id
              returns: one
              sources: [orders, code]

            """,
    ]
    /// Tool name → `answers:` entries (indented under the tool) for the agent.
    var answers: [String: String] = [
        "order_status": """
                found: "Order {{code}} is {{status}}."
                not_found: "I can't find order {{code}}."
            """,
    ]

    var agent: String {
        var text = """
            name: orders
            role: agent
            description: Orders.
            instructions: You help with orders.
            routing:
              examples: [Where is my order?, Cancel my order, What did I order last week?]
            tools:

            """
        for name in tools.keys.sorted() { text += "  - \(name)\n" }
        if !answers.isEmpty {
            text += "answers:\n"
            for (name, entries) in answers.sorted(by: { $0.key < $1.key }) { text += "  \(name):\n\(entries)\n" }
        }
        return text
    }

    /// A kind: sql tool with `sql` (indented two spaces under `sql:`) and optional parameters.
    static func sqlTool(_ name: String, parameters: [String] = [], sql: String) -> String {
        var text = "name: \(name)\ndescription: A test tool.\n"
        if !parameters.isEmpty {
            text += "parameters:\n  type: object\n  properties:\n"
            for parameter in parameters { text += "    \(parameter): {type: string}\n" }
        }
        return text + "kind: sql\nsql:\n\(sql)\n"
    }

    var files: [String: String] {
        var files = [
            "pack.yaml": manifest, "schema.sql": schema, "seed.sql": seed,
            "agents/desk.yaml": "name: desk\nrole: router\ndescription: Greets.\ninstructions: You greet callers.\n",
            "agents/orders.yaml": agent,
        ]
        for (name, text) in tools { files["tools/\(name).yaml"] = text }
        return files
    }

    /// Writes the pack, loads it (it must load) and checks it: the problems as
    /// `relative/file:line: message`.
    func problems() async throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-check-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (path, text) in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let pack = try Pack.load(directory: directory)
        return await PackCheck.problems(pack).map { problem in
            var file = problem.file
            if file.hasPrefix(directory + "/") { file.removeFirst(directory.count + 1) }
            return "\(file):\(problem.line): \(problem.message)"
        }
    }

    /// The pack with one more sql tool, `extra`, used by the agent.
    func adding(_ text: String, answers entries: String? = nil) -> CheckPack {
        var pack = self
        pack.tools["extra"] = text
        if let entries { pack.answers["extra"] = entries }
        return pack
    }
}

@Suite("pack check")
struct PackCheckTests {
    @Test("the base pack has no problems")
    func basePack() async throws {
        #expect(try await CheckPack().problems() == [])
    }

    @Test("SQL naming a column the schema does not have")
    func missingColumn() async throws {
        let tool = CheckPack.sqlTool("extra", sql: "  query: SELECT code, colour FROM orders WHERE customer_id = :customer_id")
        let found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        let line = lineNumber(of: "query:", in: tool)
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(line): the SQL does not prepare against the schema: ") == true, "\(found)")
        #expect(found.first?.contains("no such column: colour") == true, "\(found)")
    }

    @Test("SQL naming a table the schema does not have")
    func missingTable() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - SELECT name AS customer_name FROM customers WHERE id = :customer_id
                - SELECT weight FROM parcels WHERE sku = 'P-1'
              query: SELECT title FROM products
              returns: many
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "parcels", in: tool)): the SQL does not prepare against the schema: ") == true, "\(found)")
        #expect(found.first?.contains("no such table: parcels") == true, "\(found)")
    }

    @Test("SQL with a syntax error, and text that is two statements")
    func syntaxError() async throws {
        let tool = CheckPack.sqlTool("extra", sql: "  query: SELEC title FROM products")
        var found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "query:", in: tool)): the SQL does not prepare against the schema: ") == true, "\(found)")
        #expect(found.first?.contains("syntax error") == true, "\(found)")

        let two = CheckPack.sqlTool("extra", sql: "  query: SELECT title FROM products; DELETE FROM products")
        found = try await CheckPack().adding(two).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("must be one statement") == true, "\(found)")
    }

    @Test("a statement naming a parameter nothing provides")
    func unknownParameter() async throws {
        let tool = CheckPack.sqlTool("extra", parameters: ["sku"], sql: """
              steps:
                - SELECT stock AS _stock FROM products WHERE sku = :sku
              query: SELECT title, :_stock AS stock, :colour AS colour FROM products WHERE sku = :sku AND :today <> '' AND :now <> ''
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == [
            "tools/extra.yaml:\(lineNumber(of: "  query:", in: tool)): :colour is not a parameter of the tool, a session value (:customer_id, :customer_name, :today, :now), a column of an earlier step or a generated value",
        ])
    }

    @Test("a parameter used before the step that provides it")
    func parameterUsedTooEarly() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - SELECT title FROM products WHERE stock > :_minimum
                - SELECT 1 AS _minimum
              query: SELECT title FROM products WHERE stock > :_minimum
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "stock > :_minimum", in: tool)): :_minimum is not a parameter") == true, "\(found)")
    }

    @Test("a generated value is a parameter; a generate.unique that does not prepare is a problem")
    func generatedParameters() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              generate:
                new_code: {pattern: "R[0-9]{4}", unique: "SELECT 1 FROM orders WHERE code = :new_code"}
                other_code: {pattern: "Q[0-9]{4}", unique: "SELECT 1 FROM parcels WHERE code = :other_code"}
              transaction:
                - INSERT INTO orders (code, customer_id, status) VALUES (:new_code, :customer_id, 'new')
              query: SELECT code FROM orders WHERE code = :new_code AND customer_id = :customer_id
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "other_code:", in: tool)): generate.other_code.unique does not prepare: ") == true, "\(found)")
    }

    @Test("a column of a returns: many step is no parameter for later steps")
    func manyRowsAreNoParameters() async throws {
        // At run time only `returns: one` rows (and plain statements) become parameters: a later
        // statement naming a column of a `returns: many` step binds NULL.
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - query: SELECT sku FROM products
                  returns: many
              query: SELECT title FROM products WHERE sku = :sku
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("tools/extra.yaml:\(lineNumber(of: "  query: SELECT title", in: tool)): :sku is not a parameter") == true, "\(found)")
    }

    @Test("a statement reading a customer table without :customer_id")
    func customerTableUnscoped() async throws {
        let tool = CheckPack.sqlTool("extra", parameters: ["code"], sql: """
              steps:
                - SELECT name AS customer_name FROM customers WHERE id = :customer_id
              query: SELECT code, status FROM Orders WHERE code = :code
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == [
            "tools/extra.yaml:\(lineNumber(of: "  query:", in: tool)): the statement reads the customer table 'orders' without :customer_id (it would see every customer's rows)",
        ])
        // A table only named like a customer table (order_lines, reorders) is not one.
        let lookalike = CheckPack.sqlTool("extra", sql: "  query: SELECT title AS orders_title FROM products")
        #expect(try await CheckPack().adding(lookalike).problems() == [])
    }

    @Test("a run step that is a SELECT")
    func runSelect() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              transaction:
                - run: SELECT stock FROM products WHERE sku = 'P-1'
                  expect: 1
              query: SELECT title FROM products
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == ["tools/extra.yaml:\(lineNumber(of: "- run:", in: tool)): 'run' is for writes (INSERT, UPDATE, DELETE)"])
    }

    @Test("a run step without expect that is a SELECT")
    func runSelectWithoutExpect() async throws {
        // Without `expect:` the loader makes a `run:` step a plain statement, so the check that
        // `run` is for writes never sees it.
        let tool = CheckPack.sqlTool("extra", sql: """
              transaction:
                - run: SELECT stock FROM products WHERE sku = 'P-1'
              query: SELECT title FROM products
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == ["tools/extra.yaml:\(lineNumber(of: "- run:", in: tool)): 'run' is for writes (INSERT, UPDATE, DELETE)"])
    }

    @Test("a query that writes: as a step and as the final query; a check that writes")
    func queryWrite() async throws {
        let step = CheckPack.sqlTool("extra", sql: """
              transaction:
                - query: UPDATE products SET stock = stock - 1 WHERE sku = 'P-1'
              query: SELECT title FROM products
            """)
        #expect(try await CheckPack().adding(step).problems()
            == ["tools/extra.yaml:\(lineNumber(of: "- query:", in: step)): 'query' is for reads; use 'run' for a write"])
        let final = CheckPack.sqlTool("extra", sql: "  query: DELETE FROM products WHERE stock = 0")
        #expect(try await CheckPack().adding(final).problems()
            == ["tools/extra.yaml:\(lineNumber(of: "query:", in: final)): 'query' is for reads; use 'run' for a write"])
        let check = CheckPack.sqlTool("extra", sql: """
              transaction:
                - check: INSERT INTO products (sku, title, stock) VALUES ('P-2', 'Cup', 1)
              query: SELECT title FROM products
            """)
        #expect(try await CheckPack().adding(check).problems()
            == ["tools/extra.yaml:\(lineNumber(of: "- check:", in: check)): 'check' is for reads; use 'run' for a write"])
    }

    @Test("a write among steps: instead of transaction:")
    func writeInSteps() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - SELECT stock AS _stock FROM products WHERE sku = 'P-1'
                - UPDATE products SET stock = stock - 1 WHERE sku = 'P-1'
              query: SELECT title FROM products
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == ["tools/extra.yaml:\(lineNumber(of: "- UPDATE", in: tool)): a write among several statements belongs under 'transaction', not 'steps'"])
        // The same steps under transaction: are fine.
        let fine = tool.replacingOccurrences(of: "  steps:", with: "  transaction:")
        #expect(try await CheckPack().adding(fine).problems() == [])
    }

    @Test("a schema line that fails is reported at that line of schema.sql")
    func schemaLineFails() async throws {
        var pack = CheckPack()
        pack.schema = """
            CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);

            CREATE TABLE orders (code TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL);
            CREATE TABLE products (sku TEXT PRIMARY KEY, title TEXT NOT NULL, stock INTEGER NOT NULL);
            CREATE INDEX products_by_colour ON products(colour);
            """
        let found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("schema.sql:5: ") == true, "\(found)")
        #expect(found.first?.contains("colour") == true, "\(found)")
    }

    @Test("a failing schema statement after a comment is reported at the statement's line")
    func schemaLineAfterComment() async throws {
        var pack = CheckPack()
        pack.schema = """
            CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);
            CREATE TABLE orders (code TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL);
            -- What the shop sells, and how many are left.
            -- Stock never goes below zero.
            CREATE TABLE products (sku TEXT PRIMARY KEY, title TEXT NOT NULL, stock INTEGER NOT NULL CHECK (stock >= 0);
            """
        let found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("schema.sql:5: ") == true, "\(found)")
    }

    @Test("a seed line that fails is reported at that line of seed.sql")
    func seedLineFails() async throws {
        var pack = CheckPack()
        pack.seed = """
            INSERT INTO customers (id, name, phone) VALUES ('C-1', 'Ada', '+14155550100');
            INSERT INTO products (sku, title, stock) VALUES ('P-1', 'Kettle', 3);
            INSERT INTO orders (code, customer_id, status)
              VALUES ('R1001', 'C-1', 'shipped');
            INSERT INTO orders (code, customer_id, status) VALUES ('R1001', 'C-1', 'again');
            """
        var found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("seed.sql:5: ") == true, "\(found)")
        #expect(found.first?.contains("UNIQUE") == true, "\(found)")

        pack.seed = "INSERT INTO customers (id, name, phone) VALUES ('C-1', 'Ada', NULL);\n\nINSERT INTO products (sku, title, stock, colour) VALUES ('P-1', 'Kettle', 3, 'red');\n"
        found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("seed.sql:3: ") == true, "\(found)")
        #expect(found.first?.contains("colour") == true, "\(found)")
    }

    @Test("customers.by_id without a name column, or naming a parameter other than :customer_id")
    func customersByID() async throws {
        var pack = CheckPack()
        pack.manifest = pack.manifest.replacingOccurrences(of: "SELECT id, name FROM customers WHERE id = :customer_id", with: "SELECT id FROM customers WHERE id = :customer_id")
        let line = lineNumber(of: "by_id:", in: pack.manifest)
        #expect(try await pack.problems() == ["pack.yaml:\(line): customers.by_id returns no column 'name'"])

        pack = CheckPack()
        pack.manifest = pack.manifest.replacingOccurrences(of: "WHERE id = :customer_id", with: "WHERE id = :id")
        #expect(try await pack.problems() == ["pack.yaml:\(line): customers.by_id names :id; it may only use :customer_id"])

        pack = CheckPack()
        pack.manifest = pack.manifest.replacingOccurrences(of: "SELECT id, name FROM customers WHERE id", with: "SELECT id, name FROM clients WHERE id")
        let found = try await pack.problems()
        #expect(found.count == 1 && found.first?.hasPrefix("pack.yaml:\(line): customers.by_id does not prepare: ") == true, "\(found)")
    }

    @Test("customers.by_phone naming a parameter other than :phone, at its own line")
    func customersByPhone() async throws {
        var pack = CheckPack()
        pack.manifest = pack.manifest.replacingOccurrences(of: "WHERE phone = :phone", with: "WHERE phone = :phone OR id = :customer_id")
        let found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasSuffix(": customers.by_phone names :customer_id; it may only use :phone") == true, "\(found)")
        #expect(found.first?.hasPrefix("pack.yaml:\(lineNumber(of: "by_phone:", in: pack.manifest)): ") == true, "\(found)")
    }

    @Test("an answer template naming a field its tool does not return")
    func templateField() async throws {
        var pack = CheckPack()
        pack.answers["order_status"] = """
                found: "Order {{code}} is {{status}}."
                not_found: "I can't find order {{code}}; it was placed on {{placed_on | date}}."
                error: "I can't reach the orders; {{anything}} goes here."
            """
        let found = try await pack.problems()
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.hasPrefix("agents/orders.yaml:") == true, "\(found)")
        #expect(found.first?.hasSuffix(
            "answers.order_status.not_found names 'placed_on', which order_status does not return (it returns code, status)") == true, "\(found)")
        #expect(found.first?.hasPrefix("agents/orders.yaml:\(lineNumber(of: "placed_on", in: pack.agent)): ") == true, "\(found)")
    }

    @Test("templates may name hidden-free fields of every step, many-row sections, count and session values")
    func templateFieldsAllowed() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - SELECT name AS customer_label, 'x' AS _hidden FROM customers WHERE id = :customer_id
              query: SELECT code, status FROM orders WHERE customer_id = :customer_id
              returns: many
              as: orders
            """)
        let answers = """
                found: "{{customer_label}} ({{customer_name}}, {{today}}): {{count}} orders, {{#orders}}{{code}} {{status}}{{/orders}}, first {{orders.0.code}}."
            """
        #expect(try await CheckPack().adding(tool, answers: answers).problems() == [])
        let hidden = """
                found: "{{_hidden}}"
            """
        let found = try await CheckPack().adding(tool, answers: hidden).problems()
        #expect(found.count == 1 && found.first?.contains("names '_hidden', which extra does not return") == true, "\(found)")
    }

    @Test("a source naming a key the tool does not return")
    func sourceKey() async throws {
        let tool = CheckPack.sqlTool("extra", parameters: ["code"], sql: """
              query: SELECT code, status FROM orders WHERE code = :code AND customer_id = :customer_id
              sources:
                - [orders, code]
                - [orders, tracking_number]
            """)
        #expect(try await CheckPack().adding(tool).problems()
            == ["tools/extra.yaml:\(lineNumber(of: "tracking_number", in: tool)): source [orders, tracking_number] names a key no row of the tool returns (sources come from rows, not from the arguments)"])
    }

    @Test("a source whose key only an argument gives is reported: the executor never makes a source of it")
    func sourceKeyFromArgumentOnly() async throws {
        // SQLTool builds sources from the fields rows returned, never from echoed arguments;
        // PackCheck counts the tool's parameters as returned keys, so this source, which can
        // never appear, passes.
        let tool = CheckPack.sqlTool("extra", parameters: ["code"], sql: """
              query: SELECT status FROM orders WHERE code = :code AND customer_id = :customer_id
              sources: [orders, code]
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == ["tools/extra.yaml:\(lineNumber(of: "sources:", in: tool)): source [orders, code] names a key no row of the tool returns (sources come from rows, not from the arguments)"])
    }

    @Test("a write that starts with WITH is a write: among steps: it is reported")
    func cteWriteInSteps() async throws {
        let tool = CheckPack.sqlTool("extra", sql: """
              steps:
                - SELECT stock AS _stock FROM products WHERE sku = 'P-1'
                - WITH gone AS (SELECT sku FROM products WHERE stock = 0) DELETE FROM products WHERE sku IN (SELECT sku FROM gone)
              query: SELECT title FROM products
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == ["tools/extra.yaml:\(lineNumber(of: "- WITH", in: tool)): a write among several statements belongs under 'transaction', not 'steps'"])
    }

    @Test("a WITH query that calls replace() is a read")
    func cteReadWithWriteWords() async throws {
        // NamedStatement.isWrite takes a WITH statement for a write when any of its words is
        // insert, update, delete, replace, upsert or merge: the replace() function (which the
        // travel pack's by_phone uses) makes a read a write.
        let tool = CheckPack.sqlTool("extra", sql: """
              query: >
                WITH named AS (SELECT sku, title FROM products)
                SELECT sku, replace(title, ' ', '-') AS slug FROM named
              returns: many
            """)
        let found = try await CheckPack().adding(tool).problems()
        #expect(found == [])
        let plain = try NamedStatement("WITH named AS (SELECT sku, title FROM products) SELECT sku, replace(title, ' ', '-') AS slug FROM named")
        #expect(plain.isWrite == false)
        #expect(try NamedStatement("WITH gone AS (SELECT 1) DELETE FROM products").isWrite)
        #expect(try NamedStatement("WITH x AS (SELECT 'update' AS word) SELECT word FROM x").isWrite == false)
    }

    @Test("an sql tool in a pack without data")
    func sqlToolWithoutData() async throws {
        var pack = CheckPack()
        pack.manifest = """
            name: shop
            title: The Shop
            description: Orders for shop customers.
            router: desk

            """
        let found = try await pack.problems()
        #expect(found == ["tools/order_status.yaml:\(lineNumber(of: "kind:", in: pack.tools["order_status"]!)): an sql tool needs the pack's data (data: in pack.yaml)"])
    }

    @Test("every problem is reported: three broken tools give three problems")
    func everyProblem() async throws {
        var pack = CheckPack()
        pack.tools["a_missing_column"] = CheckPack.sqlTool("a_missing_column", sql: "  query: SELECT colour FROM products")
        pack.tools["b_unscoped"] = CheckPack.sqlTool("b_unscoped", sql: "  query: SELECT code FROM orders")
        pack.tools["c_unknown_parameter"] = CheckPack.sqlTool("c_unknown_parameter", sql: "  query: SELECT title FROM products WHERE sku = :sku")
        let found = try await pack.problems()
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.hasPrefix("tools/a_missing_column.yaml:5: the SQL does not prepare") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("tools/b_unscoped.yaml:5: the statement reads the customer table 'orders'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("tools/c_unknown_parameter.yaml:5: :sku is not a parameter") }, "\(found)")
    }

    @Test("the repository's packs have no problems", arguments: ["travel", "clinic"])
    func repositoryPacks(_ name: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let pack = try Pack.load(directory: root.appendingPathComponent("Personas/\(name)").path)
        #expect(pack.name == name)
        #expect(await PackCheck.problems(pack).map(\.description) == [])
        try await PackCheck.validate(pack)
    }

    @Test("a vocabulary query that reads a customer table, names a parameter, writes or does not prepare")
    func vocabulary() async throws {
        func pack(_ sql: String) -> CheckPack {
            var pack = CheckPack()
            pack.manifest += "speech:\n  vocabulary:\n    - name: product\n      sql: \"\(sql)\"\n"
            return pack
        }
        #expect(try await pack("SELECT title FROM products ORDER BY sku").problems() == [])
        let line = lineNumber(of: "sql:", in: pack("x").manifest)
        #expect(try await pack("SELECT name FROM customers").problems()
                == ["pack.yaml:\(line): speech.vocabulary 'product' reads the customer table 'customers' (a vocabulary is for every caller)"])
        #expect(try await pack("SELECT title FROM products WHERE sku = :sku").problems()
                == ["pack.yaml:\(line): speech.vocabulary 'product' names :sku; it may only use :today and :now"])
        #expect(try await pack("SELECT title FROM products WHERE :today > ''").problems() == [])
        let write = try await pack("DELETE FROM products").problems()
        #expect(write.contains("pack.yaml:\(line): speech.vocabulary 'product' must be a read (SELECT)"), "\(write)")
        let missing = try await pack("SELECT colour FROM products").problems()
        #expect(missing.count == 1 && missing.first?.hasPrefix("pack.yaml:\(line): speech.vocabulary 'product' does not prepare: ") == true, "\(missing)")
    }

    @Test("a vocabulary's values: the first column, as callers say them, without repeats")
    func vocabularyValues() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-vocabulary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var check = CheckPack()
        check.manifest += "speech:\n  vocabulary:\n    - {name: product, sql: \"SELECT title, sku FROM products ORDER BY sku\"}\n"
        check.seed += """
            INSERT INTO products (sku, title, stock) VALUES ('P-2', 'Tea-pot (large)', 1), ('P-3', 'kettle', 2), ('P-4', '  ', 0),
              ('P-5', 'one two three four five six seven', 1), ('P-6', 'Mug No. 7', 4);

            """
        for (path, text) in check.files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let pack = try Pack.load(directory: directory.path)
        let data = try #require(pack.data)
        let database = try await SQLitePackDatabase.open(path: directory.appendingPathComponent("data.sqlite").path, schema: data.schema, seed: data.seed)
        let words = try await PackVocabulary.load(pack, database: database)
        await database.shutdown()
        #expect(words == ["product": ["Kettle", "Tea pot large", "Mug No 7"]])
    }
}
