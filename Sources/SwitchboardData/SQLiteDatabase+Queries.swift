/// The typed queries, on an open database, so that reads and the change transactions share them.
extension SQLiteDatabase {
    func customer(phone: String) throws(DataError) -> CustomerRecord? {
        try query("SELECT id, name, email, phone FROM customers WHERE \(PhoneNumber.normalisedSQL("phone")) = ? ORDER BY id LIMIT 1", [.text(phone)]) { row in
            CustomerRecord(id: row.text(), name: row.text(), email: row.optionalText(), phone: row.optionalText())
        }.first
    }

    func customer(id: String) throws(DataError) -> CustomerRecord? {
        try query("SELECT id, name, email, phone FROM customers WHERE id = ?", [.text(id)]) { row in
            CustomerRecord(id: row.text(), name: row.text(), email: row.optionalText(), phone: row.optionalText())
        }.first
    }

    // MARK: Flights

    private static let flightColumns = """
        f.number, f.date, f.origin, f.destination, f.departure_time, f.arrival_time, f.gate, f.status,
        f.delay_minutes, f.seats_total, f.seats_available, f.base_fare_cents, f.currency
        """

    private static func decodeFlight(_ row: inout SQLiteRow) throws(DataError) -> Flight {
        let number = row.text()
        let date = try row.date()
        let origin = row.text(), destination = row.text(), departs = row.text(), arrives = row.text(), gate = row.text()
        let status = try row.value(FlightStatus.self)
        let delay = row.integer(), seatsTotal = row.integer(), seatsAvailable = row.integer(), fare = row.integer()
        return Flight(number: number, date: date, origin: origin, destination: destination, departureTime: departs,
                      arrivalTime: arrives, gate: gate, status: status, delayMinutes: delay, seatsTotal: seatsTotal,
                      seatsAvailable: seatsAvailable, baseFare: Money(cents: fare, currency: row.text()))
    }

    func flight(number: String, date: CalendarDate) throws(DataError) -> Flight? {
        try query(
            "SELECT \(Self.flightColumns) FROM flights f WHERE f.number = ? AND f.date = ?",
            [.text(number), .text(date.iso)], Self.decodeFlight
        ).first
    }

    func nextDeparture(number: String, onOrAfter date: CalendarDate) throws(DataError) -> Flight? {
        try query(
            "SELECT \(Self.flightColumns) FROM flights f WHERE f.number = ? AND f.date >= ? ORDER BY f.date LIMIT 1",
            [.text(number), .text(date.iso)], Self.decodeFlight
        ).first
    }

    private static let bookingSelect = """
        SELECT b.confirmation, b.customer_id, b.fare_paid_cents, b.seat, b.status, b.replaced_by,
            r.fare_class, r.name, r.fare_percent, r.change_fee_cents, r.changeable, \(flightColumns)
        FROM bookings b
        JOIN flights f ON f.number = b.flight_number AND f.date = b.flight_date
        JOIN fare_rules r ON r.fare_class = b.fare_class
        """

    private static func decodeBooking(_ row: inout SQLiteRow) throws(DataError) -> FlightBooking {
        let confirmation = row.text(), customerID = row.text(), farePaid = row.integer(), seat = row.optionalText()
        let status = try row.value(BookingStatus.self)
        let replacedBy = row.optionalText()
        let fareClass = row.text(), fareName = row.text(), farePercent = row.integer(), changeFee = row.integer()
        let changeable = row.integer() != 0
        let flight = try decodeFlight(&row)
        let currency = flight.baseFare.currency
        let rule = FareRule(fareClass: fareClass, name: fareName, farePercent: farePercent,
                            changeFee: Money(cents: changeFee, currency: currency), isChangeable: changeable)
        return FlightBooking(confirmation: confirmation, customerID: customerID, flight: flight, fareRule: rule,
                             farePaid: Money(cents: farePaid, currency: currency), seat: seat, status: status,
                             replacedBy: replacedBy)
    }

    func bookings(customerID: String) throws(DataError) -> [FlightBooking] {
        try query(
            "\(Self.bookingSelect) WHERE b.customer_id = ? ORDER BY f.date, f.departure_time, b.confirmation",
            [.text(customerID)], Self.decodeBooking
        )
    }

    func booking(confirmation: String, customerID: String) throws(DataError) -> FlightBooking? {
        try query(
            "\(Self.bookingSelect) WHERE b.confirmation = ? AND b.customer_id = ?",
            [.text(confirmation), .text(customerID)], Self.decodeBooking
        ).first
    }

