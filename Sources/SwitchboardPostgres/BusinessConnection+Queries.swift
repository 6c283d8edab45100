import PostgresNIO
import SwitchboardData

/// The typed queries, on a leased connection, so that reads and the change transactions share
/// them. They answer as `SQLiteDatabase`'s do; `locking` variants add `FOR UPDATE` for the
/// change transactions.
extension BusinessConnection {
    func customer(id: String) async throws -> CustomerRecord? {
        try await rows("SELECT id, name, email, phone FROM customers WHERE id = \(id)") { (row) throws(DataError) in
            CustomerRecord(id: try row.next(), name: try row.next(), email: try row.next(), phone: try row.next())
        }.first
    }

    /// The customer with this E.164 number (the stored number's punctuation ignored).
    func customer(phone: String) async throws -> CustomerRecord? {
        try await rows("""
            SELECT id, name, email, phone FROM customers
            WHERE replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '.', ''), '(', ''), ')', '') = \(phone)
            ORDER BY id LIMIT 1
            """) { (row) throws(DataError) in
            CustomerRecord(id: try row.next(), name: try row.next(), email: try row.next(), phone: try row.next())
        }.first
    }

    // MARK: Flights

    private static let flightColumns = """
        f.number, f.date, f.origin, f.destination, f.departure_time, f.arrival_time, f.gate, f.status,
        f.delay_minutes, f.seats_total, f.seats_available, f.base_fare_cents, f.currency
        """

    private static func decodeFlight(_ row: inout PostgresRowReader) throws(DataError) -> Flight {
        let number: String = try row.next()
        let date = try row.day()
        let origin: String = try row.next(), destination: String = try row.next()
        let departs: String = try row.next(), arrives: String = try row.next(), gate: String = try row.next()
        let status = try row.value(FlightStatus.self)
        let delay: Int = try row.next(), seatsTotal: Int = try row.next(), seatsAvailable: Int = try row.next()
        let fare: Int = try row.next()
        return Flight(number: number, date: date, origin: origin, destination: destination, departureTime: departs,
                      arrivalTime: arrives, gate: gate, status: status, delayMinutes: delay, seatsTotal: seatsTotal,
                      seatsAvailable: seatsAvailable, baseFare: Money(cents: fare, currency: try row.next()))
    }

    func flight(number: String, date: CalendarDate) async throws -> Flight? {
        try await rows(
            "SELECT \(unescaped: Self.flightColumns) FROM flights f WHERE f.number = \(number) AND f.date = \(PostgresDay(date))",
            Self.decodeFlight
        ).first
    }

    func nextDeparture(number: String, onOrAfter date: CalendarDate) async throws -> Flight? {
        try await rows(
            """
            SELECT \(unescaped: Self.flightColumns) FROM flights f
            WHERE f.number = \(number) AND f.date >= \(PostgresDay(date)) ORDER BY f.date LIMIT 1
            """,
            Self.decodeFlight
        ).first
    }

    /// Locks the departures of flight `number` on `dates`, in date order, so that two changes
    /// between the same departures always lock them in the same order and never deadlock.
    func lockFlights(number: String, dates: [CalendarDate]) async throws {
        let days = Set(dates).sorted()
        guard let first = days.first else { return }
        let last = days.last ?? first
        try await execute(
            """
            SELECT 1 FROM flights
            WHERE number = \(number) AND (date = \(PostgresDay(first)) OR date = \(PostgresDay(last)))
            ORDER BY date FOR UPDATE
            """
        )
    }

    private static let bookingSelect = """
        SELECT b.confirmation, b.customer_id, b.fare_paid_cents, b.seat, b.status, b.replaced_by,
            r.fare_class, r.name, r.fare_percent, r.change_fee_cents, r.changeable, \(flightColumns)
        FROM bookings b
        JOIN flights f ON f.number = b.flight_number AND f.date = b.flight_date
        JOIN fare_rules r ON r.fare_class = b.fare_class
        """

    private static func decodeBooking(_ row: inout PostgresRowReader) throws(DataError) -> FlightBooking {
        let confirmation: String = try row.next(), customerID: String = try row.next(), farePaid: Int = try row.next()
        let seat: String? = try row.next()
        let status = try row.value(BookingStatus.self)
        let replacedBy: String? = try row.next()
        let fareClass: String = try row.next(), fareName: String = try row.next(), farePercent: Int = try row.next()
        let changeFee: Int = try row.next(), changeable: Bool = try row.next()
        let flight = try decodeFlight(&row)
        let currency = flight.baseFare.currency
        let rule = FareRule(fareClass: fareClass, name: fareName, farePercent: farePercent,
                            changeFee: Money(cents: changeFee, currency: currency), isChangeable: changeable)
        return FlightBooking(confirmation: confirmation, customerID: customerID, flight: flight, fareRule: rule,
                             farePaid: Money(cents: farePaid, currency: currency), seat: seat, status: status,
                             replacedBy: replacedBy)
    }

    func bookings(customerID: String) async throws -> [FlightBooking] {
        try await rows(
            "\(unescaped: Self.bookingSelect) WHERE b.customer_id = \(customerID) ORDER BY f.date, f.departure_time, b.confirmation",
            Self.decodeBooking
        )
    }

    /// The customer's booking; with `locking`, its row stays locked until the transaction ends,
    /// and a booking another transaction changed meanwhile is read as that one left it.
    func booking(confirmation: String, customerID: String, locking: Bool = false) async throws -> FlightBooking? {
        try await rows(
            """
            \(unescaped: Self.bookingSelect) WHERE b.confirmation = \(confirmation) AND b.customer_id = \(customerID)
            \(unescaped: locking ? "FOR UPDATE OF b" : "")
            """,
            Self.decodeBooking
        ).first
    }

