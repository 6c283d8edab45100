/// Numbers, digits and letters as a speaker says them, and the recognizer's tokens for them.
///
/// A letter spelled out is its own token, `"b."`, so that the article "a" and the pronoun "i"
/// never read as the letters A and I: the normaliser joins only letter tokens into codes.
enum SpokenWords {
    /// The digits' names, by value.
    static let digitNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// A spoken digit's value: the names, and "oh" for zero.
    static let digitValues: [String: Character] = {
        var values: [String: Character] = ["oh": "0"]
        for (value, name) in digitNames.enumerated() {
            values[name] = Character(String(value))
        }
        return values
    }()

    private static let teens = [
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ]
    private static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    private static let ordinalUnits = [
        "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
        "eighteenth", "nineteenth",
    ]
    private static let ordinalTens = [
        "", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth",
    ]

    /// `number` in words: 0 … 999 999 ("two hundred four", "seventy five").
    static func cardinal(_ number: Int) -> [String] {
        precondition(number >= 0 && number < 1_000_000, "cardinal out of range")
        if number < 10 { return [digitNames[number]] }
        if number < 20 { return [teens[number - 10]] }
        if number < 100 {
            let unit = number % 10
            return unit == 0 ? [tens[number / 10]] : [tens[number / 10], digitNames[unit]]
        }
        if number < 1000 {
            let rest = number % 100
            return [digitNames[number / 100], "hundred"] + (rest == 0 ? [] : cardinal(rest))
        }
        let rest = number % 1000
        return cardinal(number / 1000) + ["thousand"] + (rest == 0 ? [] : cardinal(rest))
    }

    /// `number` as an ordinal in words: 1 … 99 ("first", "twenty third").
    static func ordinal(_ number: Int) -> [String] {
        precondition(number > 0 && number < 100, "ordinal out of range")
        if number < 20 { return [ordinalUnits[number]] }
        let unit = number % 10
        return unit == 0 ? [ordinalTens[number / 10]] : [tens[number / 10], ordinalUnits[unit]]
    }

    /// A four-digit year as people say it: 2026 → "twenty twenty six", 2005 → "two thousand five".
    static func year(_ year: Int) -> [String] {
        let (century, rest) = (year / 100, year % 100)
        if rest == 0 { return cardinal(century) + ["hundred"] }
        if century % 10 == 0 && rest < 10 { return cardinal(year) }
        return cardinal(century) + (rest < 10 ? ["oh"] + cardinal(rest) : cardinal(rest))
    }

    /// A clock time: "8:15" → "eight fifteen", "8:05" → "eight oh five", "8:00" → "eight o'clock".
    static func time(hour: Int, minute: Int) -> [String] {
        if minute == 0 { return cardinal(hour) + ["o'clock"] }
        if minute < 10 { return cardinal(hour) + ["oh"] + cardinal(minute) }
        return cardinal(hour) + cardinal(minute)
    }

    /// The token for a spelled letter: "b" → "b.".
    static func letterToken(_ letter: Character) -> String {
        String(letter).lowercased() + "."
    }

    /// The letter a token spells, uppercase: "b." → "B".
    static func letter(of token: String) -> Character? {
        guard token.count == 2, token.last == ".", let first = token.first, first.isLetter, first.isASCII else { return nil }
        return Character(first.uppercased())
    }

    /// The letters' names in the acoustic model's phone set (CMU), by letter.
    static let letterPhones: [Character: String] = [
        "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY", "h": "EY CH",
        "i": "AY", "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N", "o": "OW", "p": "P IY",
        "q": "K Y UW", "r": "AA R", "s": "EH S", "t": "T IY", "u": "Y UW", "v": "V IY",
        "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY",
    ]

    /// The 26 letter tokens, "a." … "z.".
    static let letterTokens: [String] = "abcdefghijklmnopqrstuvwxyz".map { letterToken($0) }
}
