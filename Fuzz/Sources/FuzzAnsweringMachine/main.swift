// AnsweringMachineDetector: the audio of an outbound call as a carrier delivers it (Twilio Media
// Streams or RTP payloads, with their times), under any configuration. Nothing may trap; the
// clock never runs back; the decisions come in their order (a classification, then for a machine
// the end of its greeting) and `decision` is the last of them.
//
// Input: 8 configuration bytes, then frames: a kind byte (low 2 bits: PCM16 little-endian, μ-law,
// A-law, or silence of the length given; bits 2–3: no time, the time given, a time far back, the
// largest time), a 2-byte big-endian time in 10 ms units, a 2-byte length, then the payload.
import FuzzSupport
import SwitchboardAudio

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    func duration(_ byte: UInt8) -> Int {
        switch byte % 8 {
        case 0: 0
        case 1: -1
        case 2: Int.max
        case 3: Int.min
        default: Int(byte) * 40
        }
    }
    let configuration = AnsweringMachineDetector.Configuration(
        initialSilenceMs: duration(reader.byte()),
        greetingMs: duration(reader.byte()),
        afterGreetingSilenceMs: duration(reader.byte()),
        totalAnalysisMs: duration(reader.byte()),
        maximumWords: Int(reader.byte() % 8) - 1,
        messageEndSilenceMs: duration(reader.byte()),
        minimumBeepMs: duration(reader.byte()),
        beepPurity: Double(reader.byte()) / 200,
        timeToleranceMs: 10,
        maximumConcealmentMs: 500
    )
    var detector = AnsweringMachineDetector(configuration: configuration)
    var lastProcessed = 0
    var frames = 0
    while !reader.isEmpty, frames < 400 {
        frames += 1
        let kind = reader.byte()
        let time = Int(reader.uint16()) * 10
        let length = Int(reader.uint16()) % 4_096
        let at: Int? = switch (kind >> 2) % 4 {
        case 0: nil
        case 1: time
        case 2: -time
        default: Int.max
        }
        switch kind % 4 {
        case 0:
            let payload = reader.take(length * 2)
            let samples = stride(from: 0, to: payload.count - 1, by: 2).map {
                Int16(bitPattern: UInt16(payload[$0]) | UInt16(payload[$0 + 1]) << 8)
            }
            detector.feed(samples, atMs: at)
        case 1: detector.feed(g711: reader.take(length), law: .muLaw, atMs: at)
        case 2: detector.feed(g711: reader.take(length), law: .aLaw, atMs: at)
        default: detector.feed([Int16](repeating: 0, count: length), atMs: at)
        }
        invariant(detector.processedMs >= lastProcessed, "the clock ran back: \(lastProcessed) → \(detector.processedMs)")
        lastProcessed = detector.processedMs
    }
    let reports = detector.reports
    invariant(detector.decision == (reports.last?.decision ?? .undecided), "decision \(detector.decision) is not the last report")
    invariant(reports.count <= 2, "too many decisions: \(reports)")
    if let first = reports.first {
        invariant([.human, .machine, .silence].contains(first.decision), "first decision \(first)")
    }
    if reports.count == 2 {
        invariant(reports[0].decision == .machine, "a second decision after \(reports[0])")
        invariant(reports[1].decision.isFinal && reports[1].decision.isMachine, "second decision \(reports[1])")
        invariant(reports[1].decidedAtMs >= reports[0].decidedAtMs, "decisions out of order: \(reports)")
    }
    return 0
}
