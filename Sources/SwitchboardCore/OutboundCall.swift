/// An outbound call's opening: the hub tells the agent, as a system message at the start of the
/// call, that it is the one calling and why, and the agent speaks first.
public enum OutboundCall {
    static let prefix = "Outbound call. You are calling the customer about: "
    static let suffix = " Greet them, say who you are and why you are calling, then help them."

    /// The system message that opens an outbound call made for `purpose`.
    public static func instruction(purpose: String) -> String {
        prefix + purpose.trimmingWhitespaceAndFullStop + "." + suffix
    }

    /// The purpose an opening system message carries, or `nil` when `text` is not one.
    public static func purpose(in text: String) -> String? {
        guard text.hasPrefix(prefix), text.hasSuffix("." + suffix) else { return nil }
        let purpose = text.dropFirst(prefix.count).dropLast(suffix.count + 1)
        return purpose.isEmpty ? nil : String(purpose)
    }
}

extension String {
    fileprivate var trimmingWhitespaceAndFullStop: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace || c == "." { s = s.dropLast() }
        return String(s)
    }
}
