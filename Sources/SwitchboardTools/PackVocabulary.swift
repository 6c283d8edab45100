import Foundation
import SwitchboardAgents
import SwitchboardData

/// A pack's vocabularies read from its data: the names callers say (dentists, restaurants,
/// dishes) for the recognizer's grammar and the embedded model's slots.
public enum PackVocabulary {
    /// The only parameters a vocabulary query may name: it runs once, for no caller.
    public static let parameters: Set<String> = ["today", "now"]

    /// Each vocabulary's values, by name: the first column of every row its query returns, as
    /// ``PackSpeech/vocabularyValues(_:)`` keeps them.
    public static func load(_ pack: Pack, database: any PackDatabase, today: Date = Date()) async throws -> [String: [String]] {
        var words: [String: [String]] = [:]
        for vocabulary in pack.catalog.speech.vocabularies {
            let statement = try NamedStatement(vocabulary.sql)
            let values: [String: SQLValue] = [
                "today": .text(CalendarDate(today).iso), "now": .text(ISO8601DateFormatter().string(from: today)),
            ]
            let rows = try await database.read { runner in try await runner.rows(statement, values) }
            let raw = rows.compactMap { row -> String? in
                switch row.values.first {
                case .text(let text): text
                case .integer(let number): String(number)
                case .real, .null, nil: nil
                }
            }
            words[vocabulary.name] = PackSpeech.vocabularyValues(raw)
        }
        return words
    }
}
