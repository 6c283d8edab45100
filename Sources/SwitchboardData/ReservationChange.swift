/// Why a hotel reservation cannot move to the asked dates.
public enum ReservationChangeRefusal: Sendable, Hashable {
    /// No active reservation with that confirmation belongs to the customer.
    case notFound
    /// No room of the reservation's type is free for every night of the new stay (or the stay
    /// is in the past, or its length is outside 1–30 nights).
    case unavailable(hotel: String, checkIn: CalendarDate, checkOut: CalendarDate)
}

/// A change of dates that can be made, with its price.
public struct ReservationChangeOffer: Sendable, Hashable {
    /// The reservation as it stands.
    public var reservation: HotelReservation
    public var checkIn: CalendarDate
    public var nights: Int
    public var nightlyRate: Money
    public var changeFee: Money
    /// `nightlyRate × nights + changeFee`: what the new stay costs.
    public var total: Money
    /// Rooms of the type still free on the busiest night of the new stay.
    public var roomsAvailable: Int

    public init(
        reservation: HotelReservation, checkIn: CalendarDate, nights: Int, nightlyRate: Money,
        changeFee: Money, total: Money, roomsAvailable: Int
    ) {
        self.reservation = reservation
        self.checkIn = checkIn
        self.nights = nights
        self.nightlyRate = nightlyRate
        self.changeFee = changeFee
        self.total = total
        self.roomsAvailable = roomsAvailable
    }

    /// The morning the new stay ends.
    public var checkOut: CalendarDate { checkIn.adding(days: nights) }
}

/// The answer to "could this reservation move to those dates?".
public enum ReservationChangeQuote: Sendable, Hashable {
    case available(ReservationChangeOffer)
    case refused(ReservationChangeRefusal)
}

/// A change of dates that was made; the reservation keeps its confirmation.
public struct ReservationChangeReceipt: Sendable, Hashable {
    /// The reservation with its new dates.
    public var reservation: HotelReservation
    /// What the new stay costs.
    public var total: Money

    public init(reservation: HotelReservation, total: Money) {
        self.reservation = reservation
        self.total = total
    }
}

/// The answer to "move this reservation to those dates".
public enum ReservationChangeResult: Sendable, Hashable {
    case confirmed(ReservationChangeReceipt)
    case refused(ReservationChangeRefusal)
}

/// The business rules for moving a hotel stay, as a pure function shared by the check and the
/// confirming transaction.
public enum ReservationChangeRules {
    /// The longest stay that can be booked.
    public static let nights = 1...30

    /// Decides whether `reservation` (scoped to the customer; `nil` when not found) may move to
    /// `checkIn` for `nights` nights, given `roomsAvailable` rooms of its type free on the
    /// busiest of those nights, not counting the reservation itself.
    public static func evaluate(
        reservation: HotelReservation?, checkIn: CalendarDate, nights: Int, roomsAvailable: Int, today: CalendarDate
    ) -> ReservationChangeQuote {
        guard let reservation, reservation.status == .confirmed else { return .refused(.notFound) }
        let unavailable = ReservationChangeQuote.refused(.unavailable(
            hotel: reservation.hotel.name, checkIn: checkIn, checkOut: checkIn.adding(days: nights)
        ))
        guard Self.nights.contains(nights), checkIn >= today, reservation.checkOut > today, roomsAvailable > 0 else {
            return unavailable
        }
        let changeFee = reservation.hotel.changeFee
        return .available(ReservationChangeOffer(
            reservation: reservation, checkIn: checkIn, nights: nights, nightlyRate: reservation.nightlyRate,
            changeFee: changeFee, total: reservation.nightlyRate * nights + changeFee, roomsAvailable: roomsAvailable
        ))
    }
}
