import Foundation
import Yams

/// One persona file, read and checked on its own, with the lines the catalog needs to report
/// problems that involve other files or the hub's tool registry.
struct PersonaFile {
    var persona: Persona
    /// The line of `role:` (the first line of the file when there is none).
    var roleLine: Int
    /// Each tool's name with the line it is named on, in file order.
    var toolLines: [(name: String, line: Int)]
}

/// Reads one persona file: every field checked for type and meaning, problems as `file:line: message`.
struct PersonaParser {
    let file: String

    static let fields: Set<String> = [
        "name", "role", "description", "default", "voice", "instructions", "greeting", "capabilities", "fallback",
        "handoff", "routing", "tools", "answers", "questions",
    ]
    /// The fewest routing examples a domain agent may have.
    static let minimumExamples = 3

    func parse(_ text: String) throws(PersonaProblem) -> PersonaFile {
        let root = try compose(text)
        let fields = try YAMLFields(root, file: file, context: nil,
                                    what: "a persona must be a mapping of fields (name, description, instructions, …)")
        try fields.allowOnly(Self.fields)

        guard let name = try fields.text("name", required: true) else { throw fields.problem(at: 1, "missing required field 'name'") }
        if name.range(of: "^[a-z][a-z0-9_-]*$", options: .regularExpression) == nil {
            throw fields.problem(at: fields.line(of: "name"),
                                 "'name' must be lowercase letters, digits, '-' or '_' (got '\(name)')")
        }
        let role = try fields.choice("role", of: PersonaRole.self, choices: [.router, .agent]) ?? .agent
        var persona = Persona(
            name: name,
            description: try fields.text("description", required: true) ?? "",
            isDefault: try fields.flag("default") ?? false,
            voice: try fields.text("voice"),
            instructions: try fields.text("instructions", required: true) ?? "",
            greeting: try fields.text("greeting") ?? "Hello! How can I help you today?",
            capabilities: try fields.phrases("capabilities", each: "phrase", plural: "phrases") ?? [],
            fallback: try fields.text("fallback") ?? "I'm sorry, I don't know that.",
            file: file,
            role: role,
            handoff: try fields.choice("handoff", of: HandoffContext.self, choices: [.keep, .summary]) ?? .keep
        )
        try readRouting(fields, into: &persona)
        let toolLines = try readTools(fields, into: &persona)
        try readAnswers(fields, into: &persona)
        try readQuestions(fields, into: &persona)
        return PersonaFile(persona: persona, roleLine: fields.line(of: "role"), toolLines: toolLines)
    }

