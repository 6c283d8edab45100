import Foundation
import SwitchboardAgents

/// What a caller says about the call itself rather than asking for something: a greeting,
/// thanks, a goodbye, "can you hear me", "who am I talking to", "are you a robot", "how are
/// you", "hold on", "say that again".
///
/// An utterance is social only when its phrases cover everything it says: once the social
/// phrases and the words that carry no request are taken out, no content word is left ("Great,
/// thank you." is thanks; "thanks, and where is my order?" is a request).
enum SocialTurn: Sendable, Hashable, CaseIterable {
    case greeting
    case thanks
    case goodbye
    case hearing
    case machine
    case identity
    case wellbeing
    case hold
    case repeating

    /// The social act `utterance` is, when it is nothing else. When several are said, the one
    /// that needs an answer wins ("hi, can you hear me?" is answered "yes, I can hear you").
    static func act(of utterance: Utterance) -> SocialTurn? {
        guard !utterance.isEmpty else { return nil }
        var rest = " \(utterance.words.joined(separator: " ")) "
        var said: Set<SocialTurn> = []
        // Longest phrases first, so "thank you" is taken before "you".
        for (phrase, act) in phrases {
            let padded = " \(phrase) "
            guard rest.contains(padded) else { continue }
            said.insert(act)
            while rest.contains(padded) { rest = rest.replacingOccurrences(of: padded, with: " ") }
        }
        guard !said.isEmpty else { return nil }
        let left = rest.split(separator: " ").map(String.init)
        // "thanks for your help" is thanks; "hello, what can you help me with?" asks for help.
        if !said.contains(.thanks), left.contains(where: { $0.hasPrefix("help") }) { return nil }
        guard left.allSatisfy({ Utterance.functionWords.contains($0) || courtesy.contains($0) }) else { return nil }
        return allCases.first { said.contains($0) && $0 != .greeting && $0 != .thanks && $0 != .goodbye }
            ?? (said.contains(.goodbye) ? .goodbye : said.contains(.thanks) ? .thanks : .greeting)
    }

    /// What the agent answers, in its own words: its greeting, what it can help with.
    func reply(as persona: Persona, previous: String?) -> String {
        let offer = persona.capabilities.isEmpty ? "How can I help?" : "I can help with \(AnswerTemplate.spokenList(persona.capabilities))."
        switch self {
        case .greeting: return persona.greeting
        case .thanks: return "You're welcome. Is there anything else I can help with?"
        case .goodbye: return "Thank you for calling. Goodbye!"
        case .hearing: return "Yes, I can hear you. How can I help?"
        case .identity: return "You're talking to the automated \(persona.name.replacingUnderscores) assistant. \(offer)"
        case .machine: return "I'm an automated assistant, not a person. \(offer)"
        case .wellbeing: return "I'm well, thank you for asking. How can I help?"
        case .hold: return "Of course, take your time."
        case .repeating:
            guard let previous, !previous.isEmpty else { return "How can I help?" }
            return "I said: \(previous)"
        }
    }

    /// Words that only add politeness or emphasis around a social phrase.
    static let courtesy: Set<String> = [
        "much", "lot", "lots", "very", "so", "really", "again", "all", "for", "everything", "help", "helping", "appreciate",
        "it", "nice", "day", "have", "a", "great", "wonderful", "lovely", "awesome", "excellent", "then", "now", "today",
        "sorry", "excuse", "anyway", "bit", "second", "minute", "moment", "sec", "min", "just", "quick", "quickly",
        "talk", "soon", "later", "see", "take", "care", "ya", "there", "folks", "guys", "mate", "buddy", "friend",
        "tonight", "too", "as", "well", "doing", "good", "pretty", "oh", "wow", "okay", "ok", "got", "gotcha",
        "understood", "brilliant", "appreciated", "kind", "kindly", "thats", "superb", "fantastic", "wait", "actually", "hmm",
    ]

    /// Each act's phrases, as lowercase words, longest first.
    static let phrases: [(String, SocialTurn)] = {
        let table: [SocialTurn: [String]] = [
            .greeting: ["hello", "hi", "hey", "hiya", "howdy", "good morning", "good afternoon", "good evening", "morning",
                        "afternoon", "evening", "greetings", "yo"],
            .thanks: ["thank you", "thanks", "thankyou", "cheers", "ta", "much appreciated", "i appreciate it", "appreciate it",
                      "that was helpful", "thats helpful", "that helps", "very helpful", "thats all i needed", "thats all",
                      "thats it", "thats everything", "nothing else", "no thats all", "that will be all", "thatll be all",
                      "that is all", "i think thats it", "youve been helpful", "you have been helpful", "perfect", "great"],
            .goodbye: ["bye", "goodbye", "good bye", "bye bye", "see you", "see ya", "talk to you later", "have a good day",
                       "have a nice day", "have a great day", "take care", "good night", "im done", "we are done", "were done"],
            .hearing: ["can you hear me", "do you hear me", "are you there", "are you still there", "is anyone there",
                       "is somebody there", "is anybody there", "hello are you there", "you there", "can you hear me now",
                       "are you hearing me", "is this working", "is this thing on", "am i coming through", "you still there"],
            .identity: ["who am i talking to", "who am i speaking to", "who am i speaking with", "who am i talking with",
                        "who is this", "whos this", "who are you", "what is your name", "whats your name", "who is speaking",
                        "whos speaking", "who have i reached", "what company is this", "who did i call", "where am i calling",
                        "what is this", "whats this"],
            .machine: ["are you a robot", "are you a bot", "are you a machine", "are you a computer", "are you human",
                       "are you a human", "are you a real person", "are you real", "is this a real person", "is this a robot",
                       "is this a bot", "is this a machine", "am i talking to a robot", "am i talking to a bot",
                       "am i talking to a machine", "am i talking to a computer", "am i talking to a person",
                       "am i talking to a real person", "am i talking to a human", "am i speaking to a real person",
                       "am i speaking to a person", "am i speaking to a human", "am i speaking to a robot", "are you ai",
                       "are you an ai", "is this ai", "is this an ai", "is this automated", "are you automated",
                       "is this a recording", "are you a person", "a real person", "a human", "a robot"],
            .wellbeing: ["how are you", "how are you doing", "how are you today", "hows it going", "how is it going",
                         "how are things", "how have you been", "hows your day", "how is your day", "you doing well"],
            .hold: ["hold on", "hang on", "one moment", "one second", "just a moment", "just a second", "give me a moment",
                    "give me a second", "give me a minute", "wait a moment", "wait a second", "wait a minute", "bear with me",
                    "let me check", "let me see", "let me find it", "let me look", "one sec", "hold please", "please hold"],
            .repeating: ["say that again", "can you repeat that", "could you repeat that", "repeat that", "please repeat",
                         "come again", "what did you say", "i didnt catch that", "i didnt hear that", "i didnt hear you",
                         "pardon", "pardon me", "sorry what", "one more time", "could you say that again",
                         "can you say that again", "repeat please", "say again"],
        ]
        return table.flatMap { act, phrases in
            phrases.map { (Utterance.words(of: $0).joined(separator: " "), act) }
        }.sorted { $0.0.count != $1.0.count ? $0.0.count > $1.0.count : $0.0 < $1.0 }
    }()
}
