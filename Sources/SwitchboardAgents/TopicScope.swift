/// Whether a request is about something none of a pack's agents does: the weather, a taxi, a
/// haircut, a restaurant table, a medicine's dose.
///
/// A list of everyday topics people ask any phone line about is checked against the pack's own
/// words (every persona's description, capabilities, instructions, examples, keywords, triggers,
/// greeting, questions and answer templates, and the speech vocabulary): a topic the pack speaks
/// of is its own ("insurance" for a dental practice, "pizza" for a food-delivery pack), any other
/// is foreign. Router and brain both ask, so a foreign request stays with the agent it reached
/// and gets a short redirect rather than a tool run on words that only look like its own.
public struct TopicScope: Sendable {
    /// The pack's own term stems.
    private let domain: Set<String>
    /// The everyday topics this pack does not speak of, as word runs.
    private let foreign: [(topic: String, words: [String])]
    /// The agents' routing keywords that name something of the pack's own (not a verb any
    /// business uses), as word runs.
    private let keywords: [[String]]

    /// The scope of `catalog`'s personas.
    public init(catalog: PersonaCatalog) {
        var texts: [String] = []
        for persona in catalog.personas {
            texts += [persona.description, persona.instructions, persona.greeting] + persona.capabilities
            texts += persona.routingExamples + persona.routingKeywords + persona.tools.flatMap(\.triggers)
            texts += persona.questions.values + persona.answers.values.flatMap(\.values)
        }
        texts += catalog.speech.words.values.flatMap { $0 }
        self.init(domainText: texts, keywords: catalog.personas.flatMap(\.routingKeywords))
    }

    /// The scope of a pack whose own words are `domainText`, with the agents' routing
    /// `keywords`.
    public init(domainText: [String], keywords: [String] = []) {
        let domain = Set(domainText.flatMap(TextTokenizer.terms))
        self.domain = domain
        // A topic is the pack's own when all its terms are ("car insurance" stays foreign to a
        // practice that takes dental insurance).
        // Topics are matched on words (a plural allowed), not stems: "news" is no "new".
        foreign = Self.topics.compactMap { topic in
            let terms = TextTokenizer.words(topic).compactMap(TextTokenizer.term)
            guard !terms.isEmpty, !terms.allSatisfy(domain.contains) else { return nil }
            return (topic, TextTokenizer.words(topic))
        }
        self.keywords = keywords.map(TextTokenizer.words).filter { !$0.isEmpty && !($0.count == 1 && Self.commonVerbs.contains($0[0])) }
    }

    /// The foreign topic `utterance` asks about, if any ("weather", "rental car"): a topic this
    /// pack does not speak of is named, and nothing else in it is the pack's (no code or number,
    /// no routing keyword beyond the topic's own words).
    public func outOfScope(_ utterance: String) -> String? {
        let words = TextTokenizer.words(utterance)
        guard !words.contains(where: { $0.contains(where: \.isNumber) }) else { return nil }
        guard let topic = foreign.first(where: { TextTokenizer.contains(words, run: $0.words) }) else { return nil }
        let topicWords = Set(TextTokenizer.words(topic.topic))
        let own = keywords.contains { run in
            !run.allSatisfy(topicWords.contains) && TextTokenizer.contains(words, run: run)
        }
        return own ? nil : topic.topic
    }

    /// Routing keywords that are verbs any business uses: they never make a request the pack's.
    static let commonVerbs: Set<String> = [
        "book", "booking", "reserve", "cancel", "change", "pay", "payment", "open", "close", "closed", "stay", "staying",
        "visit", "bring", "park", "order", "call", "help", "need", "find", "get", "check", "buy", "rent",
    ]

    /// Whether `word`'s stem is one of the pack's own.
    public func isOwn(_ word: String) -> Bool {
        TextTokenizer.term(word.lowercased()).map(domain.contains) ?? false
    }

    /// Everyday requests that belong to other businesses and services, each a word or a run of
    /// words. Kept to nouns that name a service or a thing; verbs ("book", "change") never
    /// decide, since every business uses them.
    static let topics: [String] = [
        // Weather, news and the world.
        "weather", "forecast", "rain", "snow", "temperature", "sunny", "news", "headlines", "election", "president",
        "politics", "sports", "football", "soccer", "basketball", "baseball", "stock market", "stocks", "bitcoin",
        "crypto", "exchange rate", "currency",
        // Getting around, other than a pack's own.
        "taxi", "cab", "uber", "lyft", "rental car", "car rental", "rent a car", "car hire", "train", "subway", "metro",
        "ferry", "parking ticket",
        // Eating out and going out.
        "restaurant", "table for", "pizza", "sushi", "burger", "takeout", "takeaway", "coffee shop",
        "movie", "movies", "cinema", "film", "broadway", "theater", "theatre", "concert", "museum", "sightseeing",
        "sightseeing tour", "nightlife",
        // Shops and personal services.
        "supermarket", "grocery", "groceries", "pharmacy", "shopping", "mall", "florist", "flowers", "haircut",
        "barber", "hairdresser", "salon", "manicure", "nails", "massage", "gym membership", "plumber", "electrician",
        "mechanic", "car wash", "oil change", "dry cleaning", "laundry service",
        // Money, law and paperwork.
        "bank", "loan", "mortgage", "credit card bill", "tax return", "accountant", "lawyer",
        "attorney", "car insurance", "home insurance", "life insurance", "travel insurance", "phone bill",
        "electric bill", "internet provider",
        // Health outside a pack's own practice.
        "prescription", "prescribe", "antibiotic", "antibiotics", "ibuprofen", "painkiller", "painkillers",
        "dosage", "diagnose", "diagnosis", "pediatrician", "dermatologist", "eye doctor", "optician",
        "vet", "veterinarian",
        // Everything else an assistant gets asked.
        "recipe", "joke", "song", "lyrics", "poem", "homework", "translate", "translation", "horoscope", "lottery",
        "dating", "real estate", "apartment",
    ]
}
