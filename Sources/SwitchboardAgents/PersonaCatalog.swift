import Foundation
import Yams

/// A problem in a persona file, located as `file:line: message`.
public struct PersonaProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// The agents loaded from a personas directory, validated.
public struct PersonaCatalog: Sendable {
    /// The agents, by file name order.
    public let personas: [Persona]
    /// The agent new sessions start with.
    public let defaultPersona: Persona

    /// The agent named `name`.
    public func persona(named name: String) -> Persona? {
        personas.first { $0.name == name }
    }

    /// A catalog of these personas; the first marked default (or the first) is the default.
    public init(personas: [Persona]) {
        precondition(!personas.isEmpty, "a catalog needs at least one persona")
        self.personas = personas
        self.defaultPersona = personas.first(where: \.isDefault) ?? personas[0]
    }

    /// Loads and validates every `*.yaml` / `*.yml` in `directory`.
    /// Throws `PersonaCatalogError` listing every problem found, each as `file:line: message`.
    public static func load(directory: String) throws -> PersonaCatalog {
        let url = URL(fileURLWithPath: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw PersonaCatalogError(problems: [PersonaProblem(file: directory, line: 0, message: "cannot read the personas directory")])
        }
        var personas: [Persona] = []
        var problems: [PersonaProblem] = []
        for name in names {
            let path = url.appendingPathComponent(name).path
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                personas.append(try parse(text, file: path))
            } catch let problem as PersonaProblem {
                problems.append(problem)
            } catch {
                problems.append(PersonaProblem(file: path, line: 0, message: "cannot read the file: \(error)"))
            }
        }
        var seen: [String: String] = [:]
        for persona in personas {
            if let other = seen[persona.name] {
                problems.append(PersonaProblem(file: persona.file, line: 1, message: "the name '\(persona.name)' is already used by \(other)"))
            }
            seen[persona.name] = persona.file
        }
        let defaults = personas.filter(\.isDefault)
        if defaults.count > 1 {
            problems.append(PersonaProblem(file: defaults[1].file, line: 1, message: "more than one persona is marked default (also \(defaults[0].file))"))
        }
        if personas.isEmpty && problems.isEmpty {
            problems.append(PersonaProblem(file: directory, line: 0, message: "no persona files (*.yaml) found"))
        }
        guard problems.isEmpty else { throw PersonaCatalogError(problems: problems) }
        return PersonaCatalog(personas: personas)
    }

    /// Parses one persona file.
    public static func parse(_ text: String, file: String) throws(PersonaProblem) -> Persona {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PersonaProblem(file: file, line: Self.line(of: error), message: "not valid YAML: \(Self.summary(of: error))")
        } catch {
            throw PersonaProblem(file: file, line: 1, message: "not valid YAML: \(error)")
        }
        guard let root = node, let mapping = root.mapping else {
            throw PersonaProblem(file: file, line: 1, message: "a persona must be a mapping of fields (name, description, instructions, …)")
        }
        let known: Set<String> = ["name", "description", "default", "voice", "instructions", "greeting", "capabilities", "fallback",
                                  "routing", "tools", "handoff", "answers", "examples", "keywords"]
        for (key, _) in mapping {
            guard let name = key.string, known.contains(name) else {
                throw PersonaProblem(file: file, line: (key.mark?.line ?? 0), message: "unknown field '\(key.string ?? "?")'")
            }
        }
        func string(_ key: String, required: Bool) throws(PersonaProblem) -> String? {
            guard let value = mapping[key] else {
                if required { throw PersonaProblem(file: file, line: (root.mark?.line ?? 1), message: "missing required field '\(key)'") }
                return nil
            }
            guard let text = value.scalar?.string, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw PersonaProblem(file: file, line: (value.mark?.line ?? 0), message: "'\(key)' must be non-empty text")
            }
            return text
        }
        guard let name = try string("name", required: true) else { fatalError("unreachable") }
        if name.range(of: "^[a-z][a-z0-9_-]*$", options: .regularExpression) == nil {
            throw PersonaProblem(file: file, line: mapping["name"]?.mark?.line ?? 1,
                                 message: "'name' must be lowercase letters, digits, '-' or '_' (got '\(name)')")
        }
        var isDefault = false
        if let value = mapping["default"] {
            guard let flag = value.bool else {
                throw PersonaProblem(file: file, line: value.mark?.line ?? 0, message: "'default' must be true or false")
            }
            isDefault = flag
        }
        var capabilities: [String] = []
        if let value = mapping["capabilities"] {
            guard let sequence = value.sequence else {
                throw PersonaProblem(file: file, line: value.mark?.line ?? 0, message: "'capabilities' must be a list of phrases")
            }
            for item in sequence {
                guard let phrase = item.scalar?.string else {
                    throw PersonaProblem(file: file, line: item.mark?.line ?? 0, message: "each capability must be a phrase")
                }
                capabilities.append(phrase)
            }
        }
        return Persona(
            name: name,
            description: try string("description", required: true) ?? "",
            isDefault: isDefault,
            voice: try string("voice", required: false),
            instructions: try string("instructions", required: true) ?? "",
            greeting: try string("greeting", required: false) ?? "Hello! How can I help you today?",
            capabilities: capabilities,
            fallback: try string("fallback", required: false) ?? "I'm sorry, I don't know that.",
            file: file
        )
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return 1
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default:
            return "\(error)"
        }
    }
}

/// Every problem found in a personas directory.
public struct PersonaCatalogError: Error, Sendable, CustomStringConvertible {
    public var problems: [PersonaProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
