/// Why a flight booking cannot be moved to the asked date.
public enum FlightChangeRefusal: Sendable, Hashable {
    /// No booking with that confirmation belongs to the customer.
    case notFound
    /// The booking cannot be changed at all (its fare, its state, its date); `reason` says why
    /// in words a caller can be told.
    case notChangeable(reason: String)
    /// The booking could be changed, but flight `flightNumber` has no bookable seat on that date
    /// (no departure, cancelled, sold out, or in the past).
    case unavailable(flightNumber: String)
}

/// A date change that can be made, with its price.
public struct FlightChangeOffer: Sendable, Hashable {
    /// The booking as it stands.
    public var booking: FlightBooking
    /// The departure it would move to.
    public var newFlight: Flight
    public var changeFee: Money
    /// What the new date's fare costs more than the fare paid (never negative).
    public var fareDifference: Money
    /// `changeFee + fareDifference`: what the customer pays for the change.
    public var total: Money

    public init(booking: FlightBooking, newFlight: Flight, changeFee: Money, fareDifference: Money, total: Money) {
        self.booking = booking
        self.newFlight = newFlight
        self.changeFee = changeFee
        self.fareDifference = fareDifference
        self.total = total
    }
}

/// The answer to "could this booking move to that date?".
public enum FlightChangeQuote: Sendable, Hashable {
    case available(FlightChangeOffer)
    case refused(FlightChangeRefusal)
}

/// A date change that was made: the old booking is cancelled and points at the new one.
public struct FlightChangeReceipt: Sendable, Hashable {
    /// The old booking, now `cancelled`.
    public var oldBooking: FlightBooking
    /// The new booking, `confirmed`, on the new date.
    public var newBooking: FlightBooking
    /// What the customer paid for the change.
    public var total: Money

    public init(oldBooking: FlightBooking, newBooking: FlightBooking, total: Money) {
        self.oldBooking = oldBooking
        self.newBooking = newBooking
        self.total = total
    }
}

/// The answer to "move this booking to that date".
public enum FlightChangeResult: Sendable, Hashable {
    case confirmed(FlightChangeReceipt)
    case refused(FlightChangeRefusal)
}

/// The business rules for moving a flight booking to another date, as a pure function so that a
/// check and the confirming transaction decide the same way on whatever store.
public enum FlightChangeRules {
    /// Decides whether `booking` (already scoped to the customer; `nil` when not found) may move
    /// to `newFlight` (the same flight number on `newDate`; `nil` when there is no departure).
    public static func evaluate(
        booking: FlightBooking?, newFlight: Flight?, newDate: CalendarDate, today: CalendarDate
    ) -> FlightChangeQuote {
        guard let booking else { return .refused(.notFound) }
        if booking.status == .cancelled {
            if let replacement = booking.replacedBy {
                return .refused(.notChangeable(reason: "this booking was already changed to booking \(replacement)"))
            }
            return .refused(.notChangeable(reason: "this booking is cancelled"))
        }
        guard booking.fareRule.isChangeable else {
            return .refused(.notChangeable(reason: "\(booking.fareRule.name) fares cannot be changed"))
        }
        if booking.flight.date < today {
            return .refused(.notChangeable(reason: "the flight has already departed"))
        }
        if newDate == booking.flight.date {
            return .refused(.notChangeable(reason: "the booking is already for \(newDate.iso)"))
        }
        let number = booking.flight.number
        guard newDate >= today, let newFlight, newFlight.date == newDate, newFlight.number == number,
              newFlight.status != .cancelled, newFlight.seatsAvailable > 0
        else { return .refused(.unavailable(flightNumber: number)) }
        let changeFee = booking.fareRule.changeFee
        let newFare = newFlight.fare(for: booking.fareRule)
        let fareDifference = Money(cents: max(0, newFare.cents - booking.farePaid.cents), currency: newFare.currency)
        return .available(FlightChangeOffer(
            booking: booking, newFlight: newFlight, changeFee: changeFee,
            fareDifference: fareDifference, total: changeFee + fareDifference
        ))
    }
}
