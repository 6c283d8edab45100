import PostgresNIO
import SwitchboardData

/// A `CalendarDate` on the wire as a PostgreSQL `date`: a 32-bit count of days since 2000-01-01
/// in the binary format, so that a day is bound and read as a day, never as text or a timestamp.
struct PostgresDay: Sendable, Hashable, PostgresNonThrowingEncodable, PostgresDecodable {
    /// 2000-01-01, PostgreSQL's day zero, as days since 1970-01-01.
    static let postgresEpoch = 10_957

    var date: CalendarDate

    init(_ date: CalendarDate) {
        self.date = date
    }

    static var psqlType: PostgresDataType { .date }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let days = date.daysSinceEpoch - Self.postgresEpoch
        byteBuffer.writeInteger(Int32(clamping: days))
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        switch (format, type) {
        case (.binary, .date):
            guard buffer.readableBytes == 4, let days = buffer.readInteger(as: Int32.self) else {
                throw PostgresDecodingError.Code.failure
            }
            // ±infinity are stored as Int32.min and Int32.max: no day of the demo business.
            guard days != .min, days != .max else { throw PostgresDecodingError.Code.failure }
            self.init(CalendarDate(daysSinceEpoch: Int(days) + Self.postgresEpoch))
        case (.text, .date):
            guard let text = buffer.readString(length: buffer.readableBytes), let date = CalendarDate(iso: text) else {
                throw PostgresDecodingError.Code.failure
            }
            self.init(date)
        default:
            throw PostgresDecodingError.Code.typeMismatch
        }
    }
}
