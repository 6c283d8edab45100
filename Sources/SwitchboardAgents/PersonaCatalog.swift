import Foundation

/// A problem in a persona file, located as `file:line: message`.
public struct PersonaProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The persona file's path.
    public var file: String
    /// The line the problem is on (1-based; 0 when it concerns the whole file or directory).
    public var line: Int
    /// What is wrong.
    public var message: String
    /// `file:line: message`.
    public var description: String { "\(file):\(line): \(message)" }

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
}

/// The agents loaded from a personas directory, validated.
public struct PersonaCatalog: Sendable {
    /// The agents, by file name order.
    public let personas: [Persona]
    /// The agent new sessions start with.
    public let defaultPersona: Persona
    /// What callers say that the embedded recognizer must know: the pack's spoken codes and
    /// templates (empty for a catalog loaded on its own).
    public var speech = PackSpeech()

    /// The agent named `name`.
    public func persona(named name: String) -> Persona? {
        personas.first { $0.name == name }
    }

    /// The persona with role `router`, if there is one.
    public var router: Persona? {
        personas.first { $0.role == .router }
    }

    /// The domain agents (role `agent`), the ones the router can hand a caller to.
    public var agents: [Persona] {
        personas.filter { $0.role == .agent }
    }

    /// A catalog of these personas. The default is the first marked default, else the router,
    /// else the first.
    public init(personas: [Persona]) {
        precondition(!personas.isEmpty, "a catalog needs at least one persona")
        self.personas = personas
        self.defaultPersona = personas.first(where: \.isDefault) ?? personas.first { $0.role == .router } ?? personas[0]
    }

    /// Loads and validates every `*.yaml` / `*.yml` in `directory`, without checking tool names
    /// against a registry. Throws `PersonaCatalogError` listing every problem found, each as
    /// `file:line: message`.
    public static func load(directory: String) throws -> PersonaCatalog {
        try load(directory: directory, tools: nil)
    }

    /// Loads and validates every `*.yaml` / `*.yml` in `directory`; a persona that names a tool
    /// not in `knownTools` (the hub's registry) is a problem too.
    public static func load(directory: String, knownTools: some Sequence<String>) throws -> PersonaCatalog {
        try load(directory: directory, tools: Set(knownTools))
    }

    private static func load(directory: String, tools knownTools: Set<String>?) throws -> PersonaCatalog {
        let url = URL(fileURLWithPath: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw PersonaCatalogError(problems: [PersonaProblem(file: directory, line: 0, message: "cannot read the personas directory")])
        }
        var files: [PersonaFile] = []
        var problems: [PersonaProblem] = []
        for name in names {
            let path = url.appendingPathComponent(name).path
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                files.append(try PersonaParser(file: path).parse(text))
            } catch let problem as PersonaProblem {
                problems.append(problem)
            } catch {
                problems.append(PersonaProblem(file: path, line: 0, message: "cannot read the file: \(error)"))
            }
        }
        problems += crossFileProblems(files)
        if let knownTools {
            problems += unknownTools(files, known: knownTools)
        }
        if files.isEmpty && problems.isEmpty {
            problems.append(PersonaProblem(file: directory, line: 0, message: "no persona files (*.yaml) found"))
        }
        guard problems.isEmpty else { throw PersonaCatalogError(problems: problems) }
        return PersonaCatalog(personas: files.map(\.persona))
    }

    /// Parses one persona file on its own (tool names are not checked against a registry).
    public static func parse(_ text: String, file: String) throws(PersonaProblem) -> Persona {
        try PersonaParser(file: file).parse(text).persona
    }

    /// Names used twice, more than one default, more than one router.
    private static func crossFileProblems(_ files: [PersonaFile]) -> [PersonaProblem] {
        var problems: [PersonaProblem] = []
        var seen: [String: String] = [:]
        for file in files {
            let persona = file.persona
            if let other = seen[persona.name] {
                problems.append(PersonaProblem(file: persona.file, line: 1, message: "the name '\(persona.name)' is already used by \(other)"))
            }
            seen[persona.name] = persona.file
        }
        let defaults = files.map(\.persona).filter(\.isDefault)
        if defaults.count > 1 {
            problems.append(PersonaProblem(file: defaults[1].file, line: 1, message: "more than one persona is marked default (also \(defaults[0].file))"))
        }
        let routers = files.filter { $0.persona.role == .router }
        for extra in routers.dropFirst() {
            problems.append(PersonaProblem(file: extra.persona.file, line: extra.roleLine,
                                           message: "only one persona may have role router (also \(routers[0].persona.file))"))
        }
        return problems
    }

    /// Every tool a persona names that the registry does not have.
    private static func unknownTools(_ files: [PersonaFile], known: Set<String>) -> [PersonaProblem] {
        let list = known.sorted().joined(separator: ", ")
        return files.flatMap { file in
            file.toolLines.filter { !known.contains($0.name) }.map {
                PersonaProblem(file: file.persona.file, line: $0.line, message: "unknown tool '\($0.name)' (known: \(list))")
            }
        }
    }
}

/// Every problem found in a personas directory.
public struct PersonaCatalogError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var problems: [PersonaProblem]
    /// One `file:line: message` per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }

    public init(problems: [PersonaProblem]) {
        self.problems = problems
    }
}
