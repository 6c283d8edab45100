import Foundation
import SwitchboardCore

extension HubConfiguration: CustomStringConvertible {
    /// Every secret the configuration holds: API keys, the model's and the router's keys, the
    /// Twilio auth token, the packs' secrets (`--secret`), the passwords in `--sessions` and
    /// `--data`, and secret query values in the model and router URLs. ``Redacted/register(_:)``
    /// them so that no log line shows them.
    public var secretValues: [String] {
        var found: [String?] = apiKeys + serverKeys + adminKeys + [secretKey, modelAPIKey, routerAPIKey, twilioAuthToken, webhookSecret]
        found += secrets.keys.sorted().map { secrets[$0] }
        for url in [sessions, data, model, routerURL, publicURL, twilioAPIURL, azureEndpoint, webhookURL] {
            guard let url, let components = URLComponents(string: url) else { continue }
            found.append(components.password)
            found.append(components.percentEncodedPassword)
            for item in components.queryItems ?? [] where Redacted.isSecretParameter(item.name[...]) {
                found.append(item.value)
            }
        }
        return found.compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// The settings that say where things are, secrets hidden: safe to log.
    public var description: String {
        var parts = [
            "host=\(host)", "port=\(port)", "model=\(Redacted.url(model))", "sessions=\(Redacted.url(sessions))",
            "data=\(Redacted.url(data))", "packs=\(packsDirectory)", "api-keys=\(apiKeys.count)", "server-keys=\(serverKeys.count)", "admin-keys=\(adminKeys.count)",
        ]
        if secretKey != nil { parts.append("secret-key=\(Redacted.mask)") }
        if modelAPIKey != nil { parts.append("model-api-key=\(Redacted.mask)") }
        if let routerURL { parts.append("router-url=\(Redacted.url(routerURL))") }
        if routerAPIKey != nil { parts.append("router-api-key=\(Redacted.mask)") }
        if let publicURL { parts.append("public-url=\(Redacted.url(publicURL))") }
        if twilioAuthToken != nil { parts.append("twilio-auth-token=\(Redacted.mask)") }
        if let sipPort { parts.append("sip-port=\(sipPort)") }
        if !secrets.isEmpty { parts.append("secrets=\(secrets.keys.sorted().joined(separator: ","))") }
        return parts.joined(separator: " ")
    }
}
