import Foundation
import SwitchboardCore
import SwitchboardSIP
import Testing
@testable import SwitchboardServer

/// The SIP bridge's settings for who proves a caller (`--sip-trust`, `--sip-realm`,
/// `--sip-users`). (The `callerVerified` flag a SIP call starts with is tested in
/// SwitchboardTelephonyTests.)
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
}
