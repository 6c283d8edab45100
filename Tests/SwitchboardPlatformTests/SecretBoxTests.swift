import Crypto
import Foundation
import Testing
@testable import SwitchboardPlatform

@Suite("sealed secrets")
struct SecretBoxTests {
    static let key = Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8($0 * 11 % 256) }).base64EncodedString()

    @Test("a sealed secret opens for its tenant and name under the same key, and never reads as its value")
    func roundTrip() throws {
        let box = try SecretBox(masterKey: Self.key)
        let value = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        let sealed = try box.seal(value, tenant: "ten_1", name: "crm_token")
        #expect(sealed.hasPrefix("v1:") && !sealed.contains(value) && !sealed.contains("dp7dc"))
        #expect(try box.open(sealed, tenant: "ten_1", name: "crm_token") == value)
        // A fresh nonce each time: the same value never seals the same way twice.
        #expect(try box.seal(value, tenant: "ten_1", name: "crm_token") != sealed)
        #expect(SecretBox.hint(value) == "…p7dc")
        #expect(SecretBox.hint("short") == "…", "a short value gives nothing away")
    }

    @Test("another tenant, another name, another master key or one changed byte: it does not open")
    func bound() throws {
        let box = try SecretBox(masterKey: Self.key)
        let sealed = try box.seal("token-value-1234", tenant: "ten_1", name: "crm_token")
        #expect(throws: PlatformError.self) { try box.open(sealed, tenant: "ten_2", name: "crm_token") }
        #expect(throws: PlatformError.self) { try box.open(sealed, tenant: "ten_1", name: "other") }
        #expect(throws: PlatformError.self) { try SecretBox(masterKey: Self.otherKey).open(sealed, tenant: "ten_1", name: "crm_token") }
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(3)))!)
        for index in [0, 12, bytes.count - 1] {
            bytes[index] ^= 0x01
            let tampered = "v1:" + Data(bytes).base64EncodedString()
            #expect(throws: PlatformError.self) { try box.open(tampered, tenant: "ten_1", name: "crm_token") }
            bytes[index] ^= 0x01
        }
        for garbage in ["", "v1:", "v1:!!!", "v2:" + sealed.dropFirst(3), "v1:" + Data([1, 2, 3]).base64EncodedString()] {
            #expect(throws: PlatformError.self) { try box.open(String(garbage), tenant: "ten_1", name: "crm_token") }
        }
    }

    @Test("a master key that is not 32 bytes of base64 is refused with how to make one")
    func masterKey() {
        for bad in ["", "not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString()] {
            let error = #expect(throws: PlatformError.self) { try SecretBox(masterKey: bad) }
            #expect(error?.message.contains("openssl rand -base64 32") == true)
        }
    }
}
