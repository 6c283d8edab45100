/// Quotes and changes: each decided by the shared rules, changes inside one transaction.
extension SQLiteBusinessData {
    public func quoteFlightChange(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeQuote {
        try await withDatabase { (database) throws(DataError) in
            try Self.evaluateFlightChange(database, confirmation: confirmation, customerID: customerID, newDate: newDate, today: today)
        }
    }

    public func changeFlight(confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate) async throws -> FlightChangeResult {
        try await withDatabase { (database) throws(DataError) in
            try database.transaction { () throws(DataError) -> FlightChangeResult in
                let quote = try Self.evaluateFlightChange(
                    database, confirmation: confirmation, customerID: customerID, newDate: newDate, today: today
                )
                switch quote {
                case .refused(let refusal): return .refused(refusal)
                case .available(let offer): return .confirmed(try Self.apply(offer, in: database))
                }
            }
        }
    }

    public func quoteReservationChange(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeQuote {
        try await withDatabase { (database) throws(DataError) in
            try Self.evaluateReservationChange(
                database, confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: today
            )
        }
    }

    public func changeReservation(confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate) async throws -> ReservationChangeResult {
        try await withDatabase { (database) throws(DataError) in
            try database.transaction { () throws(DataError) -> ReservationChangeResult in
                let quote = try Self.evaluateReservationChange(
                    database, confirmation: confirmation, customerID: customerID, checkIn: checkIn, nights: nights, today: today
                )
                switch quote {
                case .refused(let refusal): return .refused(refusal)
                case .available(let offer): return .confirmed(try Self.apply(offer, in: database))
                }
            }
        }
    }

    // MARK: Flights

    private static func evaluateFlightChange(
        _ database: SQLiteDatabase, confirmation: String, customerID: String, newDate: CalendarDate, today: CalendarDate
    ) throws(DataError) -> FlightChangeQuote {
        let booking = try database.booking(confirmation: confirmation, customerID: customerID)
        let newFlight = try booking.flatMap { (booking) throws(DataError) in
            try database.flight(number: booking.flight.number, date: newDate)
        }
        return FlightChangeRules.evaluate(booking: booking, newFlight: newFlight, newDate: newDate, today: today)
    }

    /// Inserts the new booking, cancels the old one, gives its seat back and takes one on the
    /// new departure. Any failure throws, and the caller's transaction undoes all of it.
    private static func apply(_ offer: FlightChangeOffer, in database: SQLiteDatabase) throws(DataError) -> FlightChangeReceipt {
        let old = offer.booking
        let code = try database.unusedBookingConfirmation()
        try database.run(
            """
            INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'confirmed')
            """,
            [.text(code), .text(old.customerID), .text(offer.newFlight.number), .text(offer.newFlight.date.iso),
             .text(old.fareRule.fareClass), .integer(old.farePaid.cents + offer.fareDifference.cents), .optional(old.seat)]
        )
        let cancelled = try database.run(
            "UPDATE bookings SET status = 'cancelled', replaced_by = ? WHERE confirmation = ? AND status = 'confirmed'",
            [.text(code), .text(old.confirmation)]
        )
        guard cancelled == 1 else { throw DataError.constraint("booking \(old.confirmation) changed while it was being moved") }
        try database.run(
            "UPDATE flights SET seats_available = seats_available + 1 WHERE number = ? AND date = ? AND seats_available < seats_total",
            [.text(old.flight.number), .text(old.flight.date.iso)]
        )
        let taken = try database.run(
            "UPDATE flights SET seats_available = seats_available - 1 WHERE number = ? AND date = ? AND seats_available > 0",
            [.text(offer.newFlight.number), .text(offer.newFlight.date.iso)]
        )
        guard taken == 1 else { throw DataError.constraint("flight \(offer.newFlight.number) on \(offer.newFlight.date) has no seat left") }
        guard let oldBooking = try database.booking(confirmation: old.confirmation, customerID: old.customerID),
              let newBooking = try database.booking(confirmation: code, customerID: old.customerID)
        else { throw DataError.corrupt("booking \(code) was not found after it was written") }
        return FlightChangeReceipt(oldBooking: oldBooking, newBooking: newBooking, total: offer.total)
    }

    // MARK: Hotels

    private static func evaluateReservationChange(
        _ database: SQLiteDatabase, confirmation: String, customerID: String, checkIn: CalendarDate, nights: Int?, today: CalendarDate
    ) throws(DataError) -> ReservationChangeQuote {
        guard let reservation = try database.reservation(confirmation: confirmation, customerID: customerID) else {
            return .refused(.notFound)
        }
        let nights = nights ?? reservation.nights
        let free = try database.roomsAvailable(
            hotelID: reservation.hotel.id, roomType: reservation.roomType, checkIn: checkIn, nights: nights,
            excluding: reservation.confirmation
        )
        return ReservationChangeRules.evaluate(reservation: reservation, checkIn: checkIn, nights: nights, roomsAvailable: free, today: today)
    }

    /// Moves the stay to the offer's dates.
    private static func apply(_ offer: ReservationChangeOffer, in database: SQLiteDatabase) throws(DataError) -> ReservationChangeReceipt {
        let old = offer.reservation
        let updated = try database.run(
            """
            UPDATE reservations SET check_in = ?, check_out = ?, nights = ?
            WHERE confirmation = ? AND customer_id = ? AND status = 'confirmed'
            """,
            [.text(offer.checkIn.iso), .text(offer.checkOut.iso), .integer(offer.nights), .text(old.confirmation), .text(old.customerID)]
        )
        guard updated == 1, let reservation = try database.reservation(confirmation: old.confirmation, customerID: old.customerID) else {
            throw DataError.constraint("reservation \(old.confirmation) changed while it was being moved")
        }
        return ReservationChangeReceipt(reservation: reservation, total: offer.total)
    }
}
