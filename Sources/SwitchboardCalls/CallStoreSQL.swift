/// What the SQL stores (SQLite and PostgreSQL) share: the columns a record is stored under and
/// the listing query built from a `CallQuery`. Times are Unix milliseconds (`bigint`/`INTEGER`)
/// in every `*_at` column; the record itself is its JSON text in `record`.
enum CallStoreSQL {
    /// A value bound to a placeholder.
    enum Value: Sendable, Equatable {
        case integer(Int)
        case text(String)
        case null

        static func optional(_ text: String?) -> Value { text.map(Value.text) ?? .null }
        static func optional(_ number: Int?) -> Value { number.map(Value.integer) ?? .null }
    }

    /// The filter columns of `calls`, in the order of `upsert`'s placeholders, then `record`.
    static let callColumns = [
        "id", "started_at", "ended_at", "channel", "direction", "from_number", "to_number", "pack", "tenant", "end_reason", "record",
    ]

    /// Text as kept in a filter column and compared with one: without NUL characters, which
    /// PostgreSQL's `text` cannot hold and SQLite's C strings end at (a hostile caller id may
    /// carry one). The record's JSON keeps the text whole.
    static func filterText(_ text: String) -> String {
        text.utf8.contains(0) ? String(text.unicodeScalars.filter { $0 != "\0" }.map(Character.init)) : text
    }

    /// The bound values of `callColumns` for `record` (already in millisecond form).
    static func callValues(_ record: CallRecord) -> [Value] {
        [
            .text(record.id),
            .integer(CallTime.milliseconds(record.startedAt)),
            .optional(record.endedAt.map(CallTime.milliseconds)),
            .text(record.channel.rawValue),
            .text(record.direction.rawValue),
            .optional(record.from.map(filterText)),
            .optional(record.to.map(filterText)),
            .optional(record.pack.map(filterText)),
            .optional(record.tenant.map(filterText)),
            .optional(record.endReason?.rawValue),
            .text(record.jsonText),
        ]
    }

    /// `INSERT … ON CONFLICT (id) DO UPDATE` of a record into `table` (the same text on both
    /// engines, with `placeholder(n)` for the n-th value, from 1).
    static func upsert(table: String, placeholder: (Int) -> String) -> String {
        let values = callColumns.indices.map { placeholder($0 + 1) }.joined(separator: ", ")
        let updates = callColumns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(callColumns.joined(separator: ", "))) VALUES (\(values)) ON CONFLICT (id) DO UPDATE SET \(updates)"
    }

    /// `SELECT record FROM table WHERE … ORDER BY started_at DESC, id DESC LIMIT n`: one more
    /// row than the page, to know whether there is a next. `idCollation` makes ids compare
    /// byte-wise (PostgreSQL's `COLLATE "C"`; SQLite compares bytes already).
    static func listing(
        _ query: CallQuery, cursor: CallCursor?, table: String, idCollation: String, placeholder: (Int) -> String
    ) -> (sql: String, values: [Value]) {
        var conditions: [String] = []
        var values: [Value] = []
        func bind(_ value: Value) -> String {
            values.append(value)
            return placeholder(values.count)
        }
        if let from = query.startedFromMilliseconds { conditions.append("started_at >= \(bind(.integer(from)))") }
        if let before = query.startedBeforeMilliseconds { conditions.append("started_at < \(bind(.integer(before)))") }
        if let number = query.number {
            let value = bind(.text(filterText(number)))
            conditions.append("(from_number = \(value) OR to_number = \(value))")
        }
        if let reason = query.endReason { conditions.append("end_reason = \(bind(.text(reason.rawValue)))") }
        if let ongoing = query.ongoing { conditions.append(ongoing ? "ended_at IS NULL" : "ended_at IS NOT NULL") }
        if let channel = query.channel { conditions.append("channel = \(bind(.text(channel.rawValue)))") }
        if let direction = query.direction { conditions.append("direction = \(bind(.text(direction.rawValue)))") }
        if let pack = query.pack { conditions.append("pack = \(bind(.text(filterText(pack))))") }
        if let tenant = query.tenant { conditions.append("tenant = \(bind(.text(filterText(tenant))))") }
        if let cursor {
            let started = bind(.integer(cursor.startedAt))
            let id = bind(.text(cursor.id))
            conditions.append("(started_at < \(started) OR (started_at = \(started) AND id\(idCollation) < \(id)))")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let limit = bind(.integer(query.clampedLimit + 1))
        return ("SELECT record FROM \(table)\(filter) ORDER BY started_at DESC, id\(idCollation) DESC LIMIT \(limit)", values)
    }

    /// The page of `rows` (the JSON texts of up to `limit + 1` records).
    static func page(_ texts: [String], query: CallQuery) throws(CallStoreError) -> CallPage {
        let limit = query.clampedLimit
        var records: [CallRecord] = []
        records.reserveCapacity(min(texts.count, limit))
        for text in texts.prefix(limit) { records.append(try CallRecord(jsonText: text)) }
        let next = texts.count > limit ? records.last.map { CallCursor(after: $0).text } : nil
        return CallPage(data: records, next: next)
    }
}
