import Foundation
import NIOPosix

/// The business data in an SQLite file: the embedded default, seeded with `DemoData` on first
/// start. Blocking SQLite calls run on `NIOThreadPool.singleton`, one connection at a time.
public final class SQLiteBusinessData: BusinessData {
    /// The file.
    public let path: String
    /// Whether `open` created and seeded the file (false when it kept existing data).
    public let wasSeeded: Bool
    private let connection: SQLiteConnection

    public var sourceName: String { "sqlite" }

    private init(path: String, connection: SQLiteConnection, wasSeeded: Bool) {
        self.path = path
        self.connection = connection
        self.wasSeeded = wasSeeded
    }

    /// Opens the database at `path`, creating the file and its parent directory, the schema and
    /// the demo data (relative to `today`) when it does not exist yet; an existing database keeps
    /// its data. Throws `DataError`: `unavailable` when the file cannot be opened or created,
    /// `corrupt` when it is not a database of this program.
    public static func open(path: String, today: Date = Date()) async throws -> SQLiteBusinessData {
        let day = CalendarDate(today)
        return try await onThreadPool { () throws(DataError) -> SQLiteBusinessData in
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw DataError.unavailable("cannot create the directory \(directory): \(error.localizedDescription)")
            }
            let connection = try SQLiteConnection(path: path)
            do throws(DataError) {
                let seeded = try connection.withDatabase { (database) throws(DataError) in
                    try SQLiteSchema.prepare(database, today: day)
                }
                return SQLiteBusinessData(path: path, connection: connection, wasSeeded: seeded)
            } catch {
                connection.close()
                throw error
            }
        }
    }

    /// Closes the database; every later query throws `DataError.unavailable`.
    public func close() async {
        let connection = self.connection
        do {
            try await Self.onThreadPool { () throws(DataError) in connection.close() }
        } catch {
            // The pool is gone or the task cancelled: close here rather than leave it open.
            connection.close()
        }
    }

    /// Runs `body` with the open database on the thread pool.
    func withDatabase<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws(DataError) -> T) async throws -> T {
        let connection = self.connection
        return try await Self.onThreadPool { () throws(DataError) -> T in
            try connection.withDatabase(body)
        }
    }

    /// Runs blocking work on the NIO thread pool; failures other than `DataError` and
    /// cancellation become `DataError.unavailable`.
    private static func onThreadPool<T: Sendable>(_ body: @escaping @Sendable () throws(DataError) -> T) async throws -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try body() }
        } catch let error as DataError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw DataError.unavailable("the database thread pool failed: \(error)")
        }
    }

    // MARK: BusinessData

    public func customer(id: String) async throws -> CustomerRecord? {
        try await withDatabase { (database) throws(DataError) in try database.customer(id: id) }
    }

    public func customer(phone: String) async throws -> CustomerRecord? {
        guard let number = PhoneNumber.e164(phone) else { return nil }
        return try await withDatabase { (database) throws(DataError) in try database.customer(phone: number) }
    }

    public func bookings(customerID: String) async throws -> [FlightBooking] {
        try await withDatabase { (database) throws(DataError) in try database.bookings(customerID: customerID) }
    }

    public func booking(confirmation: String, customerID: String) async throws -> FlightBooking? {
        try await withDatabase { (database) throws(DataError) in
            try database.booking(confirmation: confirmation, customerID: customerID)
        }
    }

    public func flight(number: String, date: CalendarDate) async throws -> Flight? {
        try await withDatabase { (database) throws(DataError) in try database.flight(number: number, date: date) }
    }

    public func nextDeparture(number: String, onOrAfter date: CalendarDate) async throws -> Flight? {
        try await withDatabase { (database) throws(DataError) in try database.nextDeparture(number: number, onOrAfter: date) }
    }

    public func reservations(customerID: String) async throws -> [HotelReservation] {
        try await withDatabase { (database) throws(DataError) in try database.reservations(customerID: customerID) }
    }

    public func reservation(confirmation: String, customerID: String) async throws -> HotelReservation? {
        try await withDatabase { (database) throws(DataError) in
            try database.reservation(confirmation: confirmation, customerID: customerID)
        }
    }

    public func hotel(id: String) async throws -> Hotel? {
        try await withDatabase { (database) throws(DataError) in try database.hotel(id: id) }
    }

    public func rooms(hotelID: String) async throws -> [HotelRoom] {
        try await withDatabase { (database) throws(DataError) in try database.rooms(hotelID: hotelID) }
    }

    public func roomsAvailable(hotelID: String, roomType: String, checkIn: CalendarDate, nights: Int, excluding: String?) async throws -> Int {
        try await withDatabase { (database) throws(DataError) in
            try database.roomsAvailable(hotelID: hotelID, roomType: roomType, checkIn: checkIn, nights: nights, excluding: excluding)
        }
    }
}

extension DataLocation {
    /// Opens the business data at this location (see `SQLiteBusinessData.open`). A `.postgres`
    /// location throws `DataError.unavailable`: it is opened by the server with
    /// `PostgresBusinessData.connect(url:)`, which this module cannot depend on.
    public func open(today: Date = Date()) async throws -> any BusinessData {
        switch self {
        case .sqlite(let path): try await SQLiteBusinessData.open(path: path, today: today)
        case .postgres: throw DataError.unavailable("\(self) is opened with PostgresBusinessData.connect(url:), not DataLocation.open")
        }
    }
}
