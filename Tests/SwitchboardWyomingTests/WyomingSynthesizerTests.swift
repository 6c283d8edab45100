import NIOCore
import NIOPosix
import RealtimeProtocol
import SwitchboardWyoming
import Synchronization
import Testing

/// A Wyoming voice server written for these tests: it answers `synthesize` as `behaviour` says,
/// `describe` with two voices, and records what it was sent and when a client hung up.
private final class FakeVoiceServer: Sendable {
    enum Behaviour: Sendable {
        /// `audio-start` at `rate`, then `chunks` chunks of 100 samples each (chunk n holds the
        /// values n*100 ..< n*100+100), then `audio-stop`.
        case speak(rate: Int, chunks: Int)
        /// `audio-start`, one chunk, then the connection closes.
        case closeMidAudio
        /// `audio-start` of 32-bit samples.
        case width4
        /// `audio-start`, then a chunk announcing 2 MiB of payload.
        case oversize
        /// Nothing at all.
        case silent
        /// `audio-start`, one chunk, then nothing more (the client decides when to stop).
        case stall
        case error
    }

    let behaviour: Behaviour
    let received = Mutex<[WyomingEvent]>([])
    /// Connections the client closed.
    let hangUps = Mutex(0)
    private let listener: WyomingTestListener

    var port: Int { listener.port }

    init(_ behaviour: Behaviour) async throws {
        self.behaviour = behaviour
        listener = try await WyomingTestListener()
    }

    func serve() async throws {
        try await listener.serve { try await self.answer($0) }
    }

    static func format(rate: Int, width: Int = 2) -> JSONObject {
        JSONObject([("rate", .int(rate)), ("width", .int(width)), ("channels", .int(1))])
    }

    static func chunk(_ index: Int, rate: Int) -> WyomingEvent {
        var bytes: [UInt8] = []
        for value in (index * 100)..<(index * 100 + 100) {
            let sample = UInt16(bitPattern: Int16(value))
            bytes += [UInt8(sample & 0xff), UInt8(sample >> 8)]
        }
        return WyomingEvent(type: "audio-chunk", data: format(rate: rate), payload: bytes)
    }

    private func answer(_ connection: NIOAsyncChannel<WyomingEvent, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            for try await event in inbound {
                received.withLock { $0.append(event) }
                var buffer = ByteBuffer()
                if event.type == "describe" {
                    let voices: [JSONValue] = ["en_US-joe-medium", "en_US-lessac-low"].map { .object(JSONObject([("name", .string($0))])) }
                    let program = JSONValue.object(JSONObject([("name", .string("piper")), ("voices", .array(voices))]))
                    WyomingEvent(type: "info", data: JSONObject([("asr", .array([])), ("tts", .array([program]))])).write(into: &buffer)
                    try await outbound.write(buffer)
                    continue
                }
                guard event.type == "synthesize" else { continue }
                switch behaviour {
                case .speak(let rate, let chunks):
                    WyomingEvent(type: "audio-start", data: Self.format(rate: rate)).write(into: &buffer)
                    for index in 0..<chunks { Self.chunk(index, rate: rate).write(into: &buffer) }
                    WyomingEvent(type: "audio-stop").write(into: &buffer)
                case .closeMidAudio:
                    WyomingEvent(type: "audio-start", data: Self.format(rate: 22_050)).write(into: &buffer)
                    Self.chunk(0, rate: 22_050).write(into: &buffer)
                    try await outbound.write(buffer)
                    return
                case .width4:
                    WyomingEvent(type: "audio-start", data: Self.format(rate: 22_050, width: 4)).write(into: &buffer)
                case .oversize:
                    WyomingEvent(type: "audio-start", data: Self.format(rate: 22_050)).write(into: &buffer)
                    buffer.writeString(#"{"type":"audio-chunk","version":"1.5.2","payload_length":2097152}"# + "\n")
                case .silent:
                    continue
                case .stall:
                    WyomingEvent(type: "audio-start", data: Self.format(rate: 16_000)).write(into: &buffer)
                    Self.chunk(0, rate: 16_000).write(into: &buffer)
                case .error:
                    WyomingEvent(type: "error", data: JSONObject([("text", .string("voice not found"))])).write(into: &buffer)
                }
                try await outbound.write(buffer)
            }
            hangUps.withLock { $0 += 1 }
        }
    }
}

