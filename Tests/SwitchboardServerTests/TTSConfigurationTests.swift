import Testing
@testable import SwitchboardServer

/// `serve --tts`, `--tts-voice`, `--tts-timeout`: checked at start-up.
@Suite struct TTSConfigurationTests {
    @Test("a wyoming:// voice server, a voice name and a timeout are taken; anything else is a clear error")
    func validation() throws {
        var configuration = HubConfiguration()
        try configuration.validate()
        configuration.tts = "wyoming://127.0.0.1:10200"
        configuration.ttsVoice = "en_US-joe-medium"
        try configuration.validate()
        configuration.tts = "http://127.0.0.1:10200"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.description.contains("--tts must be wyoming://HOST:PORT"))
        }
        configuration.tts = "wyoming://127.0.0.1:99999"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.tts = "tcp://[::1]:10200"
        try configuration.validate()
        configuration.ttsVoice = "two words"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.ttsVoice = ""
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.ttsVoice = nil
        configuration.ttsTimeout = .zero
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.ttsTimeout = .seconds(5)
        configuration.tts = nil
        configuration.ttsVoice = "en_US-joe-medium"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
