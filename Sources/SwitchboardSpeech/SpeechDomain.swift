/// What callers are expected to say, from which the recognizer's grammar, language model and
/// pronunciation dictionary are generated at start-up.
///
/// Text is written as people write it ("Where is order R2044?"): codes that match
/// one of ``codes`` become that code's slot, so the grammar and the language model accept any
/// code of the kind, spelled out; other numbers are said as words. Templates name slots in
/// braces: a code's ``SpokenCode/name`` or one of the word classes in ``classes``
/// (`{date}`, `{weekday}`, `{month}`, `{ordinal}`, `{number}` by default).
public struct SpeechDomain: Sendable {
    /// Whole utterances: the personas' routing examples, typical caller questions.
    public var sentences: [String]
    /// Short replies that do not depend on the question: "yes", "no thanks", "that's right".
    public var phrases: [String]
    /// Utterances with slots: "where is order {order_code}", "move it to {date}".
    public var templates: [String]
    /// Codes spelled out letter by letter and digit by digit, written back in their written form.
    public var codes: [SpokenCode]
    /// Word classes for templates, by name: each a list of alternatives, which may use slots
    /// themselves (`"next {weekday}"`). Must not refer to themselves, directly or not.
    public var classes: [String: [String]]

    /// A domain of these sentences, phrases, templates and codes, with the standard word classes.
    public init(
        sentences: [String] = [],
        phrases: [String] = SpeechDomain.commonPhrases,
        templates: [String] = SpeechDomain.commonTemplates,
        codes: [SpokenCode] = [],
        classes: [String: [String]] = SpeechDomain.standardClasses
    ) {
        self.sentences = sentences
        self.phrases = phrases
        self.templates = templates
        self.codes = codes
        self.classes = classes
    }

    /// Replies that fit any question.
    public static let commonPhrases: [String] = [
        "yes", "yeah", "yes please", "yes that's right", "yes that's fine", "yes go ahead", "yes please do",
        "no", "no thanks", "no thank you", "no that's all", "not yet", "thanks", "thank you", "thank you very much",
        "okay", "sure", "that's right", "that's correct", "correct", "please", "go ahead", "do it", "sounds good",
        "that works", "perfect", "great", "that's all", "that's it", "nothing else", "goodbye", "bye", "hello", "hi",
        "sorry", "what", "pardon", "can you repeat that", "say that again", "I don't know", "I'm not sure",
        "never mind", "wait", "hold on", "maybe", "cancel", "stop", "help", "can you help me", "I have a question",
        "make the change", "please make the change", "keep it as it is", "don't change it",
    ]

    /// Dates and numbers on their own or in short replies.
    public static let commonTemplates: [String] = [
        "{date}", "on {date}", "for {date}", "{date} please", "how about {date}", "what about {date}",
        "is {date} possible", "move it to {date}", "can I move it to {date}", "change it to {date}",
        "I'd like to change it to {date}", "from {date} to {date}", "{number}", "{number} days",
    ]

    /// Dates, weekdays, months, ordinals (1st … 31st) and numbers (1 … 31).
    public static let standardClasses: [String: [String]] = [
        "date": [
            "today", "tonight", "tomorrow", "the day after tomorrow", "{weekday}", "next {weekday}",
            "this {weekday}", "{month} {ordinal}", "{month} the {ordinal}", "the {ordinal}",
            "the {ordinal} of {month}", "{ordinal} of {month}", "in {number} days", "in {number} weeks",
            "in a week", "next week",
        ],
        "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "month": [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ],
        "ordinal": (1...31).map { SpokenWords.ordinal($0).joined(separator: " ") },
        "number": (1...31).map { SpokenWords.cardinal($0).joined(separator: " ") },
    ]
}
