import PostgresNIO
import SwitchboardData

/// Quotes and changes, each decided by the shared rules; a change is one transaction that locks
/// the rows it involves (`SELECT … FOR UPDATE`) and decides again on what it then reads.
extension PostgresBusinessData {
    public func quoteFlightChange(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeQuote {
        try await withConnection { (connection) in
            try await Self.evaluateFlightChange(
                connection, confirmation: confirmation, customerID: customerID, newDate: newDate, today: today, locking: false
            )
        }
    }

    public func changeFlight(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeResult {
        try await withConnection { (connection) in
            try await connection.transaction { () async throws -> FlightChangeResult in
                let quote = try await Self.evaluateFlightChange(
                    connection, confirmation: confirmation, customerID: customerID, newDate: newDate, today: today, locking: true
                )
                switch quote {
                case .refused(let refusal): return .refused(refusal)
                case .available(let offer): return .confirmed(try await Self.apply(offer, in: connection))
                }
            }
        }
    }

    public func quoteReservationChange(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeQuote {
        try await withConnection { (connection) in
            try await Self.evaluateReservationChange(
                connection, confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: today,
                locking: false
            )
        }
    }

    public func changeReservation(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeResult {
        try await withConnection { (connection) in
            try await connection.transaction { () async throws -> ReservationChangeResult in
                let quote = try await Self.evaluateReservationChange(
                    connection, confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: today,
                    locking: true
                )
                switch quote {
                case .refused(let refusal): return .refused(refusal)
                case .available(let offer): return .confirmed(try await Self.apply(offer, in: connection))
                }
            }
        }
    }

    // MARK: Flights

    /// Reads the booking and the new departure and lets `FlightChangeRules` decide. With
    /// `locking`, the booking is locked first, then both departures in date order, and the new
    /// departure is read after its lock: a concurrent change of the same booking or seat is
    /// waited for and seen.
    private static func evaluateFlightChange(
        _ connection: BusinessConnection, confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate,
        locking: Bool
    ) async throws -> FlightChangeQuote {
        let booking = try await connection.booking(confirmation: confirmation, customerID: customerID, locking: locking)
        var newFlight: Flight?
        if let booking {
            if locking { try await connection.lockFlights(number: booking.flight.number, dates: [booking.flight.date, newDate]) }
            newFlight = try await connection.flight(number: booking.flight.number, date: newDate)
        }
        return FlightChangeRules.evaluate(booking: booking, newFlight: newFlight, newDate: newDate, today: today)
    }

    /// Inserts the new booking, cancels the old one, gives its seat back and takes one on the
    /// new departure. Any failure throws, and the caller's transaction undoes all of it.
    private static func apply(_ offer: FlightChangeOffer, in connection: BusinessConnection) async throws -> FlightChangeReceipt {
        let old = offer.booking
        let code = try await connection.insertBooking(
            customerID: old.customerID, flight: offer.newFlight, fareClass: old.fareRule.fareClass,
            farePaidCents: old.farePaid.cents + offer.fareDifference.cents, seat: old.seat
        )
        let cancelled = try await connection.rows(
            """
            UPDATE bookings SET status = 'cancelled', replaced_by = \(code)
            WHERE confirmation = \(old.confirmation) AND status = 'confirmed'
            RETURNING confirmation
            """
        ) { (row) throws(DataError) -> String in try row.next() }
        guard cancelled.count == 1 else { throw DataError.constraint("booking \(old.confirmation) changed while it was being moved") }
        try await connection.execute(
            """
            UPDATE flights SET seats_available = seats_available + 1
            WHERE number = \(old.flight.number) AND date = \(PostgresDay(old.flight.date)) AND seats_available < seats_total
            """
        )
        let taken = try await connection.rows(
            """
            UPDATE flights SET seats_available = seats_available - 1
            WHERE number = \(offer.newFlight.number) AND date = \(PostgresDay(offer.newFlight.date)) AND seats_available > 0
            RETURNING seats_available
            """
        ) { (row) throws(DataError) -> Int in try row.next() }
        guard taken.count == 1 else { throw DataError.constraint("flight \(offer.newFlight.number) on \(offer.newFlight.date) has no seat left") }
        guard let oldBooking = try await connection.booking(confirmation: old.confirmation, customerID: old.customerID),
              let newBooking = try await connection.booking(confirmation: code, customerID: old.customerID)
        else { throw DataError.corrupt("booking \(code) was not found after it was written") }
        return FlightChangeReceipt(oldBooking: oldBooking, newBooking: newBooking, total: offer.total)
    }

    // MARK: Hotels

    /// Reads the reservation and the rooms free for the new stay and lets
    /// `ReservationChangeRules` decide. With `locking`, the reservation and then its room type
    /// are locked before the rooms are counted, so changes into the same rooms count one after
    /// another.
    private static func evaluateReservationChange(
        _ connection: BusinessConnection, confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?,
        today: CalendarDate, locking: Bool
    ) async throws -> ReservationChangeQuote {
        guard let reservation = try await connection.reservation(confirmation: confirmation, customerID: customerID, locking: locking) else {
            return .refused(.notFound)
        }
        if locking { try await connection.lockRoom(hotelID: reservation.hotel.id, roomType: reservation.roomType) }
        let nights = nights ?? reservation.nights
        let free = try await connection.roomsAvailable(
            hotelID: reservation.hotel.id, roomType: reservation.roomType, checkIn: checkIn, nights: nights,
            excluding: reservation.confirmation
        )
        return ReservationChangeRules.evaluate(reservation: reservation, checkIn: checkIn, nights: nights, roomsAvailable: free, today: today)
    }

    /// Moves the stay to the offer's dates.
    private static func apply(_ offer: ReservationChangeOffer, in connection: BusinessConnection) async throws -> ReservationChangeReceipt {
        let old = offer.reservation
        let updated = try await connection.rows(
            """
            UPDATE reservations SET check_in = \(PostgresDay(offer.checkIn)), check_out = \(PostgresDay(offer.checkOut)),
                nights = \(offer.nights)
            WHERE confirmation = \(old.confirmation) AND customer_id = \(old.customerID) AND status = 'confirmed'
            RETURNING confirmation
            """
        ) { (row) throws(DataError) -> String in try row.next() }
        guard updated.count == 1,
              let reservation = try await connection.reservation(confirmation: old.confirmation, customerID: old.customerID)
        else { throw DataError.constraint("reservation \(old.confirmation) changed while it was being moved") }
        return ReservationChangeReceipt(reservation: reservation, total: offer.total)
    }
}
