/// Domain sentences as a caller would say them (codes spelled), with the transcript expected.
enum RoundTripCorpus {
    struct Case: Sendable {
        /// What the synthesizer is given.
        var spoken: String
        /// What the recognizer should write.
        var expected: String
    }

    static let cases: [Case] = [
        Case(spoken: "Is flight S B two oh four on time?", expected: "Is flight SB204 on time"),
        Case(spoken: "What's the status of flight S B three one one?", expected: "What's the status of flight SB311"),
        Case(spoken: "Which gate does my flight leave from?", expected: "Which gate does my flight leave from"),
        Case(spoken: "Has my flight been delayed?", expected: "Has my flight been delayed"),
        Case(spoken: "I need to change my flight to a later date.", expected: "I need to change my flight to a later date"),
        Case(spoken: "Can I move my flight to next Tuesday?", expected: "Can I move my flight to next Tuesday"),
        Case(spoken: "My confirmation code is B K Q four three one.", expected: "My confirmation code is BKQ431"),
        Case(spoken: "What time is check-in at the hotel?", expected: "What time is check in at the hotel"),
        Case(spoken: "Is breakfast included in my room rate?", expected: "Is breakfast included in my room rate"),
        Case(spoken: "Can I bring my dog to the hotel?", expected: "Can I bring my dog to the hotel"),
        Case(spoken: "My confirmation number is H two oh four five one eight.", expected: "My confirmation number is H204518"),
        Case(spoken: "Yes, please.", expected: "Yes please"),
        Case(spoken: "No, thanks.", expected: "No thanks"),
        Case(spoken: "Move it to March fifth.", expected: "Move it to March fifth"),
        Case(spoken: "How many bags can I check?", expected: "How many bags can I check"),
        Case(spoken: "What flights do I have booked?", expected: "What flights do I have booked"),
        Case(spoken: "Which hotel am I staying at in London?", expected: "Which hotel am I staying at in London"),
        Case(spoken: "Is there parking at the hotel?", expected: "Is there parking at the hotel"),
        Case(spoken: "Can I extend my stay by two nights?", expected: "Can I extend my stay by two nights"),
        Case(spoken: "Thank you very much.", expected: "Thank you very much"),
        Case(spoken: "Change booking B K R five one eight to next Friday.", expected: "Change booking BKR518 to next Friday"),
        Case(spoken: "What's the address of my hotel?", expected: "What's the address of my hotel"),
    ]
}
