import PostgresNIO
import SwitchboardData

/// Turns what postgres-nio throws into the `DataError` kinds callers act on.
package enum PostgresErrors {
    /// `error` as a `DataError` (cancellation passes through): a broken rule of the schema
    /// (SQLSTATE class 23) is `constraint`; a schema or a value that is not what this program
    /// wrote (classes 42 and 22, an undecodable cell) is `corrupt`; everything else — no
    /// connection, authentication, a server shutting down, a deadlock — is `unavailable`.
    package static func map(_ error: any Error, endpoint: String) -> any Error {
        switch error {
        case let error as DataError:
            return error
        case is CancellationError:
            return error
        case let error as PSQLError:
            return map(error, endpoint: endpoint)
        case let error as PostgresDecodingError:
            return DataError.corrupt("column \(error.columnName) (\(error.postgresType)) could not be read as \(error.targetType)")
        default:
            return DataError.unavailable("PostgreSQL at \(endpoint) failed: \(error)")
        }
    }

    private static func map(_ error: PSQLError, endpoint: String) -> DataError {
        guard error.code == .server, let info = error.serverInfo else {
            return DataError.unavailable("PostgreSQL at \(endpoint): \(describe(error))")
        }
        let state = info[.sqlState] ?? ""
        var message = info[.message] ?? "server error"
        if let detail = info[.detail] { message += " (\(detail))" }
        let text = "\(message) [SQLSTATE \(state)] at \(endpoint)"
        switch state.prefix(2) {
        case "23": return DataError.constraint(text)
        case "22", "42": return DataError.corrupt(text)
        default: return DataError.unavailable(text)
        }
    }

    /// A client-side failure in words, with its underlying error when there is one. (`PSQLError`'s
    /// own description is deliberately generic.)
    private static func describe(_ error: PSQLError) -> String {
        var text = "\(error.code)"
        if let underlying = error.underlying { text += ": \(underlying)" }
        return text
    }
}