    private func compose(_ text: String) throws(PersonaProblem) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PersonaProblem(file: file, line: Self.line(of: error), message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw PersonaProblem(file: file, line: 1, message: "not valid YAML: \(error)")
        }
        guard let node else {
            throw PersonaProblem(file: file, line: 1, message: "a persona must be a mapping of fields (name, description, instructions, …)")
        }
        return node
    }

    /// `routing: {keywords: [...], examples: [...]}`; a domain agent needs a few examples.
    private func readRouting(_ fields: YAMLFields, into persona: inout Persona) throws(PersonaProblem) {
        var examplesLine = fields.line(of: "name")
        if let node = fields.node("routing") {
            let routing = try YAMLFields(node, file: file, context: "routing",
                                         what: "'routing' must be a mapping with 'keywords' and 'examples'")
            try routing.allowOnly(["keywords", "examples"])
            persona.routingKeywords = try routing.phrases("keywords", each: "word or phrase", plural: "words or phrases") ?? []
            persona.routingExamples = try routing.phrases("examples", each: "example utterance", plural: "example utterances") ?? []
            examplesLine = routing.line(of: "examples")
        }
        if persona.role == .agent, persona.routingExamples.count < Self.minimumExamples {
            throw fields.problem(at: examplesLine,
                                 "a domain agent needs at least \(Self.minimumExamples) routing examples (found \(persona.routingExamples.count))")
        }
    }

    /// `tools:` — each a name, or a mapping with `name`, `triggers`, `fallback`, `confirms`.
    private func readTools(_ fields: YAMLFields, into persona: inout Persona) throws(PersonaProblem) -> [(name: String, line: Int)] {
        guard let node = fields.node("tools") else { return [] }
        guard let sequence = node.sequence else {
            throw fields.problem(at: node.line, "'tools' must be a list of tool names or tool mappings")
        }
        var tools: [PersonaTool] = []
        var lines: [(name: String, line: Int)] = []
        var confirmLines: [String: Int] = [:]
        for item in sequence {
            let tool: PersonaTool
            let line: Int
            if let scalar = item.scalar {
                tool = PersonaTool(name: scalar.string)
                line = item.line
            } else {
                let entry = try YAMLFields(item, file: file, context: "a tool", what: "each tool must be a name or a mapping with 'name'")
                guard let name = try entry.text("name", required: true) else { continue }
                var named = entry
                named.context = "tool '\(name)'"
                try named.allowOnly(["name", "triggers", "fallback", "confirms"])
                tool = PersonaTool(name: name, triggers: try named.phrases("triggers", each: "word or phrase", plural: "words or phrases") ?? [],
                                   isFallback: try named.flag("fallback") ?? false, confirms: try named.text("confirms"))
                line = named.line(of: "name")
                if tool.confirms != nil { confirmLines[name] = named.line(of: "confirms") }
            }
            if tool.name.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) == nil {
                throw fields.problem(at: line, "a tool name must be lowercase letters, digits and '_' (got '\(tool.name)')")
            }
            if tools.contains(where: { $0.name == tool.name }) {
                throw fields.problem(at: line, "the tool '\(tool.name)' is listed twice")
            }
            if tool.isFallback, let other = tools.first(where: \.isFallback) {
                throw fields.problem(at: line, "only one tool may be the fallback ('\(other.name)' already is)")
            }
            tools.append(tool)
            lines.append((tool.name, line))
        }
        for tool in tools {
            guard let target = tool.confirms else { continue }
            let line = confirmLines[tool.name] ?? fields.line(of: "tools")
            if target == tool.name {
                throw fields.problem(at: line, "the tool '\(tool.name)' cannot confirm itself")
            }
            if !tools.contains(where: { $0.name == target }) {
                throw fields.problem(at: line, "'confirms' names '\(target)', which is not one of this persona's tools")
            }
        }
        persona.tools = tools
        return lines
    }

    /// `answers:` — tool → outcome → template; tools must be the persona's, templates well formed.
    private func readAnswers(_ fields: YAMLFields, into persona: inout Persona) throws(PersonaProblem) {
        guard let node = fields.node("answers") else { return }
        let answers = try YAMLFields(node, file: file, context: "answers",
                                     what: "'answers' must be a mapping of tool name to outcome templates")
        var result: [String: [String: String]] = [:]
        for (tool, line, value) in answers.all {
            guard persona.tools.contains(where: { $0.name == tool }) else {
                throw answers.problem(at: line, "answers for '\(tool)', which is not one of this persona's tools")
            }
            let outcomes = try YAMLFields(value, file: file, context: "answers.\(tool)",
                                          what: "'answers.\(tool)' must be a mapping of outcome to template")
            var templates: [String: String] = [:]
            for (outcome, outcomeLine, template) in outcomes.all {
                guard let text = template.scalar?.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw outcomes.problem(at: outcomeLine, "'answers.\(tool).\(outcome)' must be a non-empty template")
                }
                if let problem = TemplateSyntax.problem(in: text) {
                    throw outcomes.problem(at: template.line, "answers.\(tool).\(outcome): \(problem)")
                }
                templates[outcome] = text
                persona.answerLines["\(tool).\(outcome)"] = template.line
            }
            result[tool] = templates
        }
        persona.answers = result
    }

    /// `questions:` — parameter → the question asked when it is missing.
    private func readQuestions(_ fields: YAMLFields, into persona: inout Persona) throws(PersonaProblem) {
        guard let node = fields.node("questions") else { return }
        let questions = try YAMLFields(node, file: file, context: "questions",
                                       what: "'questions' must be a mapping of parameter name to question")
        for (parameter, line, value) in questions.all {
            guard let text = value.scalar?.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw questions.problem(at: value.scalar == nil ? value.line : line, "'questions.\(parameter)' must be a non-empty question")
            }
            persona.questions[parameter] = text
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return 1
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default:
            return "\(error)"
        }
    }
}