@Suite("the Wyoming text-to-speech client against a server", .timeLimit(.minutes(1)))
struct WyomingSynthesizerTests {
    private func with(_ behaviour: FakeVoiceServer.Behaviour, _ body: (FakeVoiceServer) async throws -> Void) async throws {
        let server = try await FakeVoiceServer(behaviour)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { group.cancelAll() }
            try await body(server)
        }
    }

    private func collect(_ stream: AsyncThrowingStream<WyomingSynthesizer.Chunk, any Error>) async throws -> [WyomingSynthesizer.Chunk] {
        var chunks: [WyomingSynthesizer.Chunk] = []
        for try await chunk in stream { chunks.append(chunk) }
        return chunks
    }

    @Test("a sentence goes as synthesize {text, voice}; its chunks come back in order, at the server's rate", arguments: [16_000, 22_050])
    func speaks(rate: Int) async throws {
        try await with(.speak(rate: rate, chunks: 5)) { server in
            let client = WyomingSynthesizer(host: "127.0.0.1", port: server.port, voice: "en_US-joe-medium", timeout: .seconds(10))
            let chunks = try await collect(client.synthesize("Your flight leaves at nine."))
            #expect(chunks.count == 5)
            #expect(chunks.allSatisfy { $0.sampleRate == rate })
            // Little-endian 16-bit samples, chunk after chunk.
            #expect(chunks.flatMap(\.samples) == (0..<500).map { Int16($0) })
            let request = try #require(server.received.withLock { $0.first })
            #expect(request.type == "synthesize")
            #expect(request.data["text"] == .string("Your flight leaves at nine."))
            #expect(request.data["voice"]?.objectValue?["name"] == .string("en_US-joe-medium"))
            #expect(try await client.voices() == ["en_US-joe-medium", "en_US-lessac-low"])
        }
    }

    @Test("without a voice the request names none (the server's default speaks)")
    func defaultVoice() async throws {
        try await with(.speak(rate: 22_050, chunks: 1)) { server in
            let client = try #require(WyomingSynthesizer(url: "wyoming://127.0.0.1:\(server.port)"))
            #expect(try await collect(client.synthesize("Hello.")).count == 1)
            #expect(server.received.withLock { $0.first?.data["voice"] } == nil)
        }
    }

    @Test("a close mid-audio, 32-bit audio, an oversize chunk, an error and silence are failures, each in time")
    func failures() async throws {
        let cases: [(FakeVoiceServer.Behaviour, Duration, @Sendable (WyomingSynthesizer.Failure) -> Bool)] = [
            (.closeMidAudio, .seconds(8), { $0 == .closed }),
            (.width4, .seconds(8), { if case .unsupportedFormat = $0 { true } else { false } }),
            (.oversize, .seconds(8), { if case .protocolError(let why) = $0 { why.contains("payload_length") } else { false } }),
            (.error, .seconds(8), { $0 == .serverError("voice not found") }),
            (.silent, .milliseconds(800), { $0 == .timedOut }),
            (.stall, .milliseconds(800), { $0 == .timedOut }),
        ]
        for (behaviour, timeout, expected) in cases {
            try await with(behaviour) { server in
                let client = WyomingSynthesizer(host: "127.0.0.1", port: server.port, timeout: timeout, maximumChunkBytes: 1024 * 1024)
                let started = ContinuousClock.now
                await #expect {
                    _ = try await collect(client.synthesize("Hello."))
                } throws: { error in
                    guard let failure = error as? WyomingSynthesizer.Failure else { return false }
                    return expected(failure)
                }
                // Silent and stalled servers never answer: any bound far below forever proves the
                // limit fired (a loaded machine can hold a timer back for seconds).
                #expect(ContinuousClock.now - started < timeout + .seconds(60), "\(behaviour)")
            }
        }
    }

    @Test("more audio than a sentence may have is a failure")
    func tooLong() async throws {
        try await with(.speak(rate: 16_000, chunks: 50)) { server in
            // 50 chunks of 100 samples at 16 kHz: 0.3125 s, over 0.2 s.
            let client = WyomingSynthesizer(host: "127.0.0.1", port: server.port, maximumAudio: .milliseconds(200))
            await #expect(throws: WyomingSynthesizer.Failure.tooLong) { _ = try await collect(client.synthesize("Hello.")) }
        }
    }

    @Test("nothing listening: unreachable, at once; a URL that is not wyoming:// is refused")
    func unreachable() async throws {
        let client = WyomingSynthesizer(host: "127.0.0.1", port: 9, timeout: .seconds(5))
        await #expect {
            _ = try await collect(client.synthesize("Hello."))
        } throws: { error in
            if case .unreachable = error as? WyomingSynthesizer.Failure { return true }
            return false
        }
        #expect(WyomingSynthesizer(url: "http://127.0.0.1:10200") == nil)
        #expect(WyomingSynthesizer(url: "wyoming://127.0.0.1") == nil)
        #expect(WyomingSynthesizer(url: "tcp://[::1]:10200")?.host == "::1")
    }

    @Test("cancelling the consumer stops the sentence and hangs up")
    func cancellation() async throws {
        try await with(.stall) { server in
            let client = WyomingSynthesizer(host: "127.0.0.1", port: server.port, timeout: .seconds(600))
            let firstChunk = Mutex(false)
            let consumer = Task {
                var count = 0
                do {
                    for try await _ in client.synthesize("Hello.") {
                        count += 1
                        firstChunk.withLock { $0 = true }
                    }
                } catch {}
                return count
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while !firstChunk.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            let cancelled = ContinuousClock.now
            consumer.cancel()
            #expect(await consumer.value == 1)
            // Well before the client's own 600 s limit: the cancel stopped it.
            #expect(ContinuousClock.now - cancelled < .seconds(120))
            while server.hangUps.withLock({ $0 }) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(server.hangUps.withLock { $0 } == 1)
        }
    }
}
