import Foundation
import SwitchboardAgents
import Testing

/// A valid domain agent; each test breaks one thing.
private let agent = """
    name: flight
    role: agent
    description: Flights.
    instructions: You are the flight agent.
    routing:
      keywords: [flight]
      examples: [Is my flight on time?, Change my flight, How many bags can I check?]
    tools:
      - check_flight_status
      - name: check_change_flight
        triggers: [change]
      - name: confirm_flight_change
        confirms: check_change_flight
    answers:
      check_flight_status:
        found: "Flight {{flight_number}} is {{status}}."
    questions:
      flight_number: Which flight?

    """

/// The problem `yaml` has, as `file:line: message`, or `nil` when it parses.
private func problem(_ yaml: String) -> String? {
    do {
        _ = try PersonaCatalog.parse(yaml, file: "p.yaml")
        return nil
    } catch {
        return error.description
    }
}

/// `agent` with `old` replaced by `new` (which must occur).
private func edited(_ old: String, _ new: String) -> String {
    precondition(agent.contains(old), "the base persona has no '\(old)'")
    return agent.replacingOccurrences(of: old, with: new)
}

@Suite("persona validation")
struct PersonaValidationTests {
    @Test("the base persona parses with every new field")
    func valid() throws {
        let persona = try PersonaCatalog.parse(agent, file: "p.yaml")
        #expect(persona.role == .agent)
        #expect(persona.handoff == .keep)
        #expect(persona.routingKeywords == ["flight"])
        #expect(persona.routingExamples.count == 3)
        #expect(persona.tools == [
            PersonaTool(name: "check_flight_status"),
            PersonaTool(name: "check_change_flight", triggers: ["change"]),
            PersonaTool(name: "confirm_flight_change", confirms: "check_change_flight"),
        ])
        #expect(persona.answers == ["check_flight_status": ["found": "Flight {{flight_number}} is {{status}}."]])
        #expect(persona.questions == ["flight_number": "Which flight?"])
    }

    @Test("unknown fields, at any level", arguments: [
        (edited("role: agent\n", "role: agent\ncolour: blue\n"), "p.yaml:3: unknown field 'colour'"),
        (edited("  keywords: [flight]\n", "  keywords: [flight]\n  weight: 2\n"), "p.yaml:7: unknown field 'weight' in 'routing'"),
        (edited("    triggers: [change]\n", "    triggers: [change]\n    priority: 1\n"),
         "p.yaml:12: unknown field 'priority' in tool 'check_change_flight'"),
    ])
    func unknownField(yaml: String, expected: String) {
        #expect(problem(yaml) == expected)
    }

    @Test("wrong types", arguments: [
        (edited("role: agent", "role: manager"), "p.yaml:2: 'role' must be router or agent (got 'manager')"),
        (edited("role: agent\n", "role: agent\nhandoff: forget\n"), "p.yaml:3: 'handoff' must be keep or summary (got 'forget')"),
        (edited("  keywords: [flight]", "  keywords: flight"), "p.yaml:6: 'routing.keywords' must be a list of words or phrases"),
        (edited("    triggers: [change]", "    triggers: [change, [move]]"),
         "p.yaml:11: each item of 'triggers' must be a word or phrase"),
        (edited("    confirms: check_change_flight", "    fallback: maybe"), "p.yaml:13: 'fallback' must be true or false"),
        (edited("  flight_number: Which flight?", "  flight_number: [Which flight?]"),
         "p.yaml:18: 'questions.flight_number' must be a non-empty question"),
    ])
    func wrongType(yaml: String, expected: String) {
        #expect(problem(yaml) == expected)
    }

    @Test("a domain agent needs routing examples")
    func examples() {
        #expect(problem(edited("[Is my flight on time?, Change my flight, How many bags can I check?]", "[Is my flight on time?]"))
            == "p.yaml:7: a domain agent needs at least 3 routing examples (found 1)")
        let router = edited("role: agent", "role: router")
            .replacingOccurrences(of: "[Is my flight on time?, Change my flight, How many bags can I check?]", with: "[]")
        #expect(problem(router) == nil)
    }

    @Test("tools: names, duplicates, confirms")
    func tools() {
        #expect(problem(edited("confirms: check_change_flight", "confirms: check_hotel_change"))
            == "p.yaml:13: 'confirms' names 'check_hotel_change', which is not one of this persona's tools")
        #expect(problem(edited("confirms: check_change_flight", "confirms: confirm_flight_change"))
            == "p.yaml:13: the tool 'confirm_flight_change' cannot confirm itself")
        #expect(problem(edited("  - check_flight_status\n", "  - check_flight_status\n  - check_flight_status\n"))
            == "p.yaml:10: the tool 'check_flight_status' is listed twice")
        #expect(problem(edited("  - name: check_change_flight\n    triggers: [change]\n", "  - triggers: [change]\n"))
            == "p.yaml:10: missing required field 'name'")
        #expect(problem(edited("  - check_flight_status", "  - Check Status")) == "p.yaml:9: a tool name must be lowercase letters, digits and '_' (got 'Check Status')")
    }

    @Test("answers: only the persona's tools, well-formed templates")
    func answers() {
        #expect(problem(edited("  check_flight_status:\n    found:", "  check_reservation_status:\n    found:"))
            == "p.yaml:15: answers for 'check_reservation_status', which is not one of this persona's tools")
        #expect(problem(edited("\"Flight {{flight_number}} is {{status}}.\"", "\"Flights: {{#bookings}}{{flight_number}}.\""))
            == "p.yaml:16: answers.check_flight_status.found: unclosed section '{{#bookings}}'")
        #expect(problem(edited("\"Flight {{flight_number}} is {{status}}.\"", "\"Flight {{flight_number is {{status}}.\""))
            == "p.yaml:16: answers.check_flight_status.found: '{{' is never closed with '}}'")
        #expect(problem(edited("\"Flight {{flight_number}} is {{status}}.\"", "\"{{#a}}{{/b}}\""))
            == "p.yaml:16: answers.check_flight_status.found: '{{/b}}' closes the section '{{#a}}'")
        #expect(problem(edited("\"Flight {{flight_number}} is {{status}}.\"", "\"Flight }} is {{status}}.\""))
            == "p.yaml:16: answers.check_flight_status.found: '}}' without an opening '{{'")
    }

    @Test("template syntax on its own")
    func templates() {
        #expect(TemplateSyntax.problem(in: "{{#bookings}}{{confirmation}} on {{date | date}}{{/bookings}}") == nil)
        #expect(TemplateSyntax.problem(in: "{{answer}} From {{results.0.title}}.") == nil)
        #expect(TemplateSyntax.problem(in: "{{#a}}{{#b}}{{/b}}") == "unclosed section '{{#a}}'")
        #expect(TemplateSyntax.problem(in: "{{/a}}") == "'{{/a}}' closes a section that was never opened")
        #expect(TemplateSyntax.problem(in: "{{ }}") == "'{{ }}' must name a field")
        #expect(TemplateSyntax.problem(in: "{{date | money}}") == "unknown filter 'money' in '{{date | money}}' (known: date)")
        #expect(TemplateSyntax.fieldNames(in: "{{#r}}{{a.b | date}}{{/r}}") == ["r", "a.b", "r"])
    }
}

