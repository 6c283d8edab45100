import RealtimeProtocol

/// Changes a caller states against what a record already says: "a day later", "push it back
/// two days", "bring it forward a week", "the day after"; "one more night", "add a night",
/// "extend it by two nights", "one night fewer", "drop a night".
///
/// Read from the words alone; the record (or the call being changed) supplies the value the
/// change applies to.
enum RelativeChange {
    /// `change` applied to `value`: days added to an ISO date, or added to a number (kept at
    /// least 1). `nil` when `value` is neither.
    static func apply(_ change: Int, to value: JSONValue) -> JSONValue? {
        if let text = value.stringValue, let day = CalendarDay(iso: text) { return .string(day.adding(days: change).iso) }
        if let number = value.intValue { return .int(max(1, number + change)) }
        return nil
    }

    /// A record's value a change of `parameter` applies to: its field of that name, else (for a
    /// date) its first field holding a date.
    static func base(for parameter: FunctionTool.Parameter, in row: JSONObject) -> JSONValue? {
        if let own = row[parameter.name], own != .null { return own }
        guard parameter.format == "date" else { return nil }
        return row.members.first { $0.1.stringValue.flatMap { CalendarDay(iso: $0) } != nil }?.1
    }

    /// How many days a date moves, when the caller said so: positive is later.
    static func shift(in words: [String]) -> Int? {
        for index in words.indices {
            // "the day after" (not "the day after tomorrow"), "the day before".
            if words[index] == "day", index > 0, words[index - 1] == "the", index + 1 < words.count {
                let next = words[index + 1]
                let following = index + 2 < words.count ? words[index + 2] : ""
                if next == "after", following != "tomorrow" { return 1 }
                if next == "before", following != "yesterday" { return -1 }
            }
            guard let (amount, length) = amount(in: words, at: index), index + length < words.count,
                  let unit = dayUnits[words[index + length]] else { continue }
            // "in two days" is a date, not a move.
            if index > 0, words[index - 1] == "in" { continue }
            let days = amount * unit
            let after = index + length + 1 < words.count ? words[index + length + 1] : ""
            if later.contains(after) { return days }
            if earlier.contains(after) { return -days }
            let before = words[max(0, index - 4)..<index]
            if before.contains(where: { laterVerbs.contains($0) }) { return days }
            if before.contains(where: { earlierVerbs.contains($0) }) { return -days }
        }
        return nil
    }

    /// How much a count named `name` (a parameter: "nights") changes, when the caller said so.
    static func delta(of name: String, in words: [String]) -> Int? {
        let plural = name.lowercased().split(separator: "_").last.map(String.init) ?? name
        let singular = plural.hasSuffix("s") ? String(plural.dropLast()) : plural
        let units: Set<String> = [plural, singular]
        for index in words.indices where units.contains(words[index]) {
            let before = Array(words[max(0, index - 6)..<index])
            let after = index + 1 < words.count ? words[index + 1] : ""
            // "one more night", "an extra night", "two additional nights", "another night".
            if let last = before.last, ["more", "extra", "additional"].contains(last) {
                return amountBefore(before.dropLast()) ?? 1
            }
            if before.last == "another" { return 1 }
            // "one night fewer", "a night less", "two fewer nights", "one less night".
            if ["fewer", "less", "shorter"].contains(after) { return -(amountBefore(before[...]) ?? 1) }
            if let last = before.last, ["fewer", "less"].contains(last) { return -(amountBefore(before.dropLast()) ?? 1) }
            // "add a night", "extend it by two nights"; "drop a night", "shorten it by a night".
            let amount = amountBefore(before[...]) ?? 1
            if before.contains(where: { growVerbs.contains($0) }) { return amount }
            if before.contains(where: { shrinkVerbs.contains($0) }) { return -amount }
        }
        return nil
    }

    /// The amount said just before a unit ("two", "a", "couple of"), within the last words.
    private static func amountBefore(_ words: ArraySlice<String>) -> Int? {
        let words = Array(words)
        for start in stride(from: words.count - 1, through: max(0, words.count - 3), by: -1) {
            if let (value, length) = amount(in: words, at: start), start + length == words.count { return value }
        }
        return nil
    }

    /// An amount at `index`: a number, "a"/"an", "a couple of".
    private static func amount(in words: [String], at index: Int) -> (Int, Int)? {
        guard index < words.count else { return nil }
        if words[index] == "a" || words[index] == "an" {
            if index + 2 < words.count, words[index + 1] == "couple", words[index + 2] == "of" { return (2, 3) }
            return (1, 1)
        }
        if words[index] == "couple", index + 1 < words.count, words[index + 1] == "of" { return (2, 2) }
        guard let number = SpokenNumber.value(in: words, at: index), !number.ordinal, (1...365).contains(number.value) else { return nil }
        return (number.value, number.length)
    }

    private static let dayUnits: [String: Int] = ["day": 1, "days": 1, "week": 7, "weeks": 7]
    private static let later: Set<String> = ["later", "after", "back", "out", "behind", "further"]
    private static let earlier: Set<String> = ["earlier", "sooner", "before", "early", "forward", "ahead", "up"]
    private static let laterVerbs: Set<String> = ["push", "postpone", "delay", "defer", "later", "back"]
    private static let earlierVerbs: Set<String> = ["bring", "forward", "earlier", "sooner", "advance"]
    private static let growVerbs: Set<String> = ["add", "extend", "increase", "longer", "plus"]
    private static let shrinkVerbs: Set<String> = ["drop", "shorten", "cut", "remove", "reduce", "lose", "subtract", "minus"]
}
