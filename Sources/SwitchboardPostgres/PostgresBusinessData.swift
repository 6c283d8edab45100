import Foundation
import Logging
import PostgresNIO
import SwitchboardData

/// The business data in a PostgreSQL database that every replica shares, behind the same
/// `BusinessData` protocol as SQLite. A `PostgresClient` pool, run by a task this object owns,
/// lends a connection to each operation; `shutdown()` stops it.
///
/// Open one with `connect(url:)` (the server does so for a `DataLocation.postgres`): the first
/// start creates the schema and the demo data in one transaction, later starts — on any replica,
/// even at the same moment — keep the data. Failures are `DataError`s: `unavailable` when no
/// connection is had within `Options.connectionTimeout` or the server fails, `constraint` when
/// a write breaks a rule of the schema, `corrupt` when the database is not what this program
/// wrote.
public final class PostgresBusinessData: BusinessData {
    /// How the pool connects.
    public struct Options: Sendable {
        /// How long an operation waits for a connection (when the server is down, for example)
        /// before it fails with `DataError.unavailable`.
        public var connectionTimeout: Duration
        /// The most connections this replica opens.
        public var maximumConnections: Int

        public init(connectionTimeout: Duration = .seconds(5), maximumConnections: Int = 10) {
            self.connectionTimeout = connectionTimeout
            self.maximumConnections = maximumConnections
        }
    }

    /// `host:port/database`, for messages (never the password).
    public var endpoint: String { pool.endpoint }
    /// Whether `connect` created the schema and seeded it (false when it kept existing data).
    public let wasSeeded: Bool
    private let pool: BusinessConnectionPool

    public var sourceName: String { "postgres" }

    private init(pool: BusinessConnectionPool, wasSeeded: Bool) {
        self.pool = pool
        self.wasSeeded = wasSeeded
    }

    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`, with an
    /// optional `?sslmode=`), creating the schema and the demo data (relative to `today`) when
    /// the database has none. Throws `DataError`: `unavailable` for a bad URL or a server that
    /// cannot be reached, `corrupt` for a database with another schema or version.
    public static func connect(
        url: String, today: Date = Date(), options: Options = Options(), logger: Logger
    ) async throws -> PostgresBusinessData {
        let location = try PostgresURL(parsing: url)
        var logger = logger
        logger[metadataKey: "data.endpoint"] = "\(location.endpoint)"
        let pool = BusinessConnectionPool.start(location: location, options: options, logger: logger)
        do {
            let seeded = try await pool.withConnection { (connection) in
                try await PostgresSchema.prepare(connection, today: CalendarDate(today))
            }
            logger.info("business data ready", metadata: ["data.seeded": "\(seeded)"])
            return PostgresBusinessData(pool: pool, wasSeeded: seeded)
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    /// Closes every connection and stops the pool; later operations throw `DataError.unavailable`.
    public func shutdown() async {
        await pool.shutdown()
    }

    /// Runs `body` with a connection from the pool (see `BusinessConnectionPool.withConnection`).
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (BusinessConnection) async throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    // MARK: BusinessData

    public func customer(id: String) async throws -> CustomerRecord? {
        try await withConnection { try await $0.customer(id: id) }
    }

    public func customer(phone: String) async throws -> CustomerRecord? {
        guard let number = PhoneNumber.e164(phone) else { return nil }
        return try await withConnection { try await $0.customer(phone: number) }
    }

    public func bookings(customerID: String) async throws -> [FlightBooking] {
        try await withConnection { try await $0.bookings(customerID: customerID) }
    }

    public func booking(confirmation: String, customerID: String) async throws -> FlightBooking? {
        try await withConnection { try await $0.booking(confirmation: confirmation, customerID: customerID) }
    }

    public func flight(number: String, date: CalendarDate) async throws -> Flight? {
        try await withConnection { try await $0.flight(number: number, date: date) }
    }

    public func nextDeparture(number: String, onOrAfter date: CalendarDate) async throws -> Flight? {
        try await withConnection { try await $0.nextDeparture(number: number, onOrAfter: date) }
    }

    public func reservations(customerID: String) async throws -> [HotelReservation] {
        try await withConnection { try await $0.reservations(customerID: customerID) }
    }

    public func reservation(confirmation: String, customerID: String) async throws -> HotelReservation? {
        try await withConnection { try await $0.reservation(confirmation: confirmation, customerID: customerID) }
    }

    public func hotel(id: String) async throws -> Hotel? {
        try await withConnection { try await $0.hotel(id: id) }
    }

    public func rooms(hotelID: String) async throws -> [HotelRoom] {
        try await withConnection { try await $0.rooms(hotelID: hotelID) }
    }

    public func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) async throws -> Int {
        try await withConnection {
            try await $0.roomsAvailable(hotelID: hotelID, roomType: roomType, checkIn: checkIn, nights: nights, excluding: excluding)
        }
    }
}
