/// The caller's phone number in E.164 form (`+15551234567`), or nil when the caller is not a number.
///
/// P-Asserted-Identity is consulted first (every value, in order), then From. Both are claims
/// of the sender: the agent uses this only for INVITEs from trusted peers (RFC 3325); an
/// authenticated caller's number comes from the users file instead.
public func callerNumber(of message: SIPMessage) -> String? {
    for identity in message.pAssertedIdentities {
        if let number = e164Number(fromURI: identity.uriText) { return number }
    }
    return message.from.flatMap { e164Number(fromURI: $0.uriText) }
}

/// The E.164 number in a URI's user part (`sip:+1555…@host`, `tel:+1-555-…`), or nil.
public func e164Number(fromURI uriText: String) -> String? {
    guard let uri = try? SIPURI(parsing: uriText), let user = uri.user else { return nil }
    // A user part may carry parameters of its own (`+1555;npdi`); the number is before them.
    let number = user.split(separator: ";", maxSplits: 1).first.map(String.init) ?? user
    return e164Number(number)
}

/// Normalises a dialled number: removes the visual separators `-.()` and spaces, and requires
/// an optional leading `+` followed by 7–15 digits whose first digit is 1–9.
public func e164Number(_ text: String) -> String? {
    var digits = ""
    for (offset, character) in text.enumerated() {
        if character == "+" && offset == 0 { continue }
        if "-.() ".contains(character) { continue }
        guard character.isASCII, character.isNumber else { return nil }
        digits.append(character)
    }
    guard (7...15).contains(digits.count), let first = digits.first, first != "0" else { return nil }
    return "+" + digits
}
