import PostgresNIO
import SwitchboardData

/// `SQLValue`s on the wire: how a pack statement's parameters are bound and how its result
/// cells are read. postgres-nio asks for every result column in the binary format, so each
/// type is read from its binary form.
enum PostgresPackValues {
    /// The query for `statement` with `parameters`: `$n` placeholders, integers bound as
    /// `int8`, reals as `float8`, texts as `text`. A `NULL` is written as the keyword `NULL`
    /// in the parameter's place (a constant, never a caller's value), so that PostgreSQL types
    /// it from its context as it would an untyped parameter — and, unlike an untyped
    /// parameter, also where its first use gives no type: `(:day IS NULL OR day = :day)`.
    static func query(_ statement: NamedStatement, _ parameters: [String: SQLValue]) -> PostgresQuery {
        let values = statement.bindings(parameters)
        var bindings = PostgresBindings(capacity: values.count)
        var placeholders: [String] = []
        placeholders.reserveCapacity(values.count)
        for value in values {
            switch value {
            case .null:
                placeholders.append("NULL")
                continue
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            }
            placeholders.append("$\(bindings.count)")
        }
        return PostgresQuery(unsafeSQL: statement.rendered { placeholders[$0 - 1] }, binds: bindings)
    }

    /// Whether `text` holds nothing but blanks and comments: a statement refused, as SQLite
    /// refuses it (PostgreSQL would answer it with an empty result, hiding the mistake).
    static func isEmpty(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ";"):
                index += 1
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                index += 2
            default:
                return false
            }
        }
        return true
    }

    /// One result row as an `SQLRow`.
    static func row(_ row: PostgresRow) throws(DataError) -> SQLRow {
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            columns.append(cell.columnName)
            values.append(try value(cell))
        }
        return SQLRow(columns: columns, values: values)
    }

    /// One cell: integers (`int2`, `int4`, `int8`, `oid`) and `bool` (1 or 0) as `.integer`;
    /// `float4`, `float8` and `numeric` as `.real` (a `numeric` without decimals that fits an
    /// `Int`, like `SUM` of a `bigint` column, as `.integer`); texts, `date` (`yyyy-MM-dd`),
    /// `timestamp` and `timestamptz` (`yyyy-MM-dd HH:mm:ss`, in UTC), `time`, `uuid`, JSON, XML
    /// and user-defined types whose binary form is their text (enums, citext) as `.text`.
    /// Anything else is `DataError.corrupt`, naming the column and its type.
    static func value(_ cell: PostgresCell) throws(DataError) -> SQLValue {
        guard var buffer = cell.bytes else { return .null }
        func unreadable() -> DataError {
            DataError.corrupt(
                "column \(cell.columnName) has PostgreSQL type \(cell.dataType), which a pack statement cannot return; "
                    + "cast it (::text, ::bigint, ::double precision)"
            )
        }
        func decode<T: PostgresDecodable>(_ type: T.Type) throws(DataError) -> T {
            do {
                return try cell.decode(T.self, context: .default)
            } catch {
                throw DataError.corrupt("column \(cell.columnName) (\(cell.dataType)) could not be read as \(T.self)")
            }
        }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return .integer(try decode(Int.self))
        case .oid:
            guard buffer.readableBytes == 4, let number = buffer.readInteger(as: UInt32.self) else { throw unreadable() }
            return .integer(Int(number))
        case .bool:
            return .integer(try decode(Bool.self) ? 1 : 0)
        case .float8:
            return .real(try decode(Double.self))
        case .float4:
            // Through its shortest decimal form, so that a float4 0.1 reads as 0.1.
            let number = try decode(Float.self)
            return .real(Double("\(number)") ?? Double(number))
        case .numeric:
            guard let value = numeric(&buffer) else {
                throw DataError.corrupt("column \(cell.columnName) holds a numeric that could not be read")
            }
            return value
        case .text, .varchar, .bpchar, .name, .unknown, .json, .xml, .char:
            return .text(try decode(String.self))
        case .jsonb:
            return .text(try decode(String.self))
        case .uuid:
            return .text(try decode(String.self).lowercased())
        case .date:
            guard buffer.readableBytes == 4, let days = buffer.readInteger(as: Int32.self) else { throw unreadable() }
            switch days {
            case .max: return .text("infinity")
            case .min: return .text("-infinity")
            default: return .text(CalendarDate(daysSinceEpoch: Int(days) + PostgresDay.postgresEpoch).iso)
            }
        case .timestamp, .timestamptz:
            guard buffer.readableBytes == 8, let micros = buffer.readInteger(as: Int64.self) else { throw unreadable() }
            switch micros {
            case .max: return .text("infinity")
            case .min: return .text("-infinity")
            default:
                let perDay: Int64 = 86_400_000_000
                let (days, time) = (micros.dividedRoundingDown(by: perDay), micros - micros.dividedRoundingDown(by: perDay) * perDay)
                let day = CalendarDate(daysSinceEpoch: Int(days) + PostgresDay.postgresEpoch)
                return .text("\(day.iso) \(timeOfDay(microseconds: time))")
            }
        case .time:
            guard buffer.readableBytes == 8, let micros = buffer.readInteger(as: Int64.self) else { throw unreadable() }
            return .text(timeOfDay(microseconds: micros))
        default:
            // Enums, citext and other types of extensions send their text; a type whose binary
            // form is not text (a composite, say) has NUL bytes or is not UTF-8.
            guard cell.dataType.isUserDefined,
                  let text = String(validating: buffer.readableBytesView, as: UTF8.self), !text.utf8.contains(0)
            else { throw unreadable() }
            return .text(text)
        }
    }

    /// `HH:mm:ss`, with the fraction of a second when there is one (as PostgreSQL writes it).
    private static func timeOfDay(microseconds: Int64) -> String {
        func two(_ number: Int64) -> String { number < 10 ? "0\(number)" : "\(number)" }
        let seconds = microseconds / 1_000_000, fraction = microseconds % 1_000_000
        var text = "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 6 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// A binary `numeric`: `ndigits`, `weight`, `sign`, `dscale` (16 bits each), then `ndigits`
    /// base-10000 digits, the first worth 10000^weight. Read through its exact decimal text.
    static func numeric(_ buffer: inout ByteBuffer) -> SQLValue? {
        guard let count = buffer.readInteger(as: Int16.self), let weight = buffer.readInteger(as: Int16.self),
              let sign = buffer.readInteger(as: UInt16.self), let scale = buffer.readInteger(as: Int16.self),
              count >= 0, scale >= 0, buffer.readableBytes == Int(count) * 2
        else { return nil }
        switch sign {
        case 0x0000, 0x4000: break
        case 0xC000: return .real(.nan)
        case 0xD000: return .real(.infinity)
        case 0xF000: return .real(-.infinity)
        default: return nil
        }
        var digits: [Int] = []
        for _ in 0..<count {
            guard let digit = buffer.readInteger(as: Int16.self), (0..<10_000).contains(digit) else { return nil }
            digits.append(Int(digit))
        }
        func group(_ index: Int) -> Int { index >= 0 && index < digits.count ? digits[index] : 0 }
        func padded(_ number: Int) -> String {
            let text = String(number)
            return String(repeating: "0", count: 4 - text.count) + text
        }
        // The integer part: the groups worth 10000^weight … 10000^0.
        var integer = ""
        if weight >= 0 {
            integer = String(group(0))
            if weight >= 1 { for index in 1...Int(weight) { integer += padded(group(index)) } }
        } else {
            integer = "0"
        }
        // The fraction: the groups worth 10000^-1, 10000^-2, …, cut to `dscale` digits.
        var fraction = ""
        var index = Int(weight) + 1
        while fraction.count < Int(scale) {
            fraction += padded(group(index))
            index += 1
        }
        fraction = String(fraction.prefix(Int(scale)))
        let negative = sign == 0x4000
        if scale == 0, let number = Int((negative ? "-" : "") + integer) {
            return .integer(number)
        }
        let text = (negative ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction)
        return Double(text).map(SQLValue.real)
    }
}

private extension Int64 {
    /// The quotient rounded towards minus infinity (a day before 2000 is negative).
    func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