    /// Inserts a booking under a confirmation code no booking has yet (`BK`, a letter, three
    /// digits) and returns the code. A code taken meanwhile by another transaction is skipped.
    func insertBooking(
        customerID: String, flight: Flight, fareClass: String, farePaidCents: Int, seat: String?
    ) async throws -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
        for _ in 0..<100 {
            let code = "BK\(letters.randomElement()!)\(Int.random(in: 100...999))"
            let inserted = try await rows(
                """
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES (\(code), \(customerID), \(flight.number), \(PostgresDay(flight.date)), \(fareClass), \(farePaidCents),
                    \(seat), 'confirmed')
                ON CONFLICT (confirmation) DO NOTHING
                RETURNING confirmation
                """
            ) { (row) throws(DataError) -> String in try row.next() }
            if !inserted.isEmpty { return code }
        }
        throw DataError.constraint("no unused booking confirmation code was found")
    }

    // MARK: Hotels

    private static let hotelColumns = "h.id, h.name, h.city, h.address, h.change_fee_cents, h.currency"

    private static func decodeHotel(_ row: inout PostgresRowReader) throws(DataError) -> Hotel {
        let id: String = try row.next(), name: String = try row.next(), city: String = try row.next()
        let address: String = try row.next(), fee: Int = try row.next()
        return Hotel(id: id, name: name, city: city, address: address, changeFee: Money(cents: fee, currency: try row.next()))
    }

    func hotel(id: String) async throws -> Hotel? {
        try await rows("SELECT \(unescaped: Self.hotelColumns) FROM hotels h WHERE h.id = \(id)", Self.decodeHotel).first
    }

    func rooms(hotelID: String) async throws -> [HotelRoom] {
        try await rows(
            """
            SELECT m.hotel_id, m.room_type, m.inventory, m.nightly_rate_cents, h.currency
            FROM hotel_rooms m JOIN hotels h ON h.id = m.hotel_id
            WHERE m.hotel_id = \(hotelID) ORDER BY m.nightly_rate_cents, m.room_type
            """
        ) { (row) throws(DataError) in
            let hotelID: String = try row.next(), roomType: String = try row.next()
            let inventory: Int = try row.next(), rate: Int = try row.next()
            return HotelRoom(hotelID: hotelID, roomType: roomType, inventory: inventory,
                             nightlyRate: Money(cents: rate, currency: try row.next()))
        }
    }

    /// Locks the room type's row, so that changes into the same rooms count them one at a time.
    func lockRoom(hotelID: String, roomType: String) async throws {
        try await execute("SELECT 1 FROM hotel_rooms WHERE hotel_id = \(hotelID) AND room_type = \(roomType) FOR UPDATE")
    }

    private static let reservationSelect = """
        SELECT v.confirmation, v.customer_id, v.room_type, v.check_in, v.nights, v.status, m.nightly_rate_cents,
            \(hotelColumns)
        FROM reservations v
        JOIN hotels h ON h.id = v.hotel_id
        JOIN hotel_rooms m ON m.hotel_id = v.hotel_id AND m.room_type = v.room_type
        """

    private static func decodeReservation(_ row: inout PostgresRowReader) throws(DataError) -> HotelReservation {
        let confirmation: String = try row.next(), customerID: String = try row.next(), roomType: String = try row.next()
        let checkIn = try row.day()
        let nights: Int = try row.next()
        let status = try row.value(ReservationStatus.self)
        let rate: Int = try row.next()
        let hotel = try decodeHotel(&row)
        return HotelReservation(confirmation: confirmation, customerID: customerID, hotel: hotel, roomType: roomType,
                                nightlyRate: Money(cents: rate, currency: hotel.changeFee.currency),
                                checkIn: checkIn, nights: nights, status: status)
    }

    func reservations(customerID: String) async throws -> [HotelReservation] {
        try await rows(
            "\(unescaped: Self.reservationSelect) WHERE v.customer_id = \(customerID) ORDER BY v.check_in, v.confirmation",
            Self.decodeReservation
        )
    }

    /// The customer's reservation; with `locking`, its row stays locked until the transaction ends.
    func reservation(confirmation: String, customerID: String, locking: Bool = false) async throws -> HotelReservation? {
        try await rows(
            """
            \(unescaped: Self.reservationSelect) WHERE v.confirmation = \(confirmation) AND v.customer_id = \(customerID)
            \(unescaped: locking ? "FOR UPDATE OF v" : "")
            """,
            Self.decodeReservation
        ).first
    }

    /// Rooms of the type free on the busiest night of the stay, not counting `excluding`; 0 for
    /// a room type the hotel does not have.
    func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) async throws -> Int {
        let day = PostgresDay(checkIn)
        let free = try await rows(
            """
            SELECT m.inventory - COALESCE((
                SELECT MAX(t.taken) FROM (
                    SELECT COUNT(v.confirmation) AS taken
                    FROM generate_series(0, \(nights)::integer - 1) AS n(night)
                    LEFT JOIN reservations v
                        ON v.hotel_id = \(hotelID) AND v.room_type = \(roomType) AND v.status = 'confirmed'
                        AND v.check_in <= \(day) + n.night AND v.check_out > \(day) + n.night
                        AND v.confirmation <> \(excluding ?? "")
                    GROUP BY n.night
                ) t
            ), 0)
            FROM hotel_rooms m WHERE m.hotel_id = \(hotelID) AND m.room_type = \(roomType)
            """
        ) { (row) throws(DataError) -> Int in try row.next() }
        return max(0, free.first ?? 0)
    }
}
