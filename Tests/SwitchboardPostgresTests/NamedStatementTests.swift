import SwitchboardData
import Testing

/// Named statements and scripts: parsing, rendering and splitting, no database.
@Suite("Named statements and SQL scripts")
struct NamedStatementTests {
    // MARK: NamedStatement

    @Test("parameters: distinct, in order of first use, each use rendered")
    func parameters() throws {
        let statement = try NamedStatement("SELECT * FROM t WHERE a = :a AND b = :b_2 OR a = :a AND c = :C")
        #expect(statement.parameters == ["a", "b_2", "C"])
        #expect(statement.rendered { "$\($0)" } == "SELECT * FROM t WHERE a = $1 AND b = $2 OR a = $1 AND c = $3")
        #expect(statement.rendered { "?\($0)" } == "SELECT * FROM t WHERE a = ?1 AND b = ?2 OR a = ?1 AND c = ?3")
        #expect(statement.text == "SELECT * FROM t WHERE a = :a AND b = :b_2 OR a = :a AND c = :C")
        #expect(statement.description == statement.text)
    }

    @Test("bindings follow the parameters; a missing name is NULL")
    func bindings() throws {
        let statement = try NamedStatement("SELECT :x, :y, :x, :z")
        #expect(statement.bindings(["z": .integer(3), "x": .text("a"), "unused": .real(1)]) == [.text("a"), .null, .integer(3)])
        #expect(try NamedStatement("SELECT 1").bindings(["a": .integer(1)]).isEmpty)
    }

    @Test("literals, quoted names, comments, $$ bodies and casts hold no parameters")
    func skipped() throws {
        let text = """
            SELECT 'it''s :not', "odd:name", $$ :body; $$, x::date, :today::date, ':' || :real -- :comment ' "
            /* :block
               'still a comment */ FROM t
            """
        let statement = try NamedStatement(text)
        #expect(statement.parameters == ["today", "real"])
        let rendered = statement.rendered { "$\($0)" }
        #expect(rendered.contains("'it''s :not'"))
        #expect(rendered.contains("$1::date"))
        #expect(rendered.contains("':' || $2 -- :comment"))
        #expect(rendered.contains("/* :block"))
    }

    @Test("a colon not followed by a name is left alone")
    func bareColons() throws {
        let statement = try NamedStatement("SELECT a[1:2], b : c, :9, :_x, 'é' || :é_not, :ok")
        #expect(statement.parameters == ["_x", "ok"])
        #expect(statement.rendered { "$\($0)" } == "SELECT a[1:2], b : c, :9, $1, 'é' || :é_not, $2")
    }

    @Test("text around multi-byte characters renders intact")
    func unicode() throws {
        let statement = try NamedStatement("SELECT 'café 😀' || :name || '€'")
        #expect(statement.rendered { "$\($0)" } == "SELECT 'café 😀' || $1 || '€'")
    }

    @Test("unterminated literals, comments and $$ bodies are corrupt", arguments: [
        "SELECT 'open", "SELECT \"open", "SELECT 1 /* open", "SELECT $$ open", "SELECT 'it''s",
    ])
    func unterminated(text: String) {
        let error = #expect(throws: DataError.self) { _ = try NamedStatement(text) }
        #expect(error?.kind == .corrupt)
    }

    @Test("the keyword and whether the statement writes")
    func keyword() throws {
        #expect(try NamedStatement("  -- a comment\n (SELECT 1)").keyword == "select")
        #expect(try NamedStatement("insert INTO t VALUES (1)").keyword == "insert")
        #expect(try NamedStatement("INSERT INTO t VALUES (1)").isWrite)
        #expect(try NamedStatement("UPDATE t SET a = 1").isWrite)
        #expect(try NamedStatement("\n\tDELETE FROM t").isWrite)
        #expect(try !NamedStatement("SELECT * FROM t").isWrite)
        #expect(try !NamedStatement("WITH x AS (SELECT 1) SELECT * FROM x").isWrite)
    }

