/// Why the business data could not answer.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad kind of failure.
    public enum Kind: String, Sendable, Equatable {
        /// The store cannot be opened or reached, is closed, busy or read-only.
        case unavailable
        /// The store holds something that is not what this program wrote (not a database, a bad
        /// row, a schema from a newer version).
        case corrupt
        /// A write broke a rule of the schema (a key, a check, a foreign key) and was undone.
        case constraint
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened, for logs.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The store cannot be reached.
    public static func unavailable(_ message: String) -> DataError { DataError(.unavailable, message) }
    /// The store holds something unexpected.
    public static func corrupt(_ message: String) -> DataError { DataError(.corrupt, message) }
    /// A write broke a rule of the schema.
    public static func constraint(_ message: String) -> DataError { DataError(.constraint, message) }

    public var description: String { "business data \(kind.rawValue): \(message)" }
}
