import Logging
import PostgresNIO
import SwitchboardData

/// The PostgreSQL schema of one pack: its name, the helper functions every engine provides,
/// and its creation from the pack's `schema.sql` and `seed.sql`, once across replicas.
package enum PostgresPackSchema {
    /// The helper functions of the pack format, created in the pack's schema.
    static let helperFunctions = [
        """
        CREATE FUNCTION add_days(day text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(day::date + n::integer, 'YYYY-MM-DD') $$
        """,
        """
        CREATE FUNCTION days_between(a text, b text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT (b::date - a::date)::bigint $$
        """,
        """
        CREATE FUNCTION money_text(cents bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN cents < 0 THEN '-' ELSE '' END || (abs(cents) / 100)::text || '.' || lpad((abs(cents) % 100)::text, 2, '0') $$
        """,
    ]

    /// The table whose presence means "created and seeded: keep the data".
    static let markerTable = "switchboard_pack"

    /// Checks that `pack` is a pack name that is also a schema of its own: `[a-z][a-z0-9_]*`,
    /// at most 63 bytes (PostgreSQL's limit), not `public`, `information_schema` or `pg_…`.
    static func validate(pack: String) throws(DataError) {
        let bytes = Array(pack.utf8)
        let valid = bytes.first.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) } == true
            && bytes.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_")
            }
        guard valid else { throw DataError.unavailable("\"\(pack)\" is not a pack name: [a-z][a-z0-9_]*") }
        guard bytes.count <= 63 else { throw DataError.unavailable("the pack name \(pack) is longer than PostgreSQL's 63 bytes") }
        guard pack != "public", pack != "information_schema", !pack.hasPrefix("pg_") else {
            throw DataError.unavailable("the pack name \(pack) is a schema PostgreSQL keeps for itself")
        }
    }

    /// The pack's schema as an identifier (quoted, so that a pack named like a keyword works).
    static func identifier(pack: String) -> String { "\"\(pack)\"" }

    /// The `search_path` of the pack's connections: its schema, then `public`.
    static func searchPath(pack: String) -> String { "\(identifier(pack: pack)), public" }

    /// An advisory lock key of the pack (of `switchboard.pack.NAME`). Two packs whose keys
    /// collide only wait for each other's creation.
    static func advisoryLockKey(pack: String) -> Int { advisoryLockKey("switchboard.pack.\(pack)") }

    /// The `pg_advisory_xact_lock` key of a schema's creation: FNV-1a (64 bits) of `name`, so every
    /// replica derives the same key.
    package static func advisoryLockKey(_ name: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(Int64(bitPattern: hash))
    }

    /// The pack's `schema.sql` and `seed.sql` for PostgreSQL, split and parsed up front so that
    /// a mistake in them is reported before anything connects.
    struct Script: Sendable {
        var schema: [(line: Int, statement: NamedStatement)]
        var seed: [(line: Int, statement: NamedStatement)]
        /// `:today`, `yyyy-MM-dd`.
        var today: String

        init(schema: String, seed: String, today: String) throws(DataError) {
            self.schema = try Self.parse(schema, file: "schema")
            self.seed = try Self.parse(seed, file: "seed")
            self.today = today
        }

        private static func parse(_ text: String, file: String) throws(DataError) -> [(line: Int, statement: NamedStatement)] {
            let statements: [(line: Int, text: String)]
            do {
                statements = try SQLScript.statements(text, engine: "postgres")
            } catch {
                throw DataError(error.kind, "\(file) \(error.message)")
            }
            var parsed: [(line: Int, statement: NamedStatement)] = []
            for (line, text) in statements {
                do {
                    parsed.append((line, try NamedStatement(text)))
                } catch {
                    throw DataError(error.kind, "\(file) line \(line): \(error.message)")
                }
            }
            return parsed
        }
    }

    /// Creates the pack's schema, helper functions, tables and seed unless its marker table
    /// exists: one transaction under the pack's advisory lock, so that of replicas starting
    /// together one creates it and the others wait for its commit and find it. Returns whether
    /// it created (and seeded) the schema.
    static func create(
        pack: String, script: Script, on connection: PostgresConnection, logger: Logger, endpoint: String
    ) async throws -> Bool {
        func run(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) async throws -> PostgresQueryResult {
            do {
                return try await PostgresPackCommands.query(connection, PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            } catch {
                throw PostgresPackErrors.map(error, statement: sql, endpoint: endpoint)
            }
        }
        func run(_ statement: NamedStatement, file: String, line: Int) async throws {
            // (SQLScript leaves out statements without code; a lone ";" or comment is nothing to run.)
            guard !PostgresPackValues.isEmpty(statement.text) else { return }
            do {
                _ = try await PostgresPackCommands.query(
                    connection, PostgresPackValues.query(statement, ["today": .text(script.today)]), logger: logger
                )
            } catch {
                let mapped = PostgresPackErrors.map(error, statement: statement.text, endpoint: endpoint)
                guard let dataError = mapped as? DataError else { throw mapped }
                throw DataError(dataError.kind, "\(file) line \(line): \(dataError.message)")
            }
        }

        try await run("BEGIN")
        do {
            var bindings = PostgresBindings()
            bindings.append(advisoryLockKey(pack: pack))
            _ = try await run("SELECT pg_advisory_xact_lock($1)", bindings)

            bindings = PostgresBindings()
            bindings.append(pack)
            let tables = try await run(
                """
                SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname
                """,
                bindings
            ).rows.map { row in (try? row.decode(String.self)) ?? "?" }
            let seeded: Bool
            if tables.contains(markerTable) {
                seeded = false
            } else {
                guard tables.isEmpty else {
                    throw DataError.corrupt(
                        "the schema \(pack) at \(endpoint) holds tables (\(tables.prefix(3).joined(separator: ", "))) but was not made for a pack"
                    )
                }
                let schema = identifier(pack: pack)
                _ = try await run("CREATE SCHEMA IF NOT EXISTS \(schema)")
                _ = try await run("SET LOCAL search_path TO \(searchPath(pack: pack))")
                for function in helperFunctions { _ = try await run(function) }
                for (line, statement) in script.schema { try await run(statement, file: "schema", line: line) }
                for (line, statement) in script.seed { try await run(statement, file: "seed", line: line) }
                _ = try await run("CREATE TABLE \(schema).\(markerTable) (name text NOT NULL, seeded_on text NOT NULL)")
                bindings = PostgresBindings()
                bindings.append(pack)
                bindings.append(script.today)
                _ = try await run("INSERT INTO \(schema).\(markerTable) (name, seeded_on) VALUES ($1, $2)", bindings)
                seeded = true
            }
            try await run("COMMIT")
            return seeded
        } catch {
            await PostgresPackCommands.rollback(connection, logger: logger)
            throw error
        }
    }
}
