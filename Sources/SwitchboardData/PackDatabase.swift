/// A value bound to a declared statement's parameter or read from a result column.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int)
    case real(Double)
    case text(String)
}

/// One result row: the statement's column names and this row's values, in the same order.
public struct SQLRow: Sendable, Hashable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "a row has one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of the first column named `column`; `nil` when there is no such column.
    public subscript(_ column: String) -> SQLValue? {
        columns.firstIndex(of: column).map { values[$0] }
    }
}

/// Runs declared statements inside one connection (and, from `PackDatabase.transaction`, one
/// transaction). Parameters are bound by name; a name the statement uses but `parameters`
/// lacks is bound as `NULL`.
public protocol StatementRunner: Sendable {
    /// Every row the statement returns.
    func rows(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> [SQLRow]
    /// Runs a write; the number of rows it changed.
    func run(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> Int
}

/// A pack's business data: its declared schema and seed on one engine (SQLite or PostgreSQL),
/// queried only through declared, parameterised statements. Failures are `DataError`s.
///
/// A statement whose task is cancelled (the caller hung up, cancelled the response, or ran out
/// of time) stops where it is rather than run to its end, on every engine, and throws
/// `CancellationError`; in a `transaction`, everything the transaction did is rolled back.
///
/// Every engine provides the same helper functions to statements, schemas and seeds:
/// `add_days(day, n)` (a `yyyy-MM-dd` day moved by `n` days), `days_between(from, to)` (whole
/// days from one day to another) and `money_text(cents)` (`7500` → `'75.00'`).
public protocol PackDatabase: Sendable {
    /// The engine, for tool sources: `sqlite` or `postgres`.
    var engine: String { get }
    /// Runs `body` with one connection, outside a transaction (each statement on its own).
    func read<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed when `body` returns, rolled back when it throws
    /// (or is cancelled). A transaction another one conflicts with is retried or fails with
    /// `DataError.unavailable`; it never half-commits.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T
    /// Checks that `statement` prepares against the schema (tables, columns, syntax), without
    /// running it; throws `DataError` with the engine's message otherwise.
    func prepare(_ statement: NamedStatement) async throws
    /// Closes the connections; later calls throw `DataError.unavailable`.
    func shutdown() async
}
