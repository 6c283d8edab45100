import Foundation
import LocalModel
import Logging
import NIOCore
import NIOPosix
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardAudio
import SwitchboardCore
import SwitchboardSpeech
import Synchronization
import Testing

/// Real speech for the voice tests: synthesized, resampled, cut into appends.
enum VoiceAudio {
    /// The repository's personas, whose routing examples make the speech domain (as the hub's).
    static let personasDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Personas/travel").path

    /// The process-wide speech of the travel pack: the hub tests share its recognizer.
    static let speech: Result<LocalSpeech, any Error> = Result {
        LocalSpeech.shared(for: try Pack.load(directory: personasDirectory).catalog)
    }

    /// `text` spoken by flite's `voice` or by eSpeak NG, as PCM16 at `rate`.
    static func utterance(_ text: String, engine: SpeechSynthesizer.Engine = .flite, voice: String = "kal16", rate: Int = 24_000) async throws -> [Int16] {
        let audio = try await SpeechSynthesizer().synthesize(text, voice: voice, language: "en-US", engine: engine)
        return try resample(audio.samples, from: audio.sampleRate, to: rate)
    }

    static func resample(_ samples: [Int16], from input: Int, to output: Int) throws -> [Int16] {
        guard input != output else { return samples }
        let resampler = try Resampler(from: input, to: output)
        var out = resampler.process(samples)
        resampler.flush(appendingTo: &out)
        return out
    }

    /// `seconds` of digital silence at `rate`.
    static func silence(seconds: Double, rate: Int = 24_000) -> [Int16] {
        [Int16](repeating: 0, count: Int(seconds * Double(rate)))
    }

    /// White noise at `level` dBFS RMS, seeded.
    static func noise(seconds: Double, level: Double, rate: Int = 24_000, seed: UInt64 = 42) -> [Int16] {
        var state = seed
        let amplitude = pow(10, level / 20) * 32768 * 3.0.squareRoot()
        return (0..<Int(seconds * Double(rate))).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let uniform = Double(state >> 11) / Double(1 << 53) * 2 - 1
            return Int16(max(-32768, min(32767, uniform * amplitude)))
        }
    }

    /// `input_audio_buffer.append` events of `milliseconds` each, in `format`.
    static func appends(_ samples: [Int16], rate: Int = 24_000, milliseconds: Int = 40, format: AudioFormat = .pcm16) -> [String] {
        let step = rate * milliseconds / 1000
        return stride(from: 0, to: samples.count, by: step).map { start in
            let piece = Array(samples[start..<min(samples.count, start + step)])
            let audio: String
            switch format {
            case .pcm16: audio = Base64Audio.encodePCM16(piece)
            case .g711ulaw: audio = Base64Audio.encode(G711Law.muLaw.encode(piece))
            case .g711alaw: audio = Base64Audio.encode(G711Law.aLaw.encode(piece))
            }
            return #"{"type":"input_audio_buffer.append","audio":"\#(audio)"}"#
        }
    }

    /// Seconds of output audio the deltas of `events` hold in `format`.
    static func seconds(ofDeltasIn events: [RealtimeEvent], format: AudioFormat = .pcm16) throws -> Double {
        var bytes = 0
        for event in events where event.type == "response.output_audio.delta" || event.type == "response.audio.delta" {
            bytes += try Base64Audio.decode(event["delta"]?.stringValue ?? "", frameSize: format.bytesPerSample).count
        }
        return Double(bytes / format.bytesPerSample) / Double(format.sampleRate)
    }
}

/// Collects a model session's events as they arrive on its loop.
final class CollectingSink: ModelSink, Sendable {
    let events = Mutex<[RealtimeEvent]>([])
    /// When the first event of each type arrived.
    let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    let closed = Mutex(false)

