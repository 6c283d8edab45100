import Logging
import NIOCore
import NIOEmbedded
import SwitchboardCore
import SwitchboardSIP
import Testing
@testable import SwitchboardTelephony

/// The `callerVerified` flag a SIP call starts with. (The bridge's settings for who proves a
/// caller, `--sip-trust`, `--sip-realm`, `--sip-users`, are tested in SwitchboardServerTests.)
@Suite struct SIPIdentityTests {
    @Test(arguments: [true, false])
    func callStartCarriesWhetherTheCallerWasProven(verified: Bool) throws {
        let media = SIPMedia(remote: SIPEndpoint(host: "127.0.0.1", port: 4000), codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil)
        let handler = RTPCallHandler(callID: { "c" }, caller: SessionKey("+15551230001"), callerVerified: verified, media: media,
                                     metrics: RecordingTelephonyMetrics(), logger: Logger(label: "test")) { _ in }
        let channel = EmbeddedChannel(handler: handler)
        channel.pipeline.fireChannelActive()
        let event = try #require(try channel.readInbound(as: CallEvent.self))
        guard case .started(let start) = event else {
            Issue.record("expected .started, got \(event)")
            return
        }
        #expect(start.caller?.rawValue == "+15551230001")
        #expect(start.callerVerified == verified)
        #expect(start.channel == "sip")
        _ = try? channel.finish()
    }
}
