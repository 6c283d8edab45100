import Foundation
import SwitchboardCalls
import SwitchboardCore

extension HubConfiguration {
    /// The webhook settings as the call log takes them.
    var webhooks: CallLog.Webhooks {
        var webhooks = CallLog.Webhooks()
        if let webhookURL { webhooks.endpoints = [webhookURL] }
        if let names = webhookEvents { webhooks.events = Set(names.compactMap(WebhookEventType.init(rawValue:))) }
        return webhooks
    }

    /// Webhooks need an http(s) URL and a secret of at least 16 characters; event names must be known.
    func validateWebhooks() throws(ConfigurationError) {
        if let webhookURL {
            guard let url = URLComponents(string: webhookURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty else {
                throw ConfigurationError("--webhook must be an http(s) URL (got '\(Redacted.url(webhookURL))')")
            }
            guard let webhookSecret, webhookSecret.count >= 16 else {
                throw ConfigurationError("--webhook needs --webhook-secret of at least 16 characters: receivers check each event's Switchboard-Signature with it")
            }
        } else if webhookSecret != nil {
            throw ConfigurationError("--webhook-secret is given without --webhook")
        }
        if let names = webhookEvents {
            let known = WebhookEventType.allCases.map(\.rawValue)
            for name in names where !known.contains(name) {
                throw ConfigurationError("--webhook-events: unknown event '\(name.prefix(64))'; known: \(known.joined(separator: ", "))")
            }
        }
        if !(Duration.seconds(1)...Duration.seconds(120)).contains(webhookTimeout) {
            throw ConfigurationError("--webhook-timeout must be 1-120 seconds")
        }
    }
}
