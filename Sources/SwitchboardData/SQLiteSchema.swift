/// The SQLite schema of the business data and its version.
enum SQLiteSchema {
    /// The version this build writes and reads.
    static let version = 1

    /// Creates every table. Amounts are integer cents; days are `yyyy-MM-dd` text, which sorts
    /// and compares as dates.
    static let statements = [
        """
        CREATE TABLE schema_version (
            version INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT,
            phone TEXT
        )
        """,
        """
        CREATE TABLE flights (
            number TEXT NOT NULL,
            date TEXT NOT NULL,
            origin TEXT NOT NULL,
            destination TEXT NOT NULL,
            departure_time TEXT NOT NULL,
            arrival_time TEXT NOT NULL,
            gate TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('on time', 'delayed', 'cancelled')),
            delay_minutes INTEGER NOT NULL DEFAULT 0 CHECK (delay_minutes >= 0),
            seats_total INTEGER NOT NULL CHECK (seats_total >= 0),
            seats_available INTEGER NOT NULL CHECK (seats_available BETWEEN 0 AND seats_total),
            base_fare_cents INTEGER NOT NULL CHECK (base_fare_cents >= 0),
            currency TEXT NOT NULL,
            PRIMARY KEY (number, date)
        )
        """,
        """
        CREATE TABLE fare_rules (
            fare_class TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            fare_percent INTEGER NOT NULL CHECK (fare_percent > 0),
            change_fee_cents INTEGER NOT NULL CHECK (change_fee_cents >= 0),
            changeable INTEGER NOT NULL CHECK (changeable IN (0, 1))
        )
        """,
        """
        CREATE TABLE bookings (
            confirmation TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            flight_number TEXT NOT NULL,
            flight_date TEXT NOT NULL,
            fare_class TEXT NOT NULL REFERENCES fare_rules(fare_class),
            fare_paid_cents INTEGER NOT NULL CHECK (fare_paid_cents >= 0),
            seat TEXT,
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            replaced_by TEXT REFERENCES bookings(confirmation),
            FOREIGN KEY (flight_number, flight_date) REFERENCES flights(number, date)
        )
        """,
        "CREATE INDEX bookings_by_customer ON bookings(customer_id, flight_date)",
        """
        CREATE TABLE hotels (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            city TEXT NOT NULL,
            address TEXT NOT NULL,
            change_fee_cents INTEGER NOT NULL CHECK (change_fee_cents >= 0),
            currency TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE hotel_rooms (
            hotel_id TEXT NOT NULL REFERENCES hotels(id),
            room_type TEXT NOT NULL,
            inventory INTEGER NOT NULL CHECK (inventory >= 0),
            nightly_rate_cents INTEGER NOT NULL CHECK (nightly_rate_cents >= 0),
            PRIMARY KEY (hotel_id, room_type)
        )
        """,
        """
        CREATE TABLE reservations (
            confirmation TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            hotel_id TEXT NOT NULL,
            room_type TEXT NOT NULL,
            check_in TEXT NOT NULL,
            check_out TEXT NOT NULL CHECK (check_out > check_in),
            nights INTEGER NOT NULL CHECK (nights BETWEEN 1 AND 30),
            status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            FOREIGN KEY (hotel_id, room_type) REFERENCES hotel_rooms(hotel_id, room_type)
        )
        """,
        "CREATE INDEX reservations_by_customer ON reservations(customer_id, check_in)",
        "CREATE INDEX reservations_by_room ON reservations(hotel_id, room_type, check_in)",
    ]

    /// The stored schema version, or `nil` for a new, empty database.
    static func storedVersion(_ database: SQLiteDatabase) throws(DataError) -> Int? {
        let tables = try database.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [.text("schema_version")]
        ) { $0.text() }
        guard !tables.isEmpty else { return nil }
        let versions = try database.query("SELECT version FROM schema_version") { $0.integer() }
        guard let version = versions.first else { throw DataError.corrupt("the schema_version table is empty") }
        return version
    }

    /// Creates the schema and the demo data when the database is new; checks the version when not.
    /// Returns whether it seeded.
    @discardableResult
    static func prepare(_ database: SQLiteDatabase, today: CalendarDate) throws(DataError) -> Bool {
        try database.transaction { () throws(DataError) -> Bool in
            if let version = try storedVersion(database) {
                guard version == Self.version else {
                    throw DataError.corrupt("the database has schema version \(version); this build reads version \(Self.version)")
                }
                return false
            }
            for statement in statements { try database.execute(statement) }
            try database.run("INSERT INTO schema_version (version) VALUES (?)", [.integer(Self.version)])
            try seed(database, with: DemoData(today: today))
            return true
        }
    }

    private static func seed(_ database: SQLiteDatabase, with demo: DemoData) throws(DataError) {
        for customer in demo.customers {
            try database.run(
                "INSERT INTO customers (id, name, email, phone) VALUES (?, ?, ?, ?)",
                [.text(customer.id), .text(customer.name), .optional(customer.email), .optional(customer.phone)]
            )
        }
        for rule in demo.fareRules {
            try database.run(
                "INSERT INTO fare_rules (fare_class, name, fare_percent, change_fee_cents, changeable) VALUES (?, ?, ?, ?, ?)",
                [.text(rule.fareClass), .text(rule.name), .integer(rule.farePercent), .integer(rule.changeFee.cents),
                 .integer(rule.isChangeable ? 1 : 0)]
            )
        }
        for flight in demo.flights {
            try database.run(
                """
                INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status,
                    delay_minutes, seats_total, seats_available, base_fare_cents, currency)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(flight.number), .text(flight.date.iso), .text(flight.origin), .text(flight.destination),
                 .text(flight.departureTime), .text(flight.arrivalTime), .text(flight.gate), .text(flight.status.rawValue),
                 .integer(flight.delayMinutes), .integer(flight.seatsTotal), .integer(flight.seatsAvailable),
                 .integer(flight.baseFare.cents), .text(flight.baseFare.currency)]
            )
        }
        for booking in demo.bookings {
            try database.run(
                """
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(booking.confirmation), .text(booking.customerID), .text(booking.flight.number),
                 .text(booking.flight.date.iso), .text(booking.fareRule.fareClass), .integer(booking.farePaid.cents),
                 .optional(booking.seat), .text(booking.status.rawValue)]
            )
        }
        for hotel in demo.hotels {
            try database.run(
                "INSERT INTO hotels (id, name, city, address, change_fee_cents, currency) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(hotel.id), .text(hotel.name), .text(hotel.city), .text(hotel.address),
                 .integer(hotel.changeFee.cents), .text(hotel.changeFee.currency)]
            )
        }
        for room in demo.rooms {
            try database.run(
                "INSERT INTO hotel_rooms (hotel_id, room_type, inventory, nightly_rate_cents) VALUES (?, ?, ?, ?)",
                [.text(room.hotelID), .text(room.roomType), .integer(room.inventory), .integer(room.nightlyRate.cents)]
            )
        }
        for reservation in demo.reservations {
            try database.run(
                """
                INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(reservation.confirmation), .text(reservation.customerID), .text(reservation.hotel.id),
                 .text(reservation.roomType), .text(reservation.checkIn.iso), .text(reservation.checkOut.iso),
                 .integer(reservation.nights), .text(reservation.status.rawValue)]
            )
        }
    }
}