    // MARK: SQLScript

    static let script = """
        -- The tables.
        CREATE TABLE a (
            id INTEGER PRIMARY KEY,
        -- postgres:    weight DOUBLE PRECISION,
        -- sqlite:      weight REAL,
            note TEXT DEFAULT 'x;y'
        );

        -- sqlite only
        CREATE INDEX a_note ON a (note);
        -- postgres only
        CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b'; $$;
        /* It's a comment; with a semicolon. */
        INSERT INTO a (id, note) VALUES (1, 'it''s; fine');
        INSERT INTO a (id, note) VALUES (2, :today)
        """

    @Test("a script splits on semicolons outside literals, comments and $$ bodies, per engine")
    func splitting() throws {
        let sqlite = try SQLScript.statements(Self.script, engine: "sqlite")
        let postgres = try SQLScript.statements(Self.script, engine: "postgres")
        #expect(sqlite.count == 4)
        #expect(postgres.count == 4)

        #expect(sqlite[0].text.contains("weight REAL"))
        #expect(!sqlite[0].text.contains("DOUBLE PRECISION"))
        #expect(postgres[0].text.contains("weight DOUBLE PRECISION"))
        #expect(!postgres[0].text.contains("REAL"))
        #expect(sqlite[0].text.contains("DEFAULT 'x;y'"))

        #expect(sqlite[1].text.hasSuffix("CREATE INDEX a_note ON a (note)"))
        #expect(postgres[1].text.hasSuffix("AS $$ SELECT 'a;b'; $$"))
        #expect(sqlite[2].text.hasSuffix("VALUES (1, 'it''s; fine')"))
        #expect(postgres[3].text == "INSERT INTO a (id, note) VALUES (2, :today)")
    }

    @Test("each statement carries the line where it starts")
    func lines() throws {
        let sqlite = try SQLScript.statements(Self.script, engine: "sqlite")
        let postgres = try SQLScript.statements(Self.script, engine: "postgres")
        // A statement's line is that of its first line of code: blank lines and `--` comments
        // before it are skipped (a problem points at the statement, not at its comment).
        #expect(sqlite.map(\.line) == [2, 10, 13, 15])
        #expect(postgres.map(\.line) == [2, 12, 13, 15])
    }

    @Test("blank statements and comment-only tails are dropped")
    func blanks() throws {
        let statements = try SQLScript.statements("SELECT 1;;\n  ;\n-- the end\nSELECT 2;\n/* nothing; here */\n-- done\n", engine: "sqlite")
        #expect(statements.map(\.text) == ["SELECT 1", "-- the end\nSELECT 2"])
        #expect(statements.map(\.line) == [1, 4])
        #expect(try SQLScript.statements("", engine: "postgres").isEmpty)
        #expect(try SQLScript.statements("-- only a comment\n", engine: "postgres").isEmpty)
    }

    @Test("a file with CRLF line ends splits and keeps its engine lines")
    func crlf() throws {
        let script = "CREATE TABLE a (\r\n-- postgres:  x DOUBLE PRECISION\r\n-- sqlite:  x REAL\r\n);\r\nSELECT 1;\r\n"
        let postgres = try SQLScript.statements(script, engine: "postgres")
        #expect(postgres.count == 2)
        #expect(postgres.first?.text.contains("DOUBLE PRECISION") == true)
        #expect(postgres.first?.text.contains("REAL") == false)
        #expect(postgres.map(\.line) == [1, 5])
    }

    @Test("an unterminated literal, comment or $$ body in a script is corrupt", arguments: [
        "SELECT 1;\nSELECT 'open", "SELECT $$ open", "SELECT 1; /* open",
    ])
    func unterminatedScript(text: String) {
        let error = #expect(throws: DataError.self) { _ = try SQLScript.statements(text, engine: "postgres") }
        #expect(error?.kind == .corrupt)
    }
}
