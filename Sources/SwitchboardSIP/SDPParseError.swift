/// Why a body is not a usable SDP session description.
public struct SDPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, which decides the SIP answer to an offer.
    public enum Kind: Sendable, Hashable {
        /// The text is not SDP (400 Bad Request).
        case malformed
        /// Well-formed SDP with a value that cannot be negotiated: a payload type outside 0–127,
        /// a port above 65535, an absurd ptime or clock rate, too many streams (488 Not
        /// Acceptable Here, with this message as the Warning text).
        case unacceptable
    }

    /// A human-readable explanation.
    public var message: String
    /// Malformed or unacceptable.
    public var kind: Kind

    /// Creates an error (malformed unless said otherwise).
    public init(_ message: String, kind: Kind = .malformed) {
        self.message = message
        self.kind = kind
    }

    /// A well-formed value that cannot be negotiated.
    public static func unacceptable(_ message: String) -> SDPParseError { SDPParseError(message, kind: .unacceptable) }

    /// The explanation.
    public var description: String { message }
}
