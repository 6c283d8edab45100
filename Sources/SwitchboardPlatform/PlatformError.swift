/// Why a platform store or its API refused or failed.
public struct PlatformError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No such tenant, number, key, setting or secret (or not this tenant's).
        case notFound
        /// It exists already (a number bound to another tenant, a name taken).
        case conflict
        /// The request does not make sense (a malformed number, a missing field).
        case invalid
        /// The store cannot be reached or refused a write.
        case unavailable
        /// The store holds what this program did not write (a newer schema, a secret that does not open).
        case corrupt
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
