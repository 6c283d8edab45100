import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SwitchboardCore
import SwitchboardSIP
import Testing
@testable import SwitchboardServer
@testable import SwitchboardTelephony

/// The SIP bridge's settings for who proves a caller (`--sip-trust`, `--sip-realm`,
/// `--sip-users`) and the `callerVerified` flag a SIP call starts with.
@Suite struct SIPIdentityTests {
    func usersFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sip-users-\(UUID().uuidString).txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func configuration(_ adjust: (inout HubConfiguration) -> Void) -> HubConfiguration {
        var configuration = HubConfiguration()
        configuration.sipPort = 0
        adjust(&configuration)
        return configuration
    }

    @Test func defaultsTrustLoopbackOnlyAndRefuseEveryoneElse() throws {
        let authentication = try HubConfiguration().sipAuthentication(advertisedHost: "192.0.2.1")
        #expect(authentication.trusted.contains(host: "127.0.0.1"))
        #expect(authentication.trusted.contains(host: "::1"))
        #expect(!authentication.trusted.contains(host: "192.0.2.50"))
        #expect(authentication.users == nil)
        #expect(authentication.realm == "192.0.2.1")
    }

    @Test func trustRealmAndUsersAreRead() throws {
        let path = try usersFile("# users\nalice:pw:+15551230001\n")
        let authentication = try configuration {
            $0.sipTrust = ["10.255.255.255/32", "2001:db8::/32"]
            $0.sipRealm = "calls.example.com"
            $0.sipUsersFile = path
        }.sipAuthentication(advertisedHost: "192.0.2.1")
        #expect(!authentication.trusted.contains(host: "127.0.0.1"))
        #expect(authentication.trusted.contains(host: "10.255.255.255"))
        #expect(authentication.trusted.contains(host: "2001:db8::5"))
        #expect(authentication.realm == "calls.example.com")
        #expect(authentication.users?["alice"]?.number == "+15551230001")
    }

    @Test func badSettingsStopStartUpWithFileAndLine() throws {
        let bad = try usersFile("alice:pw:+15551230001\nbob:pw:5551230002\n")
        #expect(throws: ConfigurationError.self) { try configuration { $0.sipUsersFile = bad }.validate() }
        do {
            try configuration { $0.sipUsersFile = bad }.validate()
        } catch {
            #expect(error.description == "\(bad):2: '5551230002' is not an E.164 number (+ then 7-15 digits, the first not 0)")
        }
        do {
            try configuration { $0.sipUsersFile = "/nonexistent/users.txt" }.validate()
            Issue.record("a missing users file was accepted")
        } catch {
            #expect(error.description == "/nonexistent/users.txt: cannot read the --sip-users file")
        }
        do {
            try configuration { $0.sipTrust = ["10.0.0.0/40"] }.validate()
            Issue.record("a bad --sip-trust was accepted")
        } catch {
            #expect(error.description == "--sip-trust: '10.0.0.0/40': the prefix length must be 0-32")
        }
        do {
            try configuration { $0.sipDigestAlgorithms = ["SHA-512"] }.validate()
            Issue.record("an unknown digest algorithm was accepted")
        } catch {
            #expect(error.description == "--sip-digest-algorithms: 'SHA-512' is not MD5 or SHA-256")
        }
        #expect(try configuration { $0.sipDigestAlgorithms = ["md5"] }.sipAuthentication(advertisedHost: "h").algorithms == [.md5])
        #expect(try HubConfiguration().sipAuthentication(advertisedHost: "h").algorithms == [.md5, .sha256])
        // Without a SIP port nothing is read.
        var noSIP = HubConfiguration()
        noSIP.sipUsersFile = "/nonexistent/users.txt"
        try noSIP.validate()
    }

    @Test(arguments: [true, false])
    func callStartCarriesWhetherTheCallerWasProven(verified: Bool) throws {
        let media = SIPMedia(remote: SIPEndpoint(host: "127.0.0.1", port: 4000), codec: .pcmu, payloadType: 0, telephoneEventPayloadType: nil)
        let handler = RTPCallHandler(callID: { "c" }, caller: SessionKey("+15551230001"), callerVerified: verified, media: media,
                                     metrics: HubMetrics(), logger: Logger(label: "test")) { _ in }
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