@Suite("persona catalog")
struct PersonaCatalogTests {
    /// A fresh directory holding `files` (name → YAML).
    private func directory(_ files: [String: String]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("personas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url.path
    }

    private func problems(_ load: () throws -> PersonaCatalog) -> [String] {
        do {
            _ = try load()
            return []
        } catch let error as PersonaCatalogError {
            return error.problems.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    private let router = "name: desk\nrole: router\ndescription: d\ninstructions: i\n"

    @Test("the router is the default when none is marked")
    func routerDefault() throws {
        let path = try directory(["a.yaml": agent, "b.yaml": router])
        let catalog = try PersonaCatalog.load(directory: path)
        #expect(catalog.defaultPersona.name == "desk")
        #expect(catalog.router?.name == "desk")
        #expect(catalog.agents.map(\.name) == ["flight"])
    }

    @Test("two routers are one too many")
    func twoRouters() throws {
        let second = router.replacingOccurrences(of: "desk", with: "lobby")
        let path = try directory(["a.yaml": router, "b.yaml": second])
        #expect(problems { try PersonaCatalog.load(directory: path) }
            == ["\(path)/b.yaml:2: only one persona may have role router (also \(path)/a.yaml)"])
    }

    @Test("a tool the registry does not have is named with the known ones")
    func unknownTool() throws {
        let path = try directory(["flight.yaml": agent])
        let known: Set<String> = ["check_flight_status", "check_change_flight"]
        #expect(problems { try PersonaCatalog.load(directory: path, knownTools: known) }
            == ["\(path)/flight.yaml:12: unknown tool 'confirm_flight_change' (known: check_change_flight, check_flight_status)"])
        // Without a registry the names are not checked.
        #expect(problems { try PersonaCatalog.load(directory: path) } == [])
    }
}
