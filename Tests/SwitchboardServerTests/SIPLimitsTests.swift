import SwitchboardSIP
import Testing
@testable import SwitchboardServer
import SwitchboardTelephony

/// The hub's SIP limits: their defaults, their checks and the user agent settings they become.
/// (The RTP socket's limits are tested in SwitchboardTelephonyTests.)
@Suite struct SIPLimitsTests {
    @Test func hubConfigurationChecksTheSIPLimits() throws {
        var configuration = HubConfiguration()
        #expect(configuration.sipMaxCalls == 100)
        #expect(configuration.sipInvitesPerSecond == 5)
        #expect(configuration.rtpTimeout == .seconds(30))
        #expect(!configuration.sipMediaAnyAddress)
        let agent = SIPService.settings(configuration, mediaHost: "127.0.0.1", advertisedHost: "127.0.0.1").agent
        #expect(agent.maxCalls == 100 && agent.invitesPerSecond == 5 && !agent.mediaToAnyAddress)
        configuration.sipMaxCalls = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.sipMaxCalls = 10
        configuration.sipInvitesPerSecond = .infinity
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.sipInvitesPerSecond = 0
        configuration.rtpTimeout = .seconds(0)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.rtpTimeout = nil
        try configuration.validate()
        #expect(SIPService.settings(configuration, mediaHost: "h", advertisedHost: "h").agent.invitesPerSecond == nil)
    }
}
