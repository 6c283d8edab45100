import RealtimeProtocol

/// What a `kind: builtin` tool does to the call it is used in.
///
/// ```yaml
/// name: end_call
/// kind: builtin
/// builtin: end_call            # the agent says goodbye, then the hub hangs up
/// ---
/// name: transfer_call
/// kind: builtin
/// builtin:
///   type: transfer_call
///   destinations:
///     - name: front_desk
///       to: "+15551230000"     # E.164, or a sip: URI
///       description: The front desk, for anything about a stay.
///       message: I'm putting you through to the front desk now.
/// ---
/// name: send_dtmf
/// kind: builtin
/// builtin: send_dtmf           # keys for an IVR: 0-9, *, #, A-D, and w (half a second's pause)
/// ```
///
/// The model chooses a transfer destination by name from the pack's list: it can never dial a
/// number of its own.
public enum CallControlPlan: Sendable, Equatable {
    case endCall
    case transferCall([TransferDestination])
    case sendDTMF

    /// The builtin types, as `builtin:` names them.
    public static let types = ["end_call", "transfer_call", "send_dtmf"]

    /// What the model is told the tool does, when the file gives no description.
    public var defaultDescription: String {
        switch self {
        case .endCall:
            "Ends the call. Use it once the caller has what they need and says goodbye, or asks to hang up. Say a short goodbye in the same answer."
        case .transferCall(let destinations):
            "Transfers the caller to a person: " + destinations.map { "\($0.name) (\($0.description))" }.joined(separator: "; ")
                + ". Use it when the caller asks for a person or needs help you cannot give."
        case .sendDTMF:
            "Presses phone keys on the call, for an automated phone menu: digits 0-9, * and #, w for a short pause."
        }
    }

    /// The JSON schema of the tool's arguments.
    public var parameters: JSONValue {
        let reason: JSONValue = .object(["type": .string("string"), "maxLength": .int(500),
                                         "description": .string("Why, in a few words (kept in the call record).")])
        switch self {
        case .endCall:
            return .object(["type": .string("object"), "properties": .object(["reason": reason]), "additionalProperties": .bool(false)])
        case .transferCall(let destinations):
            return .object(["type": .string("object"), "properties": .object([
                "destination": .object(["type": .string("string"), "enum": .array(destinations.map { .string($0.name) }),
                                        "description": .string("Who to transfer the caller to.")]),
                "reason": reason,
            ]), "required": .array([.string("destination")]), "additionalProperties": .bool(false)])
        case .sendDTMF:
            return .object(["type": .string("object"), "properties": .object([
                "digits": .object(["type": .string("string"), "pattern": .string("^[0-9*#A-Dw]{1,32}$"),
                                   "description": .string("The keys to press, in order, e.g. 1 or 4#; w waits half a second.")]),
            ]), "required": .array([.string("digits")]), "additionalProperties": .bool(false)])
        }
    }
}

/// Someone the caller can be transferred to.
public struct TransferDestination: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// The caller is put through at once.
        case cold
        /// The hub calls the person first and tells them about the call, then puts the caller
        /// through (or comes back to the caller when nobody answers).
        case warm
    }

    /// What the model passes as `destination`.
    public var name: String
    /// A number in E.164 (`+15551230000`) or a `sip:` URI.
    public var to: String
    public var description: String
    public var mode: Mode
    /// What the agent says before the transfer; `nil`: the model's own words.
    public var message: String?

    public init(name: String, to: String, description: String, mode: Mode = .cold, message: String? = nil) {
        self.name = name
        self.to = to
        self.description = description
        self.mode = mode
        self.message = message
    }

    /// Whether `text` is an address a transfer can go to: E.164 or a `sip:`/`sips:` URI with a host.
    public static func isAddress(_ text: String) -> Bool {
        if text.hasPrefix("+") {
            let digits = text.dropFirst()
            return (8...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber } && digits.first != "0"
        }
        for scheme in ["sip:", "sips:"] where text.lowercased().hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            let host = rest.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
            return !host.isEmpty && rest.utf8.count <= 256 && !rest.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" })
        }
        return false
    }
}
