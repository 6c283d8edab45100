import Logging
import Testing
import SwitchboardCore

/// Secrets never reach a log line or a message: passwords in URLs, secret query parameters,
/// and every configured key wherever it turns up.
@Suite(.serialized) struct RedactedTests {
    @Test(arguments: [
        ("redis://:hunter22@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://default:hunter22@cache:6379", "redis://default:***@cache:6379"),
        ("redis://cache:6379", "redis://cache:6379"),
        ("postgres://app:s3cr%40t@db.example.com:5432/switchboard?sslmode=require", "postgres://app:***@db.example.com:5432/switchboard?sslmode=require"),
        ("postgres://app@db/x", "postgres://app@db/x"),
        ("postgres://app:p@ss:w@rd@db/x", "postgres://app:***@db/x"),
        ("wss://models.example.com/v1/realtime?model=gpt&api-key=sk-live-1&token=t0k", "wss://models.example.com/v1/realtime?model=gpt&api-key=***&token=***"),
        ("https://r.example.com/v1?api_key=abc&X-Api-Key=def&access_token=ghi&sig=jkl&code=mno", "https://r.example.com/v1?api_key=***&X-Api-Key=***&access_token=***&sig=***&code=***"),
        ("https://user:pw@h/p?q=1#frag", "https://user:***@h/p?q=1#frag"),
        ("postgres:app:secret@db/x", "postgres:***@db/x"),
        ("memory", "memory"),
        ("sqlite:data/x.sqlite", "sqlite:data/x.sqlite"),
        ("", ""),
    ])
    func urlsLoseTheirSecrets(url: String, expected: String) {
        #expect(Redacted.url(url) == expected)
    }

    @Test func registeredSecretsAreScrubbedFromAnyText() {
        Redacted.unregisterAll()
        defer { Redacted.unregisterAll() }
        Redacted.register(["sk-model-key-123", "tw/token+1", nil, "", "ab"])
        let text = "upstream said: bad key sk-model-key-123 (tw/token+1, encoded tw%2Ftoken%2B1); ab stays"
        #expect(Redacted.scrub(text) == "upstream said: bad key *** (***, encoded ***); ab stays")
    }

    @Test func theLogHandlerScrubsMessagesAndMetadata() {
        Redacted.unregisterAll()
        defer { Redacted.unregisterAll() }
        Redacted.register(["pw-0123456789"])
        let recorder = Recorder()
        var logger = Logger(label: "test") { _ in Redacted.LogHandler(recorder) }
        logger[metadataKey: "url"] = "redis://:pw-0123456789@h"
        logger.info("connecting with pw-0123456789", metadata: ["error": "auth pw-0123456789 refused", "list": ["pw-0123456789"]])
        let line = recorder.lines.joined(separator: "\n")
        #expect(!line.contains("pw-0123456789"), "\(line)")
        #expect(line.contains("connecting with ***"))
    }
}

/// A log handler that keeps what it is given.
final class Recorder: LogHandler, @unchecked Sendable {
    var lines: [String] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.message) \(merged) \(event.error.map { "\($0)" } ?? "")")
    }
}
