/// Finds the dates a caller names and resolves them against today.
///
/// Understood: "today", "tonight", "tomorrow", "the day after tomorrow", "in 3 days",
/// "in a week", "in two weeks", weekday names ("Friday" and "next Friday" are the first Friday
/// after today; "this Saturday" may be today), "the 27th" (this month, or the next month that has
/// that day once it has passed), "November 27", "27 November", "Nov 27th", "the 27th of November"
/// (this year, or next year once passed; a year may follow), and ISO "2026-11-27".
struct DatePhrases {
    let today: CalendarDay

    /// Every date named in `words`, in the order they were said.
    func dates(in words: [String]) -> [CalendarDay] {
        var found: [CalendarDay] = []
        var index = 0
        while index < words.count {
            if let match = date(in: words, at: index) {
                found.append(match.0)
                index += match.1
            } else {
                index += 1
            }
        }
        return found
    }

    /// The date that starts at `index`, with how many words it took.
    private func date(in words: [String], at index: Int) -> (CalendarDay, Int)? {
        let word = words[index]
        func at(_ offset: Int) -> String? {
            index + offset < words.count ? words[index + offset] : nil
        }
        if let day = CalendarDay(iso: word) { return (day, 1) }
        switch word {
        case "today", "tonight": return (today, 1)
        case "tomorrow": return (today.adding(days: 1), 1)
        case "day" where at(1) == "after" && at(2) == "tomorrow": return (today.adding(days: 2), 3)
        case "in": return relative(words, at: index + 1).map { ($0.0, $0.1 + 1) }
        case "next", "this", "coming":
            guard let next = at(1), let weekday = Self.weekdays[next] else { break }
            return (self.weekday(weekday, allowToday: word == "this"), 2)
        default: break
        }
        if let weekday = Self.weekdays[word] { return (self.weekday(weekday, allowToday: false), 1) }
        if let month = Self.months[word] {
            // "November 27", "Nov 27th", "November the 27th", optionally ", 2027".
            var offset = 1
            if at(offset) == "the" { offset += 1 }
            guard let number = SpokenNumber.value(in: words, at: index + offset), (1...31).contains(number.value) else { return nil }
            offset += number.length
            return resolve(month: month, day: number.value, words: words, yearAt: index + offset).map { ($0.0, offset + $0.1) }
        }
        // "the 27th", "27th", "27 November", "27th of November", "the twenty seventh".
        let hasThe = word == "the"
        let start = hasThe ? 1 : 0
        guard let number = SpokenNumber.value(in: words, at: index + start), (1...31).contains(number.value) else { return nil }
        var offset = start + number.length
        if at(offset) == "of" { offset += 1 }
        if let next = at(offset), let month = Self.months[next] {
            offset += 1
            return resolve(month: month, day: number.value, words: words, yearAt: index + offset).map { ($0.0, offset + $0.1) }
        }
        let isDigits = words[index + start].first?.isNumber == true
        guard number.ordinal, hasThe || isDigits else { return nil }
        return dayOfMonth(number.value).map { ($0, start + number.length) }
    }

    /// "3 days", "a week", "two weeks" after "in".
    private func relative(_ words: [String], at index: Int) -> (CalendarDay, Int)? {
        guard index < words.count else { return nil }
        let count: Int
        let length: Int
        if words[index] == "a" || words[index] == "an" || words[index] == "one" {
            (count, length) = (1, 1)
        } else if let number = SpokenNumber.value(in: words, at: index), !number.ordinal {
            (count, length) = (number.value, number.length)
        } else {
            return nil
        }
        guard index + length < words.count else { return nil }
        switch words[index + length] {
        case "day", "days": return (today.adding(days: count), length + 1)
        case "week", "weeks": return (today.adding(days: 7 * count), length + 1)
        default: return nil
        }
    }

    /// The first `weekday` after today (or today itself when allowed).
    private func weekday(_ weekday: Int, allowToday: Bool) -> CalendarDay {
        var ahead = (weekday - today.weekday + 7) % 7
        if ahead == 0 && !allowToday { ahead = 7 }
        return today.adding(days: ahead)
    }

    /// `day` of this month, or of the first later month that has it, once it has passed.
    private func dayOfMonth(_ day: Int) -> CalendarDay? {
        var year = today.year
        var month = today.month
        for _ in 0..<13 {
            if let candidate = CalendarDay(year: year, month: month, day: day), candidate >= today { return candidate }
            month += 1
            if month > 12 { (month, year) = (1, year + 1) }
        }
        return nil
    }

    /// `month`/`day` in the year said at `yearAt`, else this year, or next year once passed.
    private func resolve(month: Int, day: Int, words: [String], yearAt index: Int) -> (CalendarDay, Int)? {
        if index < words.count, words[index].count == 4, let year = Int(words[index]), (1900...2999).contains(year) {
            return CalendarDay(year: year, month: month, day: day).map { ($0, 1) }
        }
        if let candidate = CalendarDay(year: today.year, month: month, day: day), candidate >= today { return (candidate, 0) }
        return CalendarDay(year: today.year + 1, month: month, day: day).map { ($0, 0) }
    }

    static let weekdays: [String: Int] = [
        "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
    ]

    static let months: [String: Int] = [
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
        "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
        "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    ]
}
