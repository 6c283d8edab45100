import Foundation
import Logging
import Synchronization
import SwitchboardData
import SwitchboardPostgres
import Testing

/// The same cases against SQLite and PostgreSQL: a pack's statements must answer alike on both
/// engines. Each case gets a new place for its data (a directory for SQLite's files, a new
/// database of the suite's PostgreSQL server), so cases run in parallel.
@Suite("Pack databases: SQLite and PostgreSQL alike", PostgresSuiteServer())
struct PackDatabaseConformanceTests {
    // MARK: The pack

    static let today = CalendarDate(iso: "2025-12-30")!

    /// Customers, their orders (with a customer_id), a counter and what was taken from it.
    static let schema = """
        -- The shop.
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            joined_on TEXT NOT NULL
        );

        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            item TEXT NOT NULL,
            total_cents INTEGER NOT NULL,
        -- postgres:    weight DOUBLE PRECISION,
        -- sqlite:      weight REAL,
            due_on TEXT,
            note TEXT
        );
        CREATE INDEX orders_by_customer ON orders (customer_id);
        /* A counter; it's what the concurrent transactions take from; they record each take. */
        CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
        CREATE TABLE takes (task INTEGER NOT NULL);

        -- postgres only
        CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) || '!'; $$;
        """

    static let seed = """
        INSERT INTO customers (id, name, joined_on) VALUES ('C1', 'Ada Lovelace', add_days(:today, -30));
        INSERT INTO customers (id, name, joined_on) VALUES ('C2', 'Pat O''Brien; Jr.', :today);
        INSERT INTO orders (id, customer_id, item, total_cents, weight, due_on, note) VALUES
            (1, 'C1', 'kettle', 7500, 1.25, add_days(:today, 3), NULL),
            (2, 'C1', 'mug', 550, 0.5, :today, 'ready at:noon'),
            (3, 'C2', 'teapot', 2999, 2.0, add_days(:today, 10), NULL);
        INSERT INTO counters (name, n) VALUES ('stock', 10)
        """

    // MARK: Engines and places

    typealias Engine = PackEngine

    /// Where an engine keeps packs: a directory of files for SQLite, one database for PostgreSQL.
    struct Place: Sendable {
        let engine: Engine
        let location: String

        static func new(_ engine: Engine) async throws -> Place {
            switch engine {
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("switchboard-packs-\(UUID().uuidString.prefix(8).lowercased())")
                return Place(engine: engine, location: directory.path)
            case .postgres:
                return Place(engine: engine, location: try await PostgresTestServer.current().createDatabase())
            }
        }

        /// Opens `pack` here (creating it on first open).
        func open(
            pack: String = "shop", schema: String = PackDatabaseConformanceTests.schema,
            seed: String = PackDatabaseConformanceTests.seed, today: CalendarDate = PackDatabaseConformanceTests.today
        ) async throws -> (database: any PackDatabase, wasSeeded: Bool) {
            switch engine {
            case .sqlite:
                let database = try await SQLitePackDatabase.open(
                    path: "\(location)/switchboard.\(pack).sqlite", schema: schema, seed: seed, today: today.date()
                )
                return (database, database.wasSeeded)
            case .postgres:
                let database = try await PostgresPackDatabase.connect(
                    url: location, pack: pack, schema: schema, seed: seed, today: today.date(),
                    options: PackDatabaseConformanceTests.options, logger: PackDatabaseConformanceTests.logger
                )
                return (database, database.wasSeeded)
            }
        }

        func remove() {
            if engine == .sqlite { try? FileManager.default.removeItem(atPath: location) }
        }
    }

