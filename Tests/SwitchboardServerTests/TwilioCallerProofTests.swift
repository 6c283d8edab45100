import Crypto
import SwitchboardCore
import Testing
@testable import SwitchboardServer
@testable import SwitchboardTelephony

extension TwilioCallerProof {
    /// A loopback hub without a token: its own key and nonces; unsigned streams go on unverified.
    static func loopbackDevelopment() -> TwilioCallerProof {
        TwilioCallerProof(key: SymmetricKey(size: .bits256), required: false, nonces: TwilioNonces())
    }
}

/// What the hub asks of a Twilio caller proof: a token needs the public URL its TwiML names.
/// (The proof and the media stream are tested in SwitchboardTelephonyTests.)
@Suite struct TwilioCallerProofTests {
    @Test func aTokenNeedsThePublicURL() {
        var configuration = HubConfiguration()
        configuration.twilioAuthToken = "token"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.description.contains("--public-url"))
        }
        configuration.publicURL = "https://hub.example.com"
        #expect(throws: Never.self) { try configuration.validate() }
    }
}
