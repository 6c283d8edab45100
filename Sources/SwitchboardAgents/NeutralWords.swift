/// Words that say nothing about which agent a turn belongs to: answers, courtesies, greetings,
/// dates and numbers. A turn made only of these ("yes", "thanks", "next Friday", "BKQ431")
/// stays with the agent that asked.
enum NeutralWords {
    /// Whether `word` (lowercased, unstemmed) is neutral. Anything holding a digit is a code, a
    /// number or a date ("bkq431", "14th", "2026").
    static func contains(_ word: String) -> Bool {
        word.contains(where: \.isNumber) || words.contains(word)
    }

    static let words: Set<String> = answers.union(courtesies).union(dates).union(numbers).union(fillers)

    private static let answers: Set<String> = [
        "yes", "yeah", "yep", "yup", "no", "nope", "nah", "ok", "okay", "sure", "right", "correct", "fine", "alright",
        "absolutely", "definitely", "exactly", "perfect", "great", "good", "sounds", "works", "go", "ahead", "do",
        "that", "it", "one", "done", "never", "mind", "wait", "hold", "on", "sorry", "repeat", "again",
        "what", "pardon", "huh", "hmm", "um", "uh", "actually", "instead", "please", "maybe",
    ]

    private static let courtesies: Set<String> = [
        "hello", "hi", "hey", "hiya", "morning", "afternoon", "evening", "there", "thanks", "thank", "you", "cheers",
        "bye", "goodbye", "lot", "much", "all", "s", "switchboard", "appreciate", "helpful", "nice", "day",
    ]

    private static let dates: Set<String> = [
        "today", "tomorrow", "tonight", "yesterday", "next", "this", "last", "coming", "week", "weeks", "weekend",
        "month", "days", "the", "of", "in", "a", "an", "and", "at", "on", "by", "for", "to",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
        "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "twentieth", "thirtieth", "st", "nd", "rd", "th",
    ]

    private static let numbers: Set<String> = [
        "zero", "oh", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
        "forty", "fifty", "hundred",
    ]

    private static let fillers: Set<String> = ["i", "me", "my", "we", "us", "is", "are", "was", "be", "would", "like", "can", "could", "let",
                                                  "need", "want", "wanted", "help", "some", "know", "wondering", "question", "ask"]
}
