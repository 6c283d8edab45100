import PostgresNIO
import SwitchboardData

/// The cells of one result row, read from the left, each as the type the query selected it as.
/// A cell that is not of that type is a `DataError.corrupt`.
package struct PostgresRowReader {
    private let row: PostgresRandomAccessRow
    private var column = 0

    package init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    /// The next cell as `T` (`String?` for a nullable column).
    package mutating func next<T: PostgresDecodable>(_ type: T.Type = T.self) throws(DataError) -> T {
        guard column < row.count else {
            throw DataError.corrupt("a row has \(row.count) columns; column \(column + 1) was expected")
        }
        let cell = row[column]
        column += 1
        do {
            return try cell.decode(T.self, context: .default)
        } catch {
            throw DataError.corrupt("column \(cell.columnName) (\(cell.dataType)) is not a valid \(T.self)")
        }
    }

    /// The next cell as a day.
    mutating func day() throws(DataError) -> CalendarDate {
        try next(PostgresDay.self).date
    }

    /// The next cell as one of `T`'s raw values.
    mutating func value<T: RawRepresentable<String>>(_ type: T.Type) throws(DataError) -> T {
        let text: String = try next()
        guard let value = T(rawValue: text) else { throw DataError.corrupt("\"\(text)\" is not a valid \(T.self)") }
        return value
    }
}
