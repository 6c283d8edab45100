import CSQLite
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A pack's business data in its own SQLite file: created with the pack's schema and seed on
/// first open, kept afterwards. One connection; statements run on `NIOThreadPool`, and a
/// transaction holds the connection (an async lock) from `BEGIN IMMEDIATE` to its end, so no
/// other caller's statement lands inside it.
public final class SQLitePackDatabase: PackDatabase {
    /// The file.
    public let path: String
    /// Whether `open` created and seeded the file (false when it kept existing data).
    public let wasSeeded: Bool
    public var engine: String { "sqlite" }
    private let connection: SQLiteConnection
    private let gate = AsyncGate()

    private init(path: String, connection: SQLiteConnection, wasSeeded: Bool) {
        self.path = path
        self.connection = connection
        self.wasSeeded = wasSeeded
    }

    /// Opens the file at `path` (creating it and its directory), with the helper functions. A
    /// new file gets `schema` and `seed` (bound with `:today`) in one transaction, and a
    /// `switchboard_pack` row that marks it created; an existing one keeps its data.
    public static func open(path: String, schema: String, seed: String, today: Date = Date()) async throws -> SQLitePackDatabase {
        let day = CalendarDate(today).iso
        let schemaStatements = try SQLScript.statements(schema, engine: "sqlite")
        let seedStatements = try SQLScript.statements(seed, engine: "sqlite")
        return try await onThreadPool { () throws(DataError) -> SQLitePackDatabase in
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw DataError.unavailable("cannot create the directory \(directory): \(error.localizedDescription)")
            }
            let connection = try SQLiteConnection(path: path)
            do throws(DataError) {
                let seeded = try connection.withDatabase { (database) throws(DataError) -> Bool in
                    try database.registerPackFunctions()
                    return try database.transaction { () throws(DataError) -> Bool in
                        let marked = try database.query(
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'switchboard_pack'"
                        ) { $0.text() }
                        if !marked.isEmpty { return false }
                        let existing = try database.query("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text() }
                        guard existing.isEmpty else {
                            throw DataError.corrupt("\(path) holds tables (\(existing.prefix(3).joined(separator: ", "))) but was not made for a pack")
                        }
                        for (line, text) in schemaStatements {
                            do throws(DataError) { try database.execute(text) } catch {
                                throw DataError(error.kind, "schema line \(line): \(error.message)")
                            }
                        }
                        for (line, text) in seedStatements {
                            do throws(DataError) {
                                let statement = try NamedStatement(text)
                                _ = try database.run(statement, ["today": .text(day)])
                            } catch {
                                throw DataError(error.kind, "seed line \(line): \(error.message)")
                            }
                        }
                        try database.execute("CREATE TABLE switchboard_pack (seeded_on TEXT NOT NULL)")
                        _ = try database.run("INSERT INTO switchboard_pack (seeded_on) VALUES (?)", [.text(day)])
                        return true
                    }
                }
                return SQLitePackDatabase(path: path, connection: connection, wasSeeded: seeded)
            } catch {
                connection.close()
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        try await gate.withLock { try await body(Runner(connection: connection)) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StatementRunner) async throws -> T) async throws -> T {
        let connection = self.connection
        return try await gate.withLock {
            try await Self.onThreadPool { () throws(DataError) in
                try connection.withDatabase { (database) throws(DataError) in try database.execute("BEGIN IMMEDIATE") }
            }
            do {
                let value = try await body(Runner(connection: connection))
                try await Self.uncancellable { () throws(DataError) in
                    try connection.withDatabase { (database) throws(DataError) in try database.execute("COMMIT") }
                }
                return value
            } catch {
                try? await Self.uncancellable { () throws(DataError) in
                    try connection.withDatabase { (database) throws(DataError) in try database.execute("ROLLBACK") }
                }
                throw error
            }
        }
    }

    public func prepare(_ statement: NamedStatement) async throws {
        let connection = self.connection
        try await Self.onThreadPool { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in try database.prepareOnly(statement) }
        }
    }

    public func shutdown() async {
        let connection = self.connection
        await gate.withLock {
            do {
                try await NIOThreadPool.singleton.runIfActive { connection.close() }
            } catch {
                // The pool is gone or the task cancelled: close here rather than leave it open.
                connection.close()
            }
        }
    }

    /// The statements of one `read` or `transaction`, each on the thread pool.
    private struct Runner: StatementRunner {
        let connection: SQLiteConnection

        func rows(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> [SQLRow] {
            let connection = self.connection
            return try await stoppable { stop in
                try await SQLitePackDatabase.onThreadPool { () throws(DataError) in
                    try connection.withDatabase { (database) throws(DataError) in
                        try database.watching(stop) { () throws(DataError) in try database.rows(statement, parameters) }
                    }
                }
            }
        }

        func run(_ statement: NamedStatement, _ parameters: [String: SQLValue]) async throws -> Int {
            let connection = self.connection
            return try await stoppable { stop in
                try await SQLitePackDatabase.onThreadPool { () throws(DataError) in
                    try connection.withDatabase { (database) throws(DataError) in
                        try database.watching(stop) { () throws(DataError) in try database.run(statement, parameters) }
                    }
                }
            }
        }

        /// A statement whose task is cancelled stops rather than run to its end: the stop flag
        /// is checked by SQLite's progress handler while it runs (so a cancellation that comes
        /// before the statement starts still stops it), and a running step is interrupted. The
        /// statement stopped so throws `CancellationError`, as on PostgreSQL.
        private func stoppable<T: Sendable>(_ body: (StopFlag) async throws -> T) async throws -> T {
            try Task.checkCancellation()
            let connection = self.connection
            let stop = StopFlag()
            do {
                return try await withTaskCancellationHandler(operation: { try await body(stop) }, onCancel: {
                    stop.raise()
                    connection.interrupt()
                })
            } catch let error as DataError where stop.isRaised && error.kind == .unavailable {
                // SQLITE_INTERRUPT, or refused to start: stopped by the cancellation.
                throw CancellationError()
            }
        }
    }

    /// Runs blocking work on the NIO thread pool even when the task is cancelled (the async
    /// `runIfActive` drops the work of a cancelled task): for COMMIT and ROLLBACK.
    package static func uncancellable(_ body: @escaping @Sendable () throws(DataError) -> Void) async throws {
        do {
            try await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any()) { try body() }.get()
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.unavailable("the database thread pool failed: \(error)")
        }
    }

    /// Runs blocking work on the NIO thread pool; failures other than `DataError` and
    /// cancellation become `DataError.unavailable`.
    package static func onThreadPool<T: Sendable>(_ body: @escaping @Sendable () throws(DataError) -> T) async throws -> T {
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
}

/// A FIFO async lock: one holder at a time, waiters resumed in order. Cancelling a waiter does
/// not skip the queue (it still gets and releases the lock), so a cancelled task's transaction
/// is rolled back by its own error path.
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

extension SQLiteDatabase {
    /// Every row of a declared statement.
    func rows(_ statement: NamedStatement, _ parameters: [String: SQLValue]) throws(DataError) -> [SQLRow] {
        let prepared = try prepare(statement, parameters)
        defer { sqlite3_finalize(prepared) }
        let count = sqlite3_column_count(prepared)
        let columns = (0..<count).map { String(cString: sqlite3_column_name(prepared, $0)) }
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(prepared)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { throw Self.error(code: code, message: String(cString: sqlite3_errmsg(handle)), doing: statement.text) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count {
                switch sqlite3_column_type(prepared, column) {
                case SQLITE_INTEGER: values.append(.integer(Int(sqlite3_column_int64(prepared, column))))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(prepared, column)))
                case SQLITE_NULL: values.append(.null)
                default:
                    let bytes = sqlite3_column_text(prepared, column)
                    let length = Int(sqlite3_column_bytes(prepared, column))
                    values.append(.text(bytes.map { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""))
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
    }

    /// Runs a declared write; the number of rows it changed.
    func run(_ statement: NamedStatement, _ parameters: [String: SQLValue]) throws(DataError) -> Int {
        let prepared = try prepare(statement, parameters)
        defer { sqlite3_finalize(prepared) }
        while true {
            let code = sqlite3_step(prepared)
            if code == SQLITE_DONE { break }
            if code != SQLITE_ROW { throw Self.error(code: code, message: String(cString: sqlite3_errmsg(handle)), doing: statement.text) }
        }
        return Int(sqlite3_changes(handle))
    }

    /// Prepares and finalises without running.
    func prepareOnly(_ statement: NamedStatement) throws(DataError) {
        sqlite3_finalize(try prepare(statement, [:]))
    }

    fileprivate func prepare(_ statement: NamedStatement, _ parameters: [String: SQLValue]) throws(DataError) -> OpaquePointer {
        let sql = statement.rendered { "?\($0)" }
        var prepared: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        // The rest after the first statement, read while the C string it points into is alive.
        var rest = ""
        let code = sql.withCString { (text) -> Int32 in
            let code = sqlite3_prepare_v2(handle, text, -1, &prepared, &tail)
            if let tail { rest = String(cString: tail) }
            return code
        }
        guard code == SQLITE_OK, let prepared else {
            throw Self.error(code: code, message: String(cString: sqlite3_errmsg(handle)), doing: statement.text)
        }
        if rest.contains(where: { !$0.isWhitespace && $0 != ";" }) {
            sqlite3_finalize(prepared)
            throw DataError.corrupt("a declared statement must be one statement: \(statement.text)")
        }
        for (offset, value) in statement.bindings(parameters).enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number): result = sqlite3_bind_int64(prepared, index, sqlite3_int64(number))
            case .real(let number): result = sqlite3_bind_double(prepared, index, number)
            // The byte length, not -1: a text with a NUL in it is bound whole, not cut at the NUL.
            case .text(let text): result = sqlite3_bind_text(prepared, index, text, Int32(clamping: text.utf8.count), sqliteTransient)
            case .null: result = sqlite3_bind_null(prepared, index)
            }
            guard result == SQLITE_OK else {
                sqlite3_finalize(prepared)
                throw Self.error(code: result, message: String(cString: sqlite3_errmsg(handle)), doing: statement.text)
            }
        }
        return prepared
    }

    /// `add_days`, `days_between` and `money_text`, as the pack format defines them.
    func registerPackFunctions() throws(DataError) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        let functions: [(String, Int32, @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void)] = [
            ("add_days", 2, { context, _, arguments in
                guard let arguments, let day = dayArgument(arguments[0]), sqlite3_value_type(arguments[1]) != SQLITE_NULL else {
                    return sqlite3_result_null(context)
                }
                let moved = day.adding(days: Int(sqlite3_value_int64(arguments[1]))).iso
                sqlite3_result_text(context, moved, -1, sqliteTransient)
            }),
            ("days_between", 2, { context, _, arguments in
                guard let arguments, let from = dayArgument(arguments[0]), let to = dayArgument(arguments[1]) else {
                    return sqlite3_result_null(context)
                }
                sqlite3_result_int64(context, sqlite3_int64(to.days(since: from)))
            }),
            ("money_text", 1, { context, _, arguments in
                guard let arguments, sqlite3_value_type(arguments[0]) != SQLITE_NULL else { return sqlite3_result_null(context) }
                let text = Money(cents: Int(sqlite3_value_int64(arguments[0]))).decimalString
                sqlite3_result_text(context, text, -1, sqliteTransient)
            }),
        ]
        for (name, arity, function) in functions {
            let code = sqlite3_create_function_v2(handle, name, arity, flags, nil, function, nil, nil, nil)
            guard code == SQLITE_OK else { throw Self.error(code: code, message: "cannot register \(name)", doing: name) }
        }
    }
}