    func modelReceived(_ event: ByteBuffer) {
        guard let decoded = try? RealtimeEvent.decode(event) else { return }
        let now = ContinuousClock.now
        arrivals.withLock { if $0[decoded.type] == nil { $0[decoded.type] = now } }
        events.withLock { $0.append(decoded) }
    }

    /// The time between the first arrivals of two event types.
    func interval(from first: String, to second: String) -> Duration? {
        arrivals.withLock { arrivals in
            guard let start = arrivals[first], let end = arrivals[second] else { return nil }
            return start.duration(to: end)
        }
    }
    func modelReadComplete() {}
    func modelWritabilityChanged(_ isWritable: Bool) {}
    func modelClosed(_ error: ModelError?) { closed.withLock { $0 = true } }
}

/// One local model session driven through its link on a real event loop, as the hub drives it.
final class VoiceSession: Sendable {
    let loop: any EventLoop
    let sink: CollectingSink
    let dialect: Dialect
    private let box: ModelLinkBox
    private let cursor = Mutex(0)

    private init(loop: any EventLoop, sink: CollectingSink, box: ModelLinkBox, dialect: Dialect) {
        self.loop = loop
        self.sink = sink
        self.box = box
        self.dialect = dialect
    }

    /// A session of `model` in `dialect`, past `session.created`.
    static func open(_ model: LocalRealtimeModel, dialect: Dialect = .ga) async throws -> VoiceSession {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let sink = CollectingSink()
        let request = ModelSessionRequest(dialect: dialect, model: nil, sessionKey: "test", logger: Logger(label: "test.voice"))
        let box = try await loop.flatSubmit { model.connect(request, on: loop, sink: sink) }.get()
        let session = VoiceSession(loop: loop, sink: sink, box: box, dialect: dialect)
        _ = try await session.events(until: "session.created")
        return session
    }

    /// Sends client events, in order, as one batch.
    func send(_ events: [String]) async throws {
        let box = box
        try await loop.submit {
            for event in events { box.link.write(ByteBuffer(string: event)) }
            box.link.flush()
        }.get()
    }

    func send(_ event: String) async throws { try await send([event]) }

    /// The events after the last ones read, up to and including the first of `type`.
    func events(until type: String, timeout: Duration = .seconds(90)) async throws -> [RealtimeEvent] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found: [RealtimeEvent]? = cursor.withLock { cursor in
                sink.events.withLock { events in
                    guard let index = events[cursor...].firstIndex(where: { $0.type == type }) else { return nil }
                    defer { cursor = index + 1 }
                    return Array(events[cursor...index])
                }
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(5))
        }
        let seen = sink.events.withLock { $0.map(\.type) }
        throw VoiceTimeout(waitingFor: type, seen: seen)
    }

    /// Every event received so far after the last ones read (without consuming them).
    var unread: [RealtimeEvent] {
        cursor.withLock { cursor in sink.events.withLock { Array($0[cursor...]) } }
    }

    func close() async throws {
        let box = box
        try await loop.submit { box.link.close() }.get()
        // `VOICE_EVENTS_DIR=<dir>`: every event as a JSON line, to check against the SDK's models
        // (`Tests/sdk/realtime_events.py`).
        if let directory = ProcessInfo.processInfo.environment["VOICE_EVENTS_DIR"] {
            let lines = sink.events.withLock { $0.map(\.jsonString).joined(separator: "\n") }
            let path = "\(directory)/local-\(UUID().uuidString)-\(dialect == .ga ? "ga" : "beta").jsonl"
            try lines.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

struct VoiceTimeout: Error, CustomStringConvertible {
    var waitingFor: String
    var seen: [String]
    var description: String { "no \(waitingFor) in time; seen: \(seen.suffix(40))" }
}

extension [RealtimeEvent] {
    func all(_ type: String) -> [RealtimeEvent] { filter { $0.type == type } }
    func first(_ type: String) -> RealtimeEvent? { first { $0.type == type } }
}

extension JSONValue {
    /// The element at `index` of an array.
    subscript(_ index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
