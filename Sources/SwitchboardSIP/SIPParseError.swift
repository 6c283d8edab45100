/// Why a datagram is not a valid SIP message.
public struct SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation, suitable for a 400 reason phrase.
    public var message: String
    /// What could be recovered (start line and well-formed headers) so that a request can still
    /// be answered with 400 Bad Request; nil when not even the start line could be read.
    public var partial: SIPMessage?

    /// Creates an error.
    public init(_ message: String, partial: SIPMessage? = nil) {
        self.message = message
        self.partial = partial
    }

    /// The explanation.
    public var description: String { message }
}
