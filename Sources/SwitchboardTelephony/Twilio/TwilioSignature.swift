import Crypto
import Foundation
import SwitchboardCore

/// Twilio's request signature: base64 HMAC-SHA1, keyed with the account's auth token, of the
/// full URL Twilio requested followed by each POST parameter's name and value, sorted by name.
package struct TwilioSignature: Sendable {
    package let authToken: String

    package init(authToken: String) {
        self.authToken = authToken
    }

    /// The signature of a request to `url` with these form parameters.
    package func sign(url: String, parameters: [(String, String)]) -> String {
        var text = url
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            text += name + value
        }
        let key = SymmetricKey(data: Data(authToken.utf8))
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: key)
        return Data(code).base64EncodedString()
    }

    /// Whether `signature` is this request's (compared in constant time). URLs are tried as
    /// given and with the default port added or removed, as Twilio's own libraries do.
    package func isValid(_ signature: String?, url: String, parameters: [(String, String)]) -> Bool {
        guard let signature, !signature.isEmpty else { return false }
        return Self.variants(of: url).contains { candidate in
            ConstantTime.equals(sign(url: candidate, parameters: parameters), signature)
        }
    }

    /// `url`, and `url` with its scheme's default port spelled out or left out.
    package static func variants(of url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return [url] }
        let defaultPort = ["https": 443, "wss": 443, "http": 80, "ws": 80][scheme]
        if components.port == nil, let defaultPort {
            components.port = defaultPort
        } else if components.port == defaultPort {
            components.port = nil
        } else {
            return [url]
        }
        return [url, components.string ?? url]
    }
}
