import CSQLite
import Foundation

/// A value bound to a statement parameter.
package enum SQLiteValue: Sendable, Hashable {
    case integer(Int)
    case text(String)
    case null

    /// Text, or `null` for `nil`.
    package static func optional(_ text: String?) -> SQLiteValue { text.map(SQLiteValue.text) ?? .null }
}

/// One open SQLite connection, the only owner of its `sqlite3` pointer. Every use holds the
/// lock, so a transaction is never interleaved with another caller's statements; callers run
/// it on `NIOThreadPool`, never on the cooperative pool.
package final class SQLiteConnection: @unchecked Sendable {
    /// The file, for messages.
    package let path: String
    private let lock = NSLock()
    private var handle: OpaquePointer?
    /// Guards `interruptible`: taken by `interrupt` (while a statement holds `lock`) and by
    /// `close`, so a statement is never interrupted on a closed connection.
    private let interruptLock = NSLock()
    private var interruptible: OpaquePointer?

    /// Opens (creating when missing) the file at `path`, read-write, serialized, with extended
    /// result codes, a busy timeout, foreign keys on and the WAL journal.
    package init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(DataError) {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw DataError.unavailable("cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        self.handle = handle
        self.interruptible = handle
        do {
            try withDatabase { (database) throws(DataError) in
                try database.execute("PRAGMA foreign_keys = ON")
                _ = try database.query("PRAGMA journal_mode = WAL") { $0.text(0) }
                try database.execute("PRAGMA synchronous = NORMAL")
            }
        } catch {
            close()
            throw error
        }
    }

    deinit {
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Runs `body` with the open database, holding the connection for its whole duration.
    package func withDatabase<T>(_ body: (SQLiteDatabase) throws(DataError) -> T) throws(DataError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let handle else { throw DataError.unavailable("the database \(path) is closed") }
        return try body(SQLiteDatabase(handle: handle))
    }

    /// Closes the connection; later uses throw `DataError.unavailable`.
    package func close() {
        lock.lock()
        defer { lock.unlock() }
        interruptLock.lock()
        interruptible = nil
        interruptLock.unlock()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Stops the statement running now (from another thread): it fails with `SQLITE_INTERRUPT`
    /// and its transaction can be rolled back. For a cancelled task whose query runs long.
    package func interrupt() {
        interruptLock.lock()
        defer { interruptLock.unlock() }
        if let interruptible { sqlite3_interrupt(interruptible) }
    }
}

/// The open database, lent to a closure by `SQLiteConnection.withDatabase`. Statements are
/// prepared with bound parameters; nothing is ever spliced into SQL text.
package struct SQLiteDatabase {
    let handle: OpaquePointer

    /// Runs SQL that takes no parameters (schema, pragmas, transaction control).
    package func execute(_ sql: String) throws(DataError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw Self.error(code: code, message: message.map { String(cString: $0) } ?? "error", doing: sql)
        }
    }

    /// Runs one statement with `bindings` and returns how many rows it changed.
    @discardableResult
    package func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws(DataError) -> Int {
        let statement = try prepare(sql, bindings)
        defer { sqlite3_finalize(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            if code != SQLITE_ROW { throw failure(code, doing: sql) }
        }
        return Int(sqlite3_changes(handle))
    }

    /// Runs one query with `bindings`, turning each row into a value with `decode`.
    package func query<T>(
        _ sql: String, _ bindings: [SQLiteValue] = [], _ decode: (inout SQLiteRow) throws(DataError) -> T
    ) throws(DataError) -> [T] {
        let statement = try prepare(sql, bindings)
        defer { sqlite3_finalize(statement) }
        var values: [T] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return values }
            guard code == SQLITE_ROW else { throw failure(code, doing: sql) }
            var row = SQLiteRow(statement: statement)
            values.append(try decode(&row))
        }
    }

    /// Runs `body` in an immediate transaction: committed when it returns, rolled back when it
    /// throws.
    package func transaction<T>(_ body: () throws(DataError) -> T) throws(DataError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepare(_ sql: String, _ bindings: [SQLiteValue]) throws(DataError) -> OpaquePointer {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code, doing: sql) }
        for (offset, value) in bindings.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(statement, index, sqlite3_int64(number))
            // The byte length, not -1: a text with a NUL in it is bound whole, not cut at the NUL.
            case .text(let text): result = sqlite3_bind_text(statement, index, text, Int32(clamping: text.utf8.count), Self.transient)
            case .null: result = sqlite3_bind_null(statement, index)
            }
            guard result == SQLITE_OK else {
                sqlite3_finalize(statement)
                throw failure(result, doing: sql)
            }
        }
        return statement
    }

    /// Tells SQLite to copy bound text (the `SQLITE_TRANSIENT` macro, which Swift cannot import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func failure(_ code: Int32, doing sql: String) -> DataError {
        Self.error(code: code, message: String(cString: sqlite3_errmsg(handle)), doing: sql)
    }

    /// Maps an SQLite result code to the kind of `DataError` callers act on.
    static func error(code: Int32, message: String, doing sql: String) -> DataError {
        let statement = sql.split(whereSeparator: \.isWhitespace).prefix(3).joined(separator: " ")
        let text = "\(message) (sqlite code \(code)) in \"\(statement) …\""
        switch code & 0xFF {
        case SQLITE_CONSTRAINT: return .constraint(text)
        case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_FORMAT: return .corrupt(text)
        default: return .unavailable(text)
        }
    }
}

/// The current row of a query, read column by column from the left.
package struct SQLiteRow {
    fileprivate let statement: OpaquePointer
    private var column: Int32 = 0

    fileprivate init(statement: OpaquePointer) {
        self.statement = statement
    }

    /// The next column as text (empty for `NULL`).
    package mutating func text() -> String {
        defer { column += 1 }
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The next column as text, `nil` for `NULL`.
    package mutating func optionalText() -> String? {
        if sqlite3_column_type(statement, column) == SQLITE_NULL {
            column += 1
            return nil
        }
        return text()
    }

    /// The next column as an integer.
    package mutating func integer() -> Int {
        defer { column += 1 }
        return Int(sqlite3_column_int64(statement, column))
    }

    /// The next column as an integer, `nil` for `NULL`.
    package mutating func optionalInteger() -> Int? {
        if sqlite3_column_type(statement, column) == SQLITE_NULL {
            column += 1
            return nil
        }
        return integer()
    }

    /// The next column as a `yyyy-MM-dd` day.
    mutating func date() throws(DataError) -> CalendarDate {
        let text = text()
        guard let date = CalendarDate(iso: text) else { throw DataError.corrupt("\"\(text)\" is not a yyyy-MM-dd date") }
        return date
    }

    /// The next column as one of `T`'s raw values.
    mutating func value<T: RawRepresentable<String>>(_ type: T.Type) throws(DataError) -> T {
        let text = text()
        guard let value = T(rawValue: text) else { throw DataError.corrupt("\"\(text)\" is not a valid \(T.self)") }
        return value
    }

    /// The column at `index` as text, for queries that read one value (pragmas).
    func text(_ index: Int32) -> String {
        var copy = self
        copy.column = index
        return copy.text()
    }
}
