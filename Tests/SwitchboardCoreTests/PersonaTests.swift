import Foundation
import SwitchboardAgents
import SwitchboardCore
import Testing

@Suite("persona files")
struct PersonaTests {
    @Test("a broken file is reported as file:line: message")
    func broken() {
        #expect(throws: PersonaProblem.self) { try PersonaCatalog.parse("name: x\ndescription: [unclosed\n", file: "p.yaml") }
        do {
            _ = try PersonaCatalog.parse("name: Flight Agent\ndescription: d\ninstructions: i\n", file: "p.yaml")
            Issue.record("expected a problem")
        } catch {
            #expect(error.description.hasPrefix("p.yaml:1: "))
        }
        do {
            _ = try PersonaCatalog.parse("name: flight\ndescription: d\ninstructions: i\ncolour: blue\n", file: "p.yaml")
            Issue.record("expected a problem")
        } catch {
            #expect(error.description == "p.yaml:4: unknown field 'colour'")
        }
    }

    @Test("the repository's personas load")
    func repository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = try PersonaCatalog.load(directory: root.appendingPathComponent("Personas/travel/agents").path)
        #expect(catalog.defaultPersona.name == "concierge")
        #expect(catalog.defaultPersona.renderInstructions(customer: .init(name: "Ada")).contains("Ada"))
        #expect(catalog.router?.name == "concierge")
        // The router can only end or transfer the call; the domain agents have the business's tools.
        #expect(catalog.defaultPersona.tools.map(\.name) == ["end_call", "transfer_call"])
        #expect(catalog.agents.map(\.name) == ["flight", "hotel"])
    }

    @Test("a persona's new fields are read, and their mistakes located")
    func newFields() throws {
        let yaml = """
            name: desk
            role: router
            description: d
            instructions: i
            handoff: summary

            """
        let persona = try PersonaCatalog.parse(yaml, file: "p.yaml")
        #expect(persona.role == .router)
        #expect(persona.handoff == .summary)
        do {
            _ = try PersonaCatalog.parse(yaml.replacingOccurrences(of: "handoff: summary", with: "handoff: [keep]"), file: "p.yaml")
            Issue.record("expected a problem")
        } catch {
            #expect(error.description == "p.yaml:5: 'handoff' must be keep or summary (got 'a list or mapping')")
        }
    }
}
