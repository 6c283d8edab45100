import Crypto
import Foundation

/// Seals tenants' secrets (tool tokens, webhook signing secrets) with AES-256-GCM under the
/// platform's master key (`SWITCHBOARD_MASTER_KEY`: 32 random bytes, base64). Each sealed value
/// is bound to its tenant and name (the additional authenticated data), so a sealed value copied
/// to another tenant or name does not open. Format: `v1:` and the base64 of nonce, ciphertext and
/// tag.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    /// The master key, or why it is refused (without it no secret is stored).
    public init(masterKey base64: String) throws(PlatformError) {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw PlatformError(.invalid, "SWITCHBOARD_MASTER_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
        }
        key = SymmetricKey(data: bytes)
    }

    public func seal(_ value: String, tenant: String, name: String) throws(PlatformError) -> String {
        do {
            let box = try AES.GCM.seal(Data(value.utf8), using: key, authenticating: Self.context(tenant: tenant, name: name))
            guard let combined = box.combined else { throw PlatformError(.unavailable, "the secret could not be sealed") }
            return "v1:" + combined.base64EncodedString()
        } catch let error as PlatformError {
            throw error
        } catch {
            throw PlatformError(.unavailable, "the secret could not be sealed")
        }
    }

    /// The value of `sealed`; throws when it was sealed under another key, for another tenant or
    /// name, or was altered.
    public func open(_ sealed: String, tenant: String, name: String) throws(PlatformError) -> String {
        guard sealed.hasPrefix("v1:"), let combined = Data(base64Encoded: String(sealed.dropFirst(3))),
              let box = try? AES.GCM.SealedBox(combined: combined),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Self.context(tenant: tenant, name: name)),
              let value = String(data: plain, encoding: .utf8) else {
            throw PlatformError(.corrupt, "the secret \(name) does not open with this master key")
        }
        return value
    }

    /// The last four characters of a value long enough to keep the rest hidden, else nothing.
    public static func hint(_ value: String) -> String {
        value.count >= 12 ? "…" + String(value.suffix(4)) : "…"
    }

    private static func context(tenant: String, name: String) -> Data {
        Data("switchboard-secret\u{0}\(tenant)\u{0}\(name)".utf8)
    }
}
