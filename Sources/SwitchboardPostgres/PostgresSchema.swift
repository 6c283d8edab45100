import PostgresNIO
import SwitchboardData

/// The PostgreSQL schema of the business data, its version, and the demo seed: the tables of
/// `SQLiteSchema` with PostgreSQL types (integer cents, `date` days, `boolean`, `text`).
enum PostgresSchema {
    /// The version this build writes and reads.
    static let version = 1

    /// The key of the transaction-level advisory lock that makes one replica at a time create
    /// the schema and seed it: `SWBTDATA` in ASCII.
    static let advisoryLockKey = 0x5357_4254_4441_5441

    /// Creates every table. `schema_version` is written last, in the same transaction as the
    /// seed, so it is the marker that the database was created and seeded.
    static let statements: [PostgresQuery] = [
        """
        CREATE TABLE schema_version (
            version integer NOT NULL,
            seeded_on date NOT NULL
        )
        """,
        """
        CREATE TABLE customers (
            id text PRIMARY KEY,
            name text NOT NULL,
            email text,
            phone text
        )
        """,
        """
        CREATE TABLE flights (
            number text NOT NULL,
            date date NOT NULL,
            origin text NOT NULL,
            destination text NOT NULL,
            departure_time text NOT NULL,
            arrival_time text NOT NULL,
            gate text NOT NULL,
            status text NOT NULL CHECK (status IN ('on time', 'delayed', 'cancelled')),
            delay_minutes integer NOT NULL DEFAULT 0 CHECK (delay_minutes >= 0),
            seats_total integer NOT NULL CHECK (seats_total >= 0),
            seats_available integer NOT NULL CHECK (seats_available BETWEEN 0 AND seats_total),
            base_fare_cents integer NOT NULL CHECK (base_fare_cents >= 0),
            currency text NOT NULL,
            PRIMARY KEY (number, date)
        )
        """,
        """
        CREATE TABLE fare_rules (
            fare_class text PRIMARY KEY,
            name text NOT NULL,
            fare_percent integer NOT NULL CHECK (fare_percent > 0),
            change_fee_cents integer NOT NULL CHECK (change_fee_cents >= 0),
            changeable boolean NOT NULL
        )
        """,
        """
        CREATE TABLE bookings (
            confirmation text PRIMARY KEY,
            customer_id text NOT NULL REFERENCES customers(id),
            flight_number text NOT NULL,
            flight_date date NOT NULL,
            fare_class text NOT NULL REFERENCES fare_rules(fare_class),
            fare_paid_cents integer NOT NULL CHECK (fare_paid_cents >= 0),
            seat text,
            status text NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            replaced_by text REFERENCES bookings(confirmation),
            FOREIGN KEY (flight_number, flight_date) REFERENCES flights(number, date)
        )
        """,
        "CREATE INDEX bookings_by_customer ON bookings (customer_id, flight_date)",
        """
        CREATE TABLE hotels (
            id text PRIMARY KEY,
            name text NOT NULL,
            city text NOT NULL,
            address text NOT NULL,
            change_fee_cents integer NOT NULL CHECK (change_fee_cents >= 0),
            currency text NOT NULL
        )
        """,
        """
        CREATE TABLE hotel_rooms (
            hotel_id text NOT NULL REFERENCES hotels(id),
            room_type text NOT NULL,
            inventory integer NOT NULL CHECK (inventory >= 0),
            nightly_rate_cents integer NOT NULL CHECK (nightly_rate_cents >= 0),
            PRIMARY KEY (hotel_id, room_type)
        )
        """,
        """
        CREATE TABLE reservations (
            confirmation text PRIMARY KEY,
            customer_id text NOT NULL REFERENCES customers(id),
            hotel_id text NOT NULL,
            room_type text NOT NULL,
            check_in date NOT NULL,
            check_out date NOT NULL CHECK (check_out > check_in),
            nights integer NOT NULL CHECK (nights BETWEEN 1 AND 30),
            status text NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
            FOREIGN KEY (hotel_id, room_type) REFERENCES hotel_rooms(hotel_id, room_type)
        )
        """,
        "CREATE INDEX reservations_by_customer ON reservations (customer_id, check_in)",
        "CREATE INDEX reservations_by_room ON reservations (hotel_id, room_type, check_in)",
    ]

