import Logging
import PostgresNIO
import SwitchboardData

/// A connection leased from the pool for one operation, with the statements the typed queries
/// are built on. Every statement is a `PostgresQuery`, whose interpolations are bound as
/// parameters; only the constant column lists of this module are spliced in as text.
package struct BusinessConnection {
    package let connection: PostgresConnection
    package let logger: Logger

    /// Runs `query` and turns each row into a value with `decode`.
    package func rows<T>(_ query: PostgresQuery, _ decode: (inout PostgresRowReader) throws(DataError) -> T) async throws -> [T] {
        let sequence = try await connection.query(query, logger: logger)
        var values: [T] = []
        for try await row in sequence {
            var reader = PostgresRowReader(row)
            values.append(try decode(&reader))
        }
        return values
    }

    /// Runs a statement and reads it to its end. (Count what a write did with `RETURNING`.)
    package func execute(_ query: PostgresQuery) async throws {
        let sequence = try await connection.query(query, logger: logger)
        for try await _ in sequence {}
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. A
    /// connection whose rollback fails is closed, so the pool never lends it out in a broken
    /// transaction.
    package func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await execute("BEGIN")
        let value: T
        do {
            value = try await body()
        } catch {
            do {
                try await execute("ROLLBACK")
            } catch let rollbackError {
                logger.warning("rollback failed; closing the connection", metadata: ["error": "\(rollbackError)"])
                try? await connection.close()
            }
            throw error
        }
        try await execute("COMMIT")
        return value
    }
}
