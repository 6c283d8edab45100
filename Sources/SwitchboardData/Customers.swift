/// A customer of the demo business.
public struct CustomerRecord: Sendable, Hashable {
    /// `C-1001`.
    public var id: String
    public var name: String
    public var email: String?
    public var phone: String?

    public init(id: String, name: String, email: String? = nil, phone: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.phone = phone
    }
}

/// Phone numbers in E.164.
public enum PhoneNumber {
    /// `number` in E.164 (`+14155550142`) when it is a plausible one: a leading `+`, then 8-15
    /// digits, ignoring spaces, dashes, dots and parentheses; `nil` otherwise.
    public static func e164(_ number: String) -> String? {
        var digits = ""
        var plus = false
        for (index, character) in number.enumerated() {
            if character == "+", index == 0 { plus = true; continue }
            if " -.()".contains(character) { continue }
            guard character.isASCII, character.isNumber else { return nil }
            digits.append(character)
        }
        guard plus, (8...15).contains(digits.count), digits.first != "0" else { return nil }
        return "+" + digits
    }

    /// The SQL expression (SQLite and PostgreSQL alike) that strips a stored number's punctuation.
    public static func normalisedSQL(_ column: String) -> String {
        "replace(replace(replace(replace(replace(\(column), ' ', ''), '-', ''), '.', ''), '(', ''), ')', '')"
    }
}
