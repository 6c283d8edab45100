import Foundation
import SwitchboardAgents
@testable import SwitchboardSpeech

/// The Switchboard domain as the hub builds it: the personas' routing examples and questions.
enum TestDomain {
    /// The repository's `Personas/` directory.
    static let personasDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Personas/travel/agents")

    /// Every `- example` under `routing:` / `examples:` in the persona files.
    static func personaSentences() throws -> [String] {
        var sentences: [String] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: personasDirectory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        for file in files {
            let text = try String(contentsOf: personasDirectory.appendingPathComponent(file), encoding: .utf8)
            var inExamples = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed == "examples:" {
                    inExamples = true
                } else if inExamples, trimmed.hasPrefix("- ") {
                    sentences.append(String(trimmed.dropFirst(2)))
                } else if !trimmed.isEmpty {
                    inExamples = false
                }
            }
        }
        return sentences
    }

    /// The travel pack's domain over the persona sentences, as the hub builds it.
    static func domain() throws -> SpeechDomain {
        try domain(sentences: try personaSentences())
    }

    /// `sentences` with the travel pack's templates and spoken codes.
    static func domain(sentences: [String]) throws -> SpeechDomain {
        let speech = try Pack.load(directory: personasDirectory.deletingLastPathComponent().path).catalog.speech
        return SpeechDomain(
            sentences: sentences, templates: SpeechDomain.commonTemplates + speech.templates,
            codes: speech.codes.map { SpokenCode(name: $0.name, pattern: $0.pattern, examples: $0.examples) }
        )
    }

    /// One recognizer for every test: loading decoders takes a while.
    static let recognizer: Result<SpeechRecognizer, any Error> = Result {
        var configuration = SpeechRecognizer.Configuration()
        configuration.decoders = 2
        return try SpeechRecognizer(domain: try domain(), configuration: configuration)
    }
}