    static let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 4)
    static let logger = Logger(label: "switchboard.packs.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with the shop pack, freshly created and seeded on `engine`.
    func withShop(_ engine: Engine, _ body: (any PackDatabase) async throws -> Void) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let database = try await place.open().database
        do {
            try await body(database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    struct Stop: Error, Equatable {}

    // MARK: Creating and seeding

    @Test("the first open creates and seeds; a later one keeps the data and does not seed again", arguments: Engine.allCases)
    func createThenReopen(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let first = try await place.open()
        #expect(first.wasSeeded)
        #expect(first.database.engine == engine.rawValue)
        let changed = try await first.database.transaction { try await $0.run(try NamedStatement("UPDATE customers SET name = 'Ada King' WHERE id = 'C1'"), [:]) }
        #expect(changed == 1)
        await first.database.shutdown()

        // Ten days later: nothing is seeded again, nothing moves.
        let second = try await place.open(today: Self.today.adding(days: 10))
        #expect(!second.wasSeeded)
        let rows = try await second.database.rows("SELECT id, name, joined_on FROM customers ORDER BY id")
        #expect(rows.map { $0["name"] } == [.text("Ada King"), .text("Pat O'Brien; Jr.")])
        #expect(rows.map { $0["joined_on"] } == [.text(Self.today.adding(days: -30).iso), .text(Self.today.iso)])
        #expect(try await second.database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
        await second.database.shutdown()
    }

    @Test("the seed binds :today, and add_days moves it across the year's end", arguments: Engine.allCases)
    func todayInSeed(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let rows = try await database.rows("SELECT id, due_on FROM orders ORDER BY id")
            #expect(rows.map { $0["due_on"] } == [.text("2026-01-02"), .text("2025-12-30"), .text("2026-01-09")])
            #expect(try await database.value("SELECT joined_on FROM customers WHERE id = 'C1'") == .text("2025-11-30"))
            #expect(try await database.value("SELECT note FROM orders WHERE id = 2") == .text("ready at:noon"))
        }
    }

    @Test("a schema statement that fails names its line, and leaves nothing behind", arguments: Engine.allCases)
    func failingSchema(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let broken = "CREATE TABLE good (id INTEGER);\n\nCREATE TABLE bad (id INTEGER, id INTEGER);\n"
        let error = await #expect(throws: DataError.self) { _ = try await place.open(schema: broken, seed: "") }
        #expect(error?.message.contains("schema line 3") == true, "\(error?.message ?? "")")
        // The failed creation was one transaction: the pack opens cleanly afterwards.
        let opened = try await place.open()
        #expect(opened.wasSeeded)
        #expect(try await opened.database.value("SELECT COUNT(*) AS n FROM customers") == .integer(2))
        await opened.database.shutdown()
    }

    // MARK: Helper functions

    @Test("add_days, days_between and money_text", arguments: Engine.allCases)
    func helperFunctions(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let row = try #require(try await database.rows(
                """
                SELECT add_days('2025-01-31', 1) AS month_end, add_days('2024-12-31', 1) AS year_end,
                    add_days('2025-03-01', -1) AS back, add_days('2024-03-01', -1) AS leap, add_days('2025-01-01', 0) AS same,
                    add_days(:day, :n) AS bound, add_days(:missing, 1) AS missing,
                    days_between('2024-12-25', '2025-01-05') AS forward, days_between('2025-01-05', '2024-12-25') AS backward,
                    days_between(:day, add_days(:day, 400)) AS long_way,
                    money_text(0) AS zero, money_text(5) AS five, money_text(7500) AS amount, money_text(-550) AS refund,
                    money_text(:cents) AS bound_cents, money_text(-5) AS small_refund
                """,
                ["day": .text("2024-02-28"), "n": .integer(1), "cents": .integer(123_456)]
            ).first)
            #expect(row["month_end"] == .text("2025-02-01"))
            #expect(row["year_end"] == .text("2025-01-01"))
            #expect(row["back"] == .text("2025-02-28"))
            #expect(row["leap"] == .text("2024-02-29"))
            #expect(row["same"] == .text("2025-01-01"))
            #expect(row["bound"] == .text("2024-02-29"))
            #expect(row["missing"] == .null)
            #expect(row["forward"] == .integer(11))
            #expect(row["backward"] == .integer(-11))
            #expect(row["long_way"] == .integer(400))
            #expect(row["zero"] == .text("0.00"))
            #expect(row["five"] == .text("0.05"))
            #expect(row["amount"] == .text("75.00"))
            #expect(row["refund"] == .text("-5.50"))
            #expect(row["bound_cents"] == .text("1234.56"))
            #expect(row["small_refund"] == .text("-0.05"))
        }
    }

    // MARK: Parameters

    @Test("named parameters: used twice, missing as NULL, NULL in COALESCE and comparisons", arguments: Engine.allCases)
    func namedParameters(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let twice = try NamedStatement(
                "SELECT id FROM orders WHERE customer_id = :customer OR (:customer = 'nobody' AND id = 3) ORDER BY id"
            )
            #expect(twice.parameters == ["customer"])
            let ids = try await database.read { try await $0.rows(twice, ["customer": .text("C1")]) }
            #expect(ids.map { $0["id"] } == [.integer(1), .integer(2)])

            #expect(try await database.value("SELECT COALESCE(:missing, 'none') AS v") == .text("none"))
            let due = "SELECT item FROM orders WHERE due_on = COALESCE(:date, :today) ORDER BY id"
            let today = SQLValue.text(Self.today.iso)
            #expect(try await database.value(due, ["today": today]) == .text("mug"))
            #expect(try await database.value(due, ["today": today, "date": .text("2026-01-02")]) == .text("kettle"))
            #expect(try await database.value(due, ["today": today, "date": .null]) == .text("mug"))

            // NULL compares as NULL: no row.
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders WHERE note = :maybe") == .integer(0))
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders WHERE total_cents = :maybe") == .integer(0))
            // An optional filter, whose first use gives the parameter no type.
            let optional = "SELECT COUNT(*) AS n FROM orders WHERE (:due IS NULL OR due_on = :due)"
            #expect(try await database.value(optional) == .integer(3))
            #expect(try await database.value(optional, ["due": today]) == .integer(1))
            // A NULL where an integer goes.
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders WHERE total_cents > COALESCE(:min, 1000)") == .integer(2))
        }
    }

    @Test("':word' inside a literal and a '::' cast are not parameters", arguments: Engine.allCases)
    func notParameters(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let statement = try NamedStatement("SELECT 'at:noon' AS v, ':today' AS w, :p AS p -- :comment")
            #expect(statement.parameters == ["p"])
            let row = try #require(try await database.read { try await $0.rows(statement, ["p": .text("x")]) }.first)
            #expect(row.values == [.text("at:noon"), .text(":today"), .text("x")])

            let cast = engine == .postgres
                ? "SELECT :n::integer + 1 AS v, '2025-01-31'::date + 1 AS d"
                : "SELECT CAST(:n AS INTEGER) + 1 AS v, add_days('2025-01-31', 1) AS d"
            let parsed = try NamedStatement(cast)
            #expect(parsed.parameters == ["n"])
            let casted = try #require(try await database.read { try await $0.rows(parsed, ["n": .text("41")]) }.first)
            #expect(casted.values == [.integer(42), .text("2025-02-01")])
        }
    }

    @Test("returned values: integer, real, text and null", arguments: Engine.allCases)
    func valueTypes(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let order = try #require(try await database.rows("SELECT id, total_cents, weight, item, note FROM orders WHERE id = 1").first)
            #expect(order.columns == ["id", "total_cents", "weight", "item", "note"])
            #expect(order.values == [.integer(1), .integer(7500), .real(1.25), .text("kettle"), .null])

            let computed = try #require(try await database.rows(
                "SELECT 1 + 1 AS i, 2.5 AS r, 'x' AS t, NULL AS n, 7500 / 100 AS q, 1 < 2 AS b, 2 < 1 AS f"
            ).first)
            #expect(computed.values == [.integer(2), .real(2.5), .text("x"), .null, .integer(75), .integer(1), .integer(0)])

            let bound = try #require(try await database.rows(
                "SELECT :i AS i, :r AS r, :t AS t, :big AS big", ["i": .integer(42), "r": .real(0.5), "t": .text("hi"), "big": .integer(Int.max)]
            ).first)
            #expect(bound.values == [.integer(42), .real(0.5), .text("hi"), .integer(Int.max)])

            let totals = try #require(try await database.rows(
                "SELECT COUNT(*) AS c, SUM(total_cents) AS s, MAX(weight) AS w, MIN(item) AS m FROM orders"
            ).first)
            #expect(totals.values == [.integer(3), .integer(11_049), .real(2.0), .text("kettle")])

            #expect(try await database.rows("SELECT id FROM orders WHERE id = 99").isEmpty)
        }
    }

    @Test("run counts the rows a write changed", arguments: Engine.allCases)
    func runCounts(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let counts = try await database.transaction { (runner) in
                [
                    try await runner.run(try NamedStatement("UPDATE orders SET note = 'checked' WHERE customer_id = :c"), ["c": .text("C1")]),
                    try await runner.run(try NamedStatement("DELETE FROM orders WHERE id = 99"), [:]),
                    try await runner.run(
                        try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) VALUES (:id, 'C2', 'cup', 300)"),
                        ["id": .integer(4)]
                    ),
                    try await runner.run(
                        try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) SELECT id + 10, customer_id, item, total_cents FROM orders WHERE customer_id = 'C1'"),
                        [:]
                    ),
                ]
            }
            #expect(counts == [2, 0, 1, 2])
            // Outside a transaction too.
            let deleted = try await database.read { try await $0.run(try NamedStatement("DELETE FROM orders WHERE id > 10"), [:]) }
            #expect(deleted == 2)
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(4))
        }
    }

    // MARK: Transactions

    @Test("a transaction whose body throws leaves nothing, and its error comes back as it was", arguments: Engine.allCases)
    func rollbackOnThrow(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            await #expect(throws: Stop.self) {
                try await database.transaction { (runner) -> Int in
                    _ = try await runner.run(try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) VALUES (4, 'C2', 'cup', 300)"), [:])
                    _ = try await runner.run(try NamedStatement("UPDATE orders SET note = 'gone' WHERE id = 1"), [:])
                    throw Stop()
                }
            }
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
            #expect(try await database.value("SELECT note FROM orders WHERE id = 1") == .null)
        }
    }

    @Test("a cancelled transaction is rolled back", arguments: Engine.allCases)
    func cancelledTransaction(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let (inserted, signal) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await database.transaction { (runner) -> Int in
                    _ = try await runner.run(try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) VALUES (4, 'C2', 'cup', 300)"), [:])
                    signal.yield()
                    try await Task.sleep(for: .seconds(60))
                    return 1
                }
            }
            for await _ in inserted { break }
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            let count = try await database.value("SELECT COUNT(*) AS n FROM orders")
            #expect(count == .integer(3))
            // The connection is not left inside the cancelled transaction.
            let changed = try await database.transaction { try await $0.run(try NamedStatement("UPDATE orders SET note = 'after' WHERE id = 1"), [:]) }
            #expect(changed == 1)
        }
    }

    /// A statement that would run for about ten seconds, or much longer.
    static func slowStatement(_ engine: Engine) throws -> NamedStatement {
        switch engine {
        case .postgres:
            try NamedStatement("SELECT 1 AS n FROM pg_sleep(10)")
        case .sqlite:
            try NamedStatement("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS n FROM c")
        }
    }

    /// Returns once the slow statement is running: on PostgreSQL, once the server shows it
    /// active; on SQLite, after a while.
    static func waitUntilSlowRunning(_ engine: Engine, _ database: any PackDatabase) async throws {
        try await Task.sleep(for: .milliseconds(200))
        guard engine == .postgres else { return }
        for _ in 0..<100 {
            let running = try await database.value("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()
                """)
            if running == .integer(1) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the slow statement never showed as running")
    }

    @Test("a cancelled statement stops mid-way: the transaction is rolled back and the next one works", arguments: Engine.allCases)
    func cancelledSlowStatement(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let slow = try Self.slowStatement(engine)
            let (inserted, signal) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await database.transaction { (runner) -> Int in
                    _ = try await runner.run(try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) VALUES (4, 'C2', 'cup', 300)"), [:])
                    signal.yield()
                    _ = try await runner.rows(slow, [:])
                    return 1
                }
            }
            for await _ in inserted { break }
            try await Self.waitUntilSlowRunning(engine, database)
            await Self.expectStopsOnCancel(task)
            // The insert before it is rolled back.
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
            // The database goes on: a transaction commits, a read answers.
            let changed = try await database.transaction { try await $0.run(try NamedStatement("UPDATE orders SET note = 'after' WHERE id = 1"), [:]) }
            #expect(changed == 1)
            #expect(try await database.value("SELECT note FROM orders WHERE id = 1") == .text("after"))
            if engine == .postgres {
                // Nothing is left running on the server.
                #expect(try await database.value("""
                    SELECT count(*) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE '%pg_sleep(10)%' AND state = 'active' AND pid <> pg_backend_pid()
                    """) == .integer(0))
            }
        }
    }

    /// Cancels `task`, which runs a slow statement: it must end with `CancellationError`, well
    /// before the statement's own end (a loose bound: the machine may be busy).
    static func expectStopsOnCancel<T: Sendable>(_ task: Task<T, any Error>) async {
        let clock = ContinuousClock()
        let cancelled = clock.now
        task.cancel()
        let result = await task.result
        let stoppedAfter = cancelled.duration(to: clock.now)
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(stoppedAfter < .seconds(5), "the statement ran on for \(stoppedAfter) after the cancel")
    }

    @Test("a cancelled statement outside a transaction stops mid-way, and its connection answers the next", arguments: Engine.allCases)
    func cancelledSlowRead(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let slow = try Self.slowStatement(engine)
            let next = try await database.read { (runner) -> SQLValue? in
                let task = Task { try await runner.rows(slow, [:]) }
                try await Self.waitUntilSlowRunning(engine, database)
                await Self.expectStopsOnCancel(task)
                // The same connection, straight after.
                return try await runner.rows(try NamedStatement("SELECT COUNT(*) AS n FROM orders"), [:]).first?.values.first
            }
            #expect(next == .integer(3))
        }
    }

    @Test("a cancel racing a statement's end never stops the next statement on its connection", arguments: Engine.allCases)
    func cancelRacingTheEnd(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let short = try NamedStatement(engine == .postgres
                ? "SELECT 1 AS n FROM pg_sleep(0.01)"
                : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT count(*) AS n FROM c")
            let count = try NamedStatement("SELECT COUNT(*) AS n FROM orders")
            for round in 0..<20 {
                let next = try await database.read { (runner) -> SQLValue? in
                    let task = Task { try await runner.rows(short, [:]) }
                    try await Task.sleep(for: .microseconds(Int.random(in: 0...20_000)))
                    task.cancel()
                    switch await task.result {
                    case .success, .failure(is CancellationError): break
                    case .failure(let error): Issue.record("round \(round): \(error)")
                    }
                    return try await runner.rows(count, [:]).first?.values.first
                }
                #expect(next == .integer(3), "round \(round)")
            }
        }
    }

    @Test("concurrent guarded decrements never go below zero and add up", arguments: Engine.allCases)
    func concurrentGuardedDecrements(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let results = await Self.concurrently(20) { (task) in
                try await database.transaction { (runner) -> Int in
                    let taken = try await runner.run(
                        try NamedStatement("UPDATE counters SET n = n - 1 WHERE name = 'stock' AND n > 0"), [:]
                    )
                    if taken == 1 {
                        _ = try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (:task)"), ["task": .integer(task)])
                    }
                    return taken
                }
            }
            try await Self.checkCounter(database, results)
        }
    }

    @Test("concurrent read-then-write decrements lose no update", arguments: Engine.allCases)
    func concurrentReadModifyWrite(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let results = await Self.concurrently(20) { (task) in
                try await database.transaction { (runner) -> Int in
                    let rows = try await runner.rows(try NamedStatement("SELECT n FROM counters WHERE name = 'stock'"), [:])
                    guard case .integer(let n)? = rows.first?["n"], n > 0 else { return 0 }
                    _ = try await runner.run(
                        try NamedStatement("UPDATE counters SET n = :next WHERE name = 'stock'"), ["next": .integer(n - 1)]
                    )
                    _ = try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (:task)"), ["task": .integer(task)])
                    return 1
                }
            }
            try await Self.checkCounter(database, results)
        }
    }

    /// Runs `body` `count` times at once.
    static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Int) async -> [Result<Int, any Error>] {
        await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for task in 0..<count {
                group.addTask {
                    do { return .success(try await body(task)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// The stock started at 10: what is left, what the transactions say they took and what they
    /// recorded agree, nothing went below zero, and a transaction that failed failed as
    /// `unavailable` (it gave up after its retries).
    static func checkCounter(_ database: any PackDatabase, _ results: [Result<Int, any Error>]) async throws {
        let left = try await database.value("SELECT n FROM counters WHERE name = 'stock'")
        guard case .integer(let n) = left else {
            Issue.record("the counter is \(String(describing: left))")
            return
        }
        let taken = results.reduce(0) { $0 + ((try? $1.get()) ?? 0) }
        let failures = results.compactMap { result -> (any Error)? in
            if case .failure(let error) = result { return error }
            return nil
        }
        #expect(n >= 0)
        #expect(10 - n == taken)
        #expect(try await database.value("SELECT COUNT(*) AS n FROM takes") == .integer(taken))
        for failure in failures {
            #expect((failure as? DataError)?.kind == .unavailable, "\(failure)")
        }
        // With 20 takers and 10 in stock, everything is taken unless some gave up.
        if failures.isEmpty { #expect(n == 0) }
    }

    // MARK: Prepare

    @Test("prepare names a missing column, and does not run the statement", arguments: Engine.allCases)
    func prepareChecks(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let missing = await #expect(throws: DataError.self) {
                try await database.prepare(try NamedStatement("SELECT nonexistent_col FROM orders WHERE id = :id"))
            }
            #expect(missing?.message.contains("nonexistent_col") == true, "\(missing?.message ?? "")")
            let table = await #expect(throws: DataError.self) {
                try await database.prepare(try NamedStatement("SELECT id FROM missing_table"))
            }
            #expect(table?.message.contains("missing_table") == true, "\(table?.message ?? "")")
            await #expect(throws: DataError.self) { try await database.prepare(try NamedStatement("SELEC id FROM orders")) }

            try await database.prepare(try NamedStatement(
                "INSERT INTO orders (id, customer_id, item, total_cents) VALUES (:id, :customer_id, 'x', :cents)"
            ))
            try await database.prepare(try NamedStatement("DELETE FROM orders WHERE customer_id = :customer_id"))
            try await database.prepare(try NamedStatement(
                "SELECT item, money_text(total_cents) AS total FROM orders WHERE (:due IS NULL OR due_on = :due) AND customer_id = :customer_id"
            ))
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
        }
    }

    @Test("an empty statement is refused", arguments: Engine.allCases)
    func emptyStatement(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            for text in ["", "  -- nothing to run\n"] {
                await #expect(throws: DataError.self) { _ = try await database.rows(text) }
                await #expect(throws: DataError.self) { try await database.prepare(try NamedStatement(text)) }
            }
        }
    }

    // TODO: run this on SQLite too once SQLiteDatabase.prepare reads sqlite3_prepare_v2's tail
    // while the C string of the SQL is alive (it reads it after: the process crashes).
    @Test("a statement holding two commands is refused and runs neither", arguments: [Engine.postgres])
    func twoCommands(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let text = "SELECT id FROM orders WHERE id = :id; DELETE FROM orders"
            await #expect(throws: DataError.self) { _ = try await database.rows(text, ["id": .integer(1)]) }
            await #expect(throws: DataError.self) {
                _ = try await database.transaction { try await $0.run(try NamedStatement(text), ["id": .integer(1)]) }
            }
            await #expect(throws: DataError.self) { try await database.prepare(try NamedStatement(text)) }
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
            // One statement with a trailing semicolon is one statement.
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders;") == .integer(3))
        }
    }

    // MARK: Isolation and safety

    @Test("two packs in one database do not see each other's tables", arguments: Engine.allCases)
    func twoPacks(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let alpha = try await place.open(
            pack: "alpha",
            schema: "CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT NOT NULL); CREATE TABLE shared (v TEXT)",
            seed: "INSERT INTO secrets (id, value) VALUES (1, 'alpha only'); INSERT INTO shared (v) VALUES ('alpha')"
        )
        let beta = try await place.open(
            pack: "beta", schema: "CREATE TABLE shared (v TEXT)", seed: "INSERT INTO shared (v) VALUES ('beta')"
        )
        #expect(alpha.wasSeeded && beta.wasSeeded)
        #expect(try await alpha.database.value("SELECT value FROM secrets") == .text("alpha only"))
        #expect(try await alpha.database.value("SELECT v FROM shared") == .text("alpha"))
        #expect(try await beta.database.value("SELECT v FROM shared") == .text("beta"))
        let error = await #expect(throws: DataError.self) { _ = try await beta.database.value("SELECT value FROM secrets") }
        #expect(error?.message.contains("secrets") == true)
        await #expect(throws: DataError.self) { try await beta.database.prepare(try NamedStatement("SELECT value FROM secrets")) }
        // Both have the helper functions.
        #expect(try await beta.database.value("SELECT money_text(1999) AS v") == .text("19.99"))
        await alpha.database.shutdown()
        await beta.database.shutdown()
    }

    @Test("a text that looks like SQL injection is stored verbatim", arguments: Engine.allCases)
    func injectionIsJustText(engine: Engine) async throws {
        try await withShop(engine) { (database) async throws in
            let hostile = "x'); DROP TABLE orders; -- :today $1 $$ \" \\ /* é 😀"
            let changed = try await database.transaction {
                try await $0.run(try NamedStatement("UPDATE orders SET note = :note WHERE id = :id"), ["note": .text(hostile), "id": .integer(1)])
            }
            #expect(changed == 1)
            #expect(try await database.value("SELECT note FROM orders WHERE id = 1") == .text(hostile))
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders WHERE note = :note", ["note": .text(hostile)]) == .integer(1))
            #expect(try await database.value("SELECT COUNT(*) AS n FROM orders") == .integer(3))
        }
    }

    @Test("after shutdown, calls fail as unavailable", arguments: Engine.allCases)
    func afterShutdown(engine: Engine) async throws {
        let place = try await Place.new(engine)
        defer { place.remove() }
        let database = try await place.open().database
        await database.shutdown()
        await #expect(throws: (any Error).self) { _ = try await database.value("SELECT 1 AS v") }
    }

    // MARK: PostgreSQL only

    @Test("replicas starting together on an empty database seed the pack once")
    func replicasSeedOnce() async throws {
        let place = try await Place.new(.postgres)
        let replicas = try await withThrowingTaskGroup(of: (database: any PackDatabase, wasSeeded: Bool).self) { group in
            for _ in 0..<4 { group.addTask { try await place.open() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replicas.filter(\.wasSeeded).count == 1)
        #expect(try await replicas[0].database.value("SELECT COUNT(*) AS n FROM customers") == .integer(2))
        #expect(try await replicas[0].database.value("SELECT COUNT(*) AS n FROM switchboard_pack") == .integer(1))
        for replica in replicas { await replica.database.shutdown() }
    }

    @Test("PostgreSQL's own types are read as integer, real or text")
    func postgresValueTypes() async throws {
        try await withShop(.postgres) { (database) async throws in
            let row = try #require(try await database.rows(
                """
                SELECT 12.50::numeric AS price, 12::numeric AS whole, -0.05::numeric AS small, 0.0001234::numeric AS tiny,
                    10000.5::numeric AS wide, 123456789012345678901234567890::numeric AS huge, SUM(total_cents::bigint) AS total,
                    7::smallint AS short, TRUE AS yes, DATE '2025-03-01' AS day, 1.5::real AS single, 0.1::real AS tenth,
                    TIMESTAMP '2025-01-02 03:04:05.25' AS stamp, TIMESTAMPTZ '2025-01-02 03:04:05+02' AS zoned, TIME '13:14:15' AS clock,
                    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid AS id, '{"a": 1}'::jsonb AS document, 'x'::char(3) AS padded,
                    shout('hi') AS shouted, 'infinity'::date AS never
                FROM orders
                """
            ).first)
            #expect(row["price"] == .real(12.5))
            #expect(row["whole"] == .integer(12))
            #expect(row["small"] == .real(-0.05))
            #expect(row["tiny"] == .real(0.0001234))
            #expect(row["wide"] == .real(10000.5))
            #expect(row["huge"] == .real(1.2345678901234568e29))
            #expect(row["total"] == .integer(11_049))
            #expect(row["short"] == .integer(7))
            #expect(row["yes"] == .integer(1))
            #expect(row["day"] == .text("2025-03-01"))
            #expect(row["single"] == .real(1.5))
            #expect(row["tenth"] == .real(0.1))
            #expect(row["stamp"] == .text("2025-01-02 03:04:05.25"))
            #expect(row["zoned"] == .text("2025-01-02 01:04:05"))
            #expect(row["clock"] == .text("13:14:15"))
            #expect(row["id"] == .text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
            #expect(row["document"] == .text(#"{"a": 1}"#))
            #expect(row["padded"] == .text("x  "))
            #expect(row["shouted"] == .text("HI!"))
            #expect(row["never"] == .text("infinity"))

            let error = await #expect(throws: DataError.self) { _ = try await database.rows("SELECT INTERVAL '1 day' AS gap") }
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains("gap") == true, "\(error?.message ?? "")")
        }
    }

    @Test("a failed statement's error names the statement and PostgreSQL's message")
    func statementErrors() async throws {
        try await withShop(.postgres) { (database) async throws in
            let error = await #expect(throws: DataError.self) {
                _ = try await database.rows("SELECT item FROM orders WHERE id = :id", ["id": .text("1")])
            }
            #expect(error?.message.contains("operator does not exist") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("SELECT item FROM orders WHERE id = :id") == true, "\(error?.message ?? "")")
            let constraint = await #expect(throws: DataError.self) {
                _ = try await database.transaction {
                    try await $0.run(try NamedStatement("INSERT INTO orders (id, customer_id, item, total_cents) VALUES (1, 'C1', 'x', 1)"), [:])
                }
            }
            #expect(constraint?.kind == .constraint)
        }
    }

    @Test("a conflicting transaction is run again, then given up as unavailable")
    func conflictsAreRetried() async throws {
        try await withShop(.postgres) { (database) async throws in
            let attempts = Mutex(0)
            let error = await #expect(throws: DataError.self) {
                _ = try await database.transaction { (runner) -> Int in
                    attempts.withLock { $0 += 1 }
                    _ = try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (1)"), [:])
                    return try await runner.run(
                        try NamedStatement("DO $$ BEGIN RAISE EXCEPTION 'made-up conflict' USING ERRCODE = 'serialization_failure'; END $$"), [:]
                    )
                }
            }
            #expect(error?.kind == .unavailable)
            #expect(error?.message.contains("made-up conflict") == true, "\(error?.message ?? "")")
            #expect(attempts.withLock { $0 } == PostgresPackDatabase.maximumRetries + 1)
            #expect(try await database.value("SELECT COUNT(*) AS n FROM takes") == .integer(0))
        }
    }

    @Test("a body that swallows a failed statement does not commit")
    func swallowedFailure() async throws {
        try await withShop(.postgres) { (database) async throws in
            await #expect(throws: DataError.self) {
                _ = try await database.transaction { (runner) -> Int in
                    _ = try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (1)"), [:])
                    _ = try? await runner.run(try NamedStatement("INSERT INTO nowhere (task) VALUES (2)"), [:])
                    return 1
                }
            }
            #expect(try await database.value("SELECT COUNT(*) AS n FROM takes") == .integer(0))
        }
    }

    @Test("a statement may not begin or end a transaction", arguments: ["COMMIT", "begin", "ROLLBACK", "END", "START TRANSACTION"])
    func transactionControl(text: String) async throws {
        try await withShop(.postgres) { (database) async throws in
            await #expect(throws: DataError.self) {
                _ = try await database.transaction { (runner) -> Int in
                    _ = try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (1)"), [:])
                    _ = try await runner.run(try NamedStatement(text), [:])
                    return try await runner.run(try NamedStatement("INSERT INTO takes (task) VALUES (2)"), [:])
                }
            }
            await #expect(throws: DataError.self) { _ = try await database.read { try await $0.run(try NamedStatement(text), [:]) } }
            #expect(try await database.value("SELECT COUNT(*) AS n FROM takes") == .integer(0))
        }
    }

    @Test("a pack name must be a plain schema name", arguments: ["Shop", "1shop", "shop-2", "", "pg_shop", "public", "a\"b"])
    func packNames(name: String) async throws {
        let error = await #expect(throws: DataError.self) {
            _ = try await PostgresPackDatabase.connect(
                url: "postgres://nobody@127.0.0.1:1/none", pack: name, schema: "", seed: "", options: Self.options, logger: Self.logger
            )
        }
        #expect(error?.message.contains("pack name") == true, "\(error?.message ?? "")")
    }

    /// Beta's statements see beta's tables and not alpha's, on whichever pooled connection.
    static func expectOnlyBeta(_ beta: any PackDatabase) async throws {
        for _ in 0..<8 {
            await #expect(throws: DataError.self) { _ = try await beta.value("SELECT v FROM secrets") }
            #expect(try await beta.value("SELECT COUNT(*) AS n FROM notes") == .integer(0))
        }
    }

    @Test("a statement cannot move the pack's pooled connections to another schema")
    func searchPathStays() async throws {
        let place = try await Place.new(.postgres)
        let alpha = try await place.open(pack: "alpha", schema: "CREATE TABLE secrets (v TEXT)", seed: "INSERT INTO secrets (v) VALUES ('a')")
        let beta = try await place.open(pack: "beta", schema: "CREATE TABLE notes (v TEXT)", seed: "")
        // Inside one read, the statement's setting holds (it is deliberate)...
        let inside = try await beta.database.read { (runner) -> [SQLRow] in
            _ = try await runner.run(try NamedStatement("SET search_path TO alpha, public"), [:])
            return try await runner.rows(try NamedStatement("SELECT v FROM secrets"), [:])
        }
        #expect(inside.first?["v"] == .text("a"))
        // ... and is gone when the read or transaction ends: every connection is the pack's again.
        try await Self.expectOnlyBeta(beta.database)
        _ = try await beta.database.transaction { try await $0.run(try NamedStatement("SET search_path TO alpha"), [:]) }
        try await Self.expectOnlyBeta(beta.database)
        await alpha.database.shutdown()
        await beta.database.shutdown()
    }
}


extension PackDatabase {
    /// Every row of `sql` with `parameters`, on one connection.
    fileprivate func rows(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> [SQLRow] {
        let statement = try NamedStatement(sql)
        return try await read { try await $0.rows(statement, parameters) }
    }

    /// The first column of the first row of `sql`; `nil` for no row.
    fileprivate func value(_ sql: String, _ parameters: [String: SQLValue] = [:]) async throws -> SQLValue? {
        try await rows(sql, parameters).first?.values.first
    }
}
