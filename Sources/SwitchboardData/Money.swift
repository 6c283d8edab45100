/// An amount of money in integer cents, with its ISO 4217 currency.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    /// The amount in hundredths of the currency unit.
    public var cents: Int
    /// `USD`, `GBP`, …
    public var currency: String

    public init(cents: Int, currency: String = "USD") {
        self.cents = cents
        self.currency = currency
    }

    /// Nothing, in `currency`.
    public static func zero(_ currency: String = "USD") -> Money { Money(cents: 0, currency: currency) }

    /// The amount with two decimals and no currency sign: `75.00`, `-5.50`.
    public var decimalString: String {
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return (cents < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    public var description: String { "\(decimalString) \(currency)" }

    /// The sum, in the left side's currency.
    public static func + (lhs: Money, rhs: Money) -> Money {
        Money(cents: lhs.cents + rhs.cents, currency: lhs.currency)
    }

    /// The difference, in the left side's currency.
    public static func - (lhs: Money, rhs: Money) -> Money {
        Money(cents: lhs.cents - rhs.cents, currency: lhs.currency)
    }

    /// `count` times the amount.
    public static func * (lhs: Money, count: Int) -> Money {
        Money(cents: lhs.cents * count, currency: lhs.currency)
    }
}
