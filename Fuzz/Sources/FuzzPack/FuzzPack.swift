// A pack's files: tool files (ToolDefinition.parse: YAML, parameters, sql steps, http
// templates), SQL with named parameters and scripts (NamedStatement, SQLScript), generated-value
// patterns and spoken codes (GeneratedPattern, PackSpeech.spokenPatterns).
//
// Input: a mode byte, then the text. Invariants: no trap; a statement's bindings have one value
// per parameter, and rendering it leaves no `:name` of a parameter behind; script statements are
// non-empty and their lines within the text; a generated value has one character per position
// and each from its position's class; spoken patterns are 2 to 16 characters of letters, digits,
// `@` and `#`.
import FuzzSupport
@testable import SwitchboardAgents
import SwitchboardData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let mode = reader.byte() % 4
    let text = String(decoding: reader.rest(), as: UTF8.self)
    switch mode {
    case 0:
        _ = try? ToolDefinition.parse(yaml: text, file: "tools/fuzz.yaml")
    case 1:
        guard let statement = try? NamedStatement(text) else { return 0 }
        let bindings = statement.bindings([:])
        invariant(bindings.count == statement.parameters.count, "one binding per parameter")
        let rendered = statement.rendered { "?\($0)" }
        invariant(rendered.utf8.count <= text.utf8.count + statement.parameters.count * 8 + text.utf8.count * 4,
                  "rendering grows the text only by placeholders")
        _ = statement.isWrite
        _ = statement.keyword
    case 2:
        for engine in ["sqlite", "postgres"] {
            guard let statements = try? SQLScript.statements(text, engine: engine) else { continue }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            for (line, statement) in statements {
                invariant(!statement.isEmpty, "an empty statement")
                invariant(line >= 1 && line <= lines + 1, "line \(line) outside the text's \(lines) lines")
            }
        }
    default:
        if let pattern = GeneratedPattern(text) {
            var generator = SystemRandomNumberGenerator()
            let value = Array(pattern.generate(using: &generator))
            invariant(value.count == pattern.positions.count, "a generated value has one character per position")
            for (character, allowed) in zip(value, pattern.positions) {
                invariant(allowed.contains(character), "a character outside its position's class")
            }
        }
        if let patterns = PackSpeech.spokenPatterns(regex: text) {
            invariant(!patterns.isEmpty && patterns.count <= 4, "one to four variants")
            for pattern in patterns {
                invariant((2...16).contains(pattern.count), "a spoken pattern of \(pattern.count) characters")
                invariant(pattern.allSatisfy { $0 == "@" || $0 == "#" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) },
                          "a spoken pattern with other characters: \(pattern)")
            }
        }
    }
    return 0
}
