import NIOCore
import NIOPosix
import RealtimeProtocol
import SwitchboardWyoming
import Synchronization
import Testing

/// A Wyoming speech server written for these tests: it reads a request's events and answers as
/// `behaviour` says, and records what it was sent.
private final class FakeSpeechServer: Sendable {
    enum Behaviour: Sendable {
        /// `transcript` naming the rate and the number of audio bytes received.
        case transcribe
        case error
        case closeWithoutAnswer
        case silent
        case garbage
    }

    let behaviour: Behaviour
    let received = Mutex<[WyomingEvent]>([])
    private let listener: WyomingTestListener

    var port: Int { listener.port }

    init(_ behaviour: Behaviour) async throws {
        self.behaviour = behaviour
        listener = try await WyomingTestListener()
    }

    func serve() async throws {
        try await listener.serve { try await self.answer($0) }
    }

    private func answer(_ connection: NIOAsyncChannel<WyomingEvent, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var audioBytes = 0
            var rate = 0
            for try await event in inbound {
                received.withLock { $0.append(event) }
                if event.type == "audio-start" { rate = event.data["rate"]?.intValue ?? 0 }
                if event.type == "audio-chunk" { audioBytes += event.payload.count }
                let done = event.type == "audio-stop" || event.type == "describe"
                guard done else { continue }
                var buffer = ByteBuffer()
                switch behaviour {
                case .transcribe where event.type == "describe":
                    WyomingEvent(type: "info", data: JSONObject([("asr", .array([]))])).write(into: &buffer)
                case .transcribe:
                    WyomingEvent(type: "transcript", data: JSONObject([("text", .string(" heard \(audioBytes) bytes at \(rate) "))])).write(into: &buffer)
                case .error:
                    WyomingEvent(type: "error", data: JSONObject([("text", .string("model not loaded"))])).write(into: &buffer)
                case .closeWithoutAnswer:
                    return
                case .silent:
                    try await Task.sleep(for: .seconds(30))
                case .garbage:
                    buffer.writeString("this is not a header\n")
                }
                try await outbound.write(buffer)
            }
        }
    }
}

@Suite("the Wyoming speech-to-text client against a server", .timeLimit(.minutes(1)))
struct WyomingTranscriberTests {
    private func with(_ behaviour: FakeSpeechServer.Behaviour, _ body: (FakeSpeechServer) async throws -> Void) async throws {
        let server = try await FakeSpeechServer(behaviour)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { group.cancelAll() }
            try await body(server)
        }
    }

    @Test("an utterance goes as transcribe, audio-start, chunks of 100 ms and audio-stop; the transcript comes back trimmed")
    func transcribes() async throws {
        try await with(.transcribe) { server in
            let client = WyomingTranscriber(host: "127.0.0.1", port: server.port, timeout: .seconds(10))
            let samples = (0..<8_000).map { Int16(truncatingIfNeeded: $0 * 7) }
            let text = try await client.transcribe(samples, sampleRate: 16_000)
            #expect(text == "heard 16000 bytes at 16000")
            let events = server.received.withLock { $0 }
            #expect(events.first?.type == "transcribe" && events.first?.data["language"] == .string("en"))
            #expect(events.dropFirst().first?.type == "audio-start")
            #expect(events.dropFirst().first?.data == JSONObject([("rate", .int(16_000)), ("width", .int(2)), ("channels", .int(1))]))
            #expect(events.last?.type == "audio-stop")
            let chunks = events.filter { $0.type == "audio-chunk" }
            #expect(chunks.count == 5 && chunks.allSatisfy { $0.payload.count == 3_200 })
            // Little-endian 16-bit samples.
            #expect(Array(chunks[0].payload.prefix(4)) == [0, 0, 7, 0])
            let info = try await client.describe()
            #expect(info.type == "info")
        }
    }

    @Test("a server's error, a close without a transcript, garbage and silence are failures, each in time")
    func failures() async throws {
        // A generous limit where an answer comes (a loaded machine is slow to connect), a short one for silence.
        let cases: [(FakeSpeechServer.Behaviour, WyomingTranscriber.Failure, Duration)] = [
            (.error, .serverError("model not loaded"), .seconds(8)), (.closeWithoutAnswer, .closed, .seconds(8)), (.silent, .timedOut, .milliseconds(800)),
        ]
        for (behaviour, expected, timeout) in cases {
            try await with(behaviour) { server in
                let client = WyomingTranscriber(host: "127.0.0.1", port: server.port, timeout: timeout)
                let started = ContinuousClock.now
                await #expect(throws: expected) { try await client.transcribe([1, 2, 3], sampleRate: 8_000) }
                #expect(ContinuousClock.now - started < .seconds(20))
            }
        }
        try await with(.garbage) { server in
            let client = WyomingTranscriber(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
            await #expect {
                try await client.transcribe([1], sampleRate: 16_000)
            } throws: { error in
                if case .protocolError(let why) = error as? WyomingTranscriber.Failure { return why.contains("not JSON") }
                return false
            }
        }
    }

    @Test("nothing listening: unreachable, at once")
    func unreachable() async throws {
        let client = WyomingTranscriber(host: "127.0.0.1", port: 9, timeout: .seconds(5))
        await #expect {
            try await client.transcribe([1], sampleRate: 16_000)
        } throws: { error in
            if case .unreachable = error as? WyomingTranscriber.Failure { return true }
            return false
        }
    }
}
