/// Why a body is not a usable SDP session description.
public struct SDPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The explanation.
    public var description: String { message }
}