    /// A confirmation code no booking has yet: `BK`, a letter and three digits.
    func unusedBookingConfirmation() throws(DataError) -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
        for _ in 0..<100 {
            let code = "BK\(letters.randomElement()!)\(Int.random(in: 100...999))"
            let taken = try query("SELECT 1 FROM bookings WHERE confirmation = ?", [.text(code)]) { $0.integer() }
            if taken.isEmpty { return code }
        }
        throw DataError.constraint("no unused booking confirmation code was found")
    }

    // MARK: Hotels

    private static let hotelColumns = "h.id, h.name, h.city, h.address, h.change_fee_cents, h.currency"

    private static func decodeHotel(_ row: inout SQLiteRow) -> Hotel {
        let id = row.text(), name = row.text(), city = row.text(), address = row.text(), fee = row.integer()
        return Hotel(id: id, name: name, city: city, address: address, changeFee: Money(cents: fee, currency: row.text()))
    }

    func hotel(id: String) throws(DataError) -> Hotel? {
        try query("SELECT \(Self.hotelColumns) FROM hotels h WHERE h.id = ?", [.text(id)]) { row in
            Self.decodeHotel(&row)
        }.first
    }

    func rooms(hotelID: String) throws(DataError) -> [HotelRoom] {
        try query(
            """
            SELECT m.hotel_id, m.room_type, m.inventory, m.nightly_rate_cents, h.currency
            FROM hotel_rooms m JOIN hotels h ON h.id = m.hotel_id
            WHERE m.hotel_id = ? ORDER BY m.nightly_rate_cents, m.room_type
            """,
            [.text(hotelID)]
        ) { row in
            let hotelID = row.text(), roomType = row.text(), inventory = row.integer(), rate = row.integer()
            return HotelRoom(hotelID: hotelID, roomType: roomType, inventory: inventory,
                             nightlyRate: Money(cents: rate, currency: row.text()))
        }
    }

    private static let reservationSelect = """
        SELECT v.confirmation, v.customer_id, v.room_type, v.check_in, v.nights, v.status, m.nightly_rate_cents,
            \(hotelColumns)
        FROM reservations v
        JOIN hotels h ON h.id = v.hotel_id
        JOIN hotel_rooms m ON m.hotel_id = v.hotel_id AND m.room_type = v.room_type
        """

    private static func decodeReservation(_ row: inout SQLiteRow) throws(DataError) -> HotelReservation {
        let confirmation = row.text(), customerID = row.text(), roomType = row.text()
        let checkIn = try row.date()
        let nights = row.integer()
        let status = try row.value(ReservationStatus.self)
        let rate = row.integer()
        let hotel = decodeHotel(&row)
        return HotelReservation(confirmation: confirmation, customerID: customerID, hotel: hotel, roomType: roomType,
                                nightlyRate: Money(cents: rate, currency: hotel.changeFee.currency),
                                checkIn: checkIn, nights: nights, status: status)
    }

    func reservations(customerID: String) throws(DataError) -> [HotelReservation] {
        try query(
            "\(Self.reservationSelect) WHERE v.customer_id = ? ORDER BY v.check_in, v.confirmation",
            [.text(customerID)], Self.decodeReservation
        )
    }

    func reservation(confirmation: String, customerID: String) throws(DataError) -> HotelReservation? {
        try query(
            "\(Self.reservationSelect) WHERE v.confirmation = ? AND v.customer_id = ?",
            [.text(confirmation), .text(customerID)], Self.decodeReservation
        ).first
    }

    /// Rooms of the type free on the busiest night of the stay, not counting `excluding`.
    func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) throws(DataError) -> Int {
        let inventory = try query(
            "SELECT inventory FROM hotel_rooms WHERE hotel_id = ? AND room_type = ?", [.text(hotelID), .text(roomType)]
        ) { $0.integer() }
        guard let inventory = inventory.first else { return 0 }
        var free = inventory
        for offset in 0..<max(0, nights) {
            let night = checkIn.adding(days: offset).iso
            let taken = try query(
                """
                SELECT COUNT(*) FROM reservations
                WHERE hotel_id = ? AND room_type = ? AND status = 'confirmed'
                    AND check_in <= ? AND check_out > ? AND confirmation <> ?
                """,
                [.text(hotelID), .text(roomType), .text(night), .text(night), .text(excluding ?? "")]
            ) { $0.integer() }
            free = min(free, inventory - (taken.first ?? 0))
        }
        return max(0, free)
    }
}
