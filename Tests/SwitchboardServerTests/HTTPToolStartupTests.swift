import Foundation
import Logging
import SwitchboardAgents
import SwitchboardServer
import SwitchboardTools
import Testing

// kind: http at start-up: a secret an http tool sends must be configured, or the hub refuses
// to start naming the tool, its file and the secret (never a value); configured secrets are
// among those the logs hide.

/// A packs directory with one pack whose http tool sends `{{secret.crm_token}}`.
private func crmPacks() throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-http-packs-\(UUID().uuidString)").path
    let files = [
        "crm/pack.yaml": "name: crm\ntitle: CRM\nrouter: desk\n",
        "crm/agents/desk.yaml": "name: desk\nrole: router\ndescription: Greets callers.\ninstructions: You greet callers.\n",
        "crm/agents/contacts.yaml": """
            name: contacts
            role: agent
            description: Contacts.
            instructions: You look up contacts.
            routing:
              examples: [Find my contact record, What tier am I, Is my email on file]
            tools: [lookup_contact]

            """,
        "crm/tools/lookup_contact.yaml": """
            name: lookup_contact
            description: Finds the caller's contact record in the CRM.
            parameters: {type: object, properties: {email: {type: string}}, required: [email]}
            kind: http
            timeout: 5s
            http:
              url: "https://crm.example.com/api/contacts?email={{email}}&customer={{customer_id}}"
              headers:
                Authorization: "Bearer {{secret.crm_token}}"
              fields: {name: /contact/name}

            """,
    ]
    for (path, text) in files {
        let url = URL(fileURLWithPath: root).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return root
}

@Suite("HTTPToolStartupTests: an http tool's secrets at start-up")
struct HTTPToolStartupTests {
    @Test("a missing secret is refused, naming the tool, the file and the secret")
    func missingSecretRefused() async throws {
        let packs = try crmPacks()
        defer { try? FileManager.default.removeItem(atPath: packs) }
        let other = "other-secret-value-J7q2"
        let configuration = testConfiguration {
            $0.packsDirectory = packs
            $0.secrets = ["other": other]
        }
        do {
            _ = try await HubPacks.open(configuration: configuration, logger: Logger(label: "test"))
            Issue.record("the packs opened without the secret")
        } catch let error as PersonaCatalogError {
            #expect(error.description == "\(packs)/crm/tools/lookup_contact.yaml:9: tool 'lookup_contact' needs the secret 'crm_token': "
                + "set SWITCHBOARD_SECRET_CRM_TOKEN or --secret crm_token=VALUE")
            #expect(!error.description.contains(other))
        }
        // The whole hub refuses too.
        await #expect(throws: PersonaCatalogError.self) {
            try await withHub(configuration) { _ in }
        }
    }

    @Test("with the secret the pack opens, and the secret is hidden from logs and the configuration's description")
    func configuredSecretOpens() async throws {
        let packs = try crmPacks()
        defer { try? FileManager.default.removeItem(atPath: packs) }
        let token = "crm-token-value-W3n8"
        let configuration = testConfiguration {
            $0.packsDirectory = packs
            $0.secrets = ["crm_token": token]
        }
        try configuration.validate()
        let opened = try await HubPacks.open(configuration: configuration, logger: Logger(label: "test"))
        #expect(opened.main.tools.names == ["lookup_contact"])
        await opened.shutdown()
        #expect(configuration.secretValues.contains(token))
        #expect(configuration.description.contains("secrets=crm_token"))
        #expect(!configuration.description.contains(token))

        var bad = configuration
        bad.secrets = ["CRM-token": token]
        do {
            try bad.validate()
            Issue.record("a malformed secret name was accepted")
        } catch {
            #expect(error.description.hasPrefix("--secret CRM-token=…: "))
            #expect(!error.description.contains(token))
        }
    }
}
