// Runs the answering machine detector over G.711 files, as a call delivers them: 20 ms frames
// (160 bytes) with their times. Built by Benchmarks/amd/evaluate.py together with the audio
// sources it needs (no package build, no speexdsp); reads raw u-law (.ul) or A-law (.al) files
// and prints one JSON object a file.
//
// Usage: amd-eval [--set NAME=VALUE]... [--frame-ms N] FILE...
// NAME is a property of AnsweringMachineDetector.Configuration (greetingMs=1800, beepPurity=0.85).

import Foundation

var configuration = AnsweringMachineDetector.Configuration()
var frameMs = 20
var files: [String] = []
var arguments = CommandLine.arguments.dropFirst()

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

@MainActor func set(_ assignment: String) {
    let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { fail("--set wants NAME=VALUE, not \(assignment)") }
    let name = parts[0], text = parts[1]
    func int() -> Int {
        guard let value = Int(text) else { fail("\(name): not an integer: \(text)") }
        return value
    }
    func double() -> Double {
        guard let value = Double(text) else { fail("\(name): not a number: \(text)") }
        return value
    }
    switch name {
    case "initialSilenceMs": configuration.initialSilenceMs = int()
    case "greetingMs": configuration.greetingMs = int()
    case "afterGreetingSilenceMs": configuration.afterGreetingSilenceMs = int()
    case "totalAnalysisMs": configuration.totalAnalysisMs = int()
    case "minimumWordMs": configuration.minimumWordMs = int()
    case "betweenWordsSilenceMs": configuration.betweenWordsSilenceMs = int()
    case "maximumWords": configuration.maximumWords = int()
    case "maximumWordMs": configuration.maximumWordMs = int()
    case "voiceThreshold": configuration.voiceThreshold = double()
    case "minimumVoiceLevelDBFS": configuration.minimumVoiceLevelDBFS = double()
    case "messageEndSilenceMs": configuration.messageEndSilenceMs = int()
    case "maximumGreetingMs": configuration.maximumGreetingMs = int()
    case "beepLowHz": configuration.beepLowHz = double()
    case "beepHighHz": configuration.beepHighHz = double()
    case "minimumBeepMs": configuration.minimumBeepMs = int()
    case "maximumBeepMs": configuration.maximumBeepMs = int()
    case "beepPurity": configuration.beepPurity = double()
    case "minimumBeepLevelDBFS": configuration.minimumBeepLevelDBFS = double()
    case "beepFrequencyToleranceHz": configuration.beepFrequencyToleranceHz = double()
    case "timeToleranceMs": configuration.timeToleranceMs = int()
    case "maximumConcealmentMs": configuration.maximumConcealmentMs = int()
    default: fail("unknown setting \(name)")
    }
}

while let argument = arguments.popFirst() {
    switch argument {
    case "--set":
        guard let assignment = arguments.popFirst() else { fail("--set wants NAME=VALUE") }
        set(assignment)
    case "--frame-ms":
        guard let text = arguments.popFirst(), let value = Int(text), value > 0 else { fail("--frame-ms wants a number") }
        frameMs = value
    default: files.append(argument)
    }
}

func json(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

for path in files {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let law: G711Law = path.hasSuffix(".al") ? .aLaw : .muLaw
    let codes = [UInt8](data)
    var detector = AnsweringMachineDetector(configuration: configuration)
    let frameBytes = frameMs * 8
    var offset = 0
    while offset < codes.count {
        let end = min(offset + frameBytes, codes.count)
        codes[offset..<end].withUnsafeBytes { _ = detector.feed(g711: $0, law: law, atMs: offset / 8) }
        offset = end
    }
    let reports = detector.reports.map { report -> String in
        var at = "null"
        switch report.decision {
        case .beep(let time), .greetingEnded(let time): at = String(time)
        default: break
        }
        let name = String(describing: report.decision).prefix { $0 != "(" }
        return "{\"decision\":\(json(String(name))),\"at\":\(at),\"decided_ms\":\(report.decidedAtMs),\"reason\":\(json(report.reason.rawValue))}"
    }
    var beep = "null"
    if let heard = detector.beep {
        beep = "{\"start_ms\":\(heard.startMs),\"end_ms\":\(heard.endMs),\"frequency_hz\":\(Int(heard.frequencyHz.rounded()))}"
    }
    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    print("{\"name\":\(json(name)),\"reports\":[\(reports.joined(separator: ","))],\"beep\":\(beep),\"words\":\(detector.words),\"voice_ms\":\(detector.voiceMs),\"first_voice_ms\":\(detector.firstVoiceMs.map(String.init) ?? "null")}")
}
