// Persona YAML (Personas/*.yaml): PersonaCatalog.parse — Yams composition and every field check
// (routing examples, tools, answers, questions) — and a catalog built from the result.
import FuzzSupport
import SwitchboardAgents
import SwitchboardCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let persona = try? PersonaCatalog.parse(text, file: "fuzz.yaml") else { return 0 }
    let catalog = PersonaCatalog(personas: [persona])
    _ = catalog.persona(named: persona.name)
    return 0
}