/// A `yyyy-MM-dd` text argument of an SQL function; `nil` for anything else.
private func dayArgument(_ value: OpaquePointer?) -> CalendarDate? {
    guard sqlite3_value_type(value) == SQLITE_TEXT, let bytes = sqlite3_value_text(value) else { return nil }
    return CalendarDate(iso: String(cString: bytes))
}

/// Tells SQLite to copy bound text (the `SQLITE_TRANSIENT` macro, which Swift cannot import).
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension SQLitePackDatabase {
    /// The result columns `statement` would return, without running it (for pack checks).
    public func columns(of statement: NamedStatement) async throws -> [String] {
        let connection = self.connection
        return try await Self.onThreadPool { () throws(DataError) in
            try connection.withDatabase { (database) throws(DataError) in try database.columns(of: statement) }
        }
    }
}

extension SQLiteDatabase {
    func columns(of statement: NamedStatement) throws(DataError) -> [String] {
        let prepared = try prepare(statement, [:])
        defer { sqlite3_finalize(prepared) }
        return (0..<sqlite3_column_count(prepared)).map { String(cString: sqlite3_column_name(prepared, $0)) }
    }
}

/// Set when the task that runs a statement is cancelled; read by SQLite's progress handler.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .releasing) }
    var isRaised: Bool { raised.load(ordering: .acquiring) }
}

extension SQLiteDatabase {
    /// Runs `body` with a progress handler that aborts the statement (`SQLITE_INTERRUPT`) once
    /// `stop` is raised; refuses to start when it already is.
    func watching<T>(_ stop: StopFlag, _ body: () throws(DataError) -> T) throws(DataError) -> T {
        guard !stop.isRaised else { throw DataError.unavailable("the statement was stopped: its call was cancelled") }
        let context = Unmanaged.passUnretained(stop).toOpaque()
        sqlite3_progress_handler(handle, 1000, { context in
            guard let context else { return 0 }
            return Unmanaged<StopFlag>.fromOpaque(context).takeUnretainedValue().isRaised ? 1 : 0
        }, context)
        defer { sqlite3_progress_handler(handle, 0, nil, nil) }
        return try withExtendedLifetime(stop) { () throws(DataError) -> T in try body() }
    }
}