    /// The stored schema version, or `nil` for a database without the schema.
    static func storedVersion(_ connection: BusinessConnection) async throws -> Int? {
        let exists = try await connection.rows("SELECT to_regclass('schema_version') IS NOT NULL") { (row) throws(DataError) -> Bool in
            try row.next()
        }
        guard exists.first == true else { return nil }
        let versions = try await connection.rows("SELECT version FROM schema_version") { (row) throws(DataError) -> Int in
            try row.next()
        }
        guard let version = versions.first else { throw DataError.corrupt("the schema_version table is empty") }
        return version
    }

    /// Creates the schema and the demo data (relative to `today`) when the database has none;
    /// checks the version when it has. One transaction under an advisory lock, so replicas
    /// starting together seed once: the first creates and seeds, the others wait for its commit
    /// and find the schema. Returns whether it seeded.
    static func prepare(_ connection: BusinessConnection, today: CalendarDate) async throws -> Bool {
        try await connection.transaction { () async throws -> Bool in
            try await connection.execute("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
            if let version = try await storedVersion(connection) {
                guard version == Self.version else {
                    throw DataError.corrupt("the database has schema version \(version); this build reads version \(Self.version)")
                }
                return false
            }
            for statement in statements { try await connection.execute(statement) }
            try await seed(connection, with: DemoData(today: today))
            try await connection.execute(
                "INSERT INTO schema_version (version, seeded_on) VALUES (\(Self.version), \(PostgresDay(today)))"
            )
            return true
        }
    }

    private static func seed(_ connection: BusinessConnection, with demo: DemoData) async throws {
        for customer in demo.customers {
            try await connection.execute(
                "INSERT INTO customers (id, name, email, phone) VALUES (\(customer.id), \(customer.name), \(customer.email), \(customer.phone))"
            )
        }
        for rule in demo.fareRules {
            try await connection.execute(
                """
                INSERT INTO fare_rules (fare_class, name, fare_percent, change_fee_cents, changeable)
                VALUES (\(rule.fareClass), \(rule.name), \(rule.farePercent), \(rule.changeFee.cents), \(rule.isChangeable))
                """
            )
        }
        for flight in demo.flights {
            try await connection.execute(
                """
                INSERT INTO flights (number, date, origin, destination, departure_time, arrival_time, gate, status,
                    delay_minutes, seats_total, seats_available, base_fare_cents, currency)
                VALUES (\(flight.number), \(PostgresDay(flight.date)), \(flight.origin), \(flight.destination),
                    \(flight.departureTime), \(flight.arrivalTime), \(flight.gate), \(flight.status.rawValue),
                    \(flight.delayMinutes), \(flight.seatsTotal), \(flight.seatsAvailable), \(flight.baseFare.cents),
                    \(flight.baseFare.currency))
                """
            )
        }
        for booking in demo.bookings {
            try await connection.execute(
                """
                INSERT INTO bookings (confirmation, customer_id, flight_number, flight_date, fare_class, fare_paid_cents, seat, status)
                VALUES (\(booking.confirmation), \(booking.customerID), \(booking.flight.number), \(PostgresDay(booking.flight.date)),
                    \(booking.fareRule.fareClass), \(booking.farePaid.cents), \(booking.seat), \(booking.status.rawValue))
                """
            )
        }
        for hotel in demo.hotels {
            try await connection.execute(
                """
                INSERT INTO hotels (id, name, city, address, change_fee_cents, currency)
                VALUES (\(hotel.id), \(hotel.name), \(hotel.city), \(hotel.address), \(hotel.changeFee.cents), \(hotel.changeFee.currency))
                """
            )
        }
        for room in demo.rooms {
            try await connection.execute(
                """
                INSERT INTO hotel_rooms (hotel_id, room_type, inventory, nightly_rate_cents)
                VALUES (\(room.hotelID), \(room.roomType), \(room.inventory), \(room.nightlyRate.cents))
                """
            )
        }
        for reservation in demo.reservations {
            try await connection.execute(
                """
                INSERT INTO reservations (confirmation, customer_id, hotel_id, room_type, check_in, check_out, nights, status)
                VALUES (\(reservation.confirmation), \(reservation.customerID), \(reservation.hotel.id), \(reservation.roomType),
                    \(PostgresDay(reservation.checkIn)), \(PostgresDay(reservation.checkOut)), \(reservation.nights),
                    \(reservation.status.rawValue))
                """
            )
        }
    }
}
