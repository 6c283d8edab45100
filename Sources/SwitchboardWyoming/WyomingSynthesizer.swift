import NIOCore
import NIOPosix
import RealtimeProtocol

/// A text-to-speech server spoken to over the Wyoming protocol (`wyoming-piper`, any Wyoming TTS
/// server): one TCP connection per sentence, `synthesize` {text, voice: {name}}; the server
/// answers `audio-start` {rate, width, channels}, the audio in `audio-chunk`s, `audio-stop`.
///
/// Only 16-bit mono audio is accepted; its rate is whatever the server says (the caller
/// resamples). Everything is bounded: each chunk's payload, the sentence's audio length, and
/// the time from connecting to `audio-stop`.
public struct WyomingSynthesizer: Sendable {
    public let host: String
    public let port: Int
    /// The voice asked for (`en_US-joe-medium`); `nil`: the server's default voice.
    public let voice: String?
    /// How long one sentence may take, connecting included, until its `audio-stop`.
    public let timeout: Duration
    /// The longest audio one sentence may have.
    public let maximumAudio: Duration
    /// The largest `audio-chunk` payload accepted, in bytes.
    public let maximumChunkBytes: Int
    private let group: any EventLoopGroup

    /// A piece of a sentence's audio: PCM16 mono at `sampleRate`.
    public struct Chunk: Sendable, Hashable {
        public var samples: [Int16]
        public var sampleRate: Int
    }

    public init(host: String, port: Int, voice: String? = nil, timeout: Duration = .seconds(10), maximumAudio: Duration = .seconds(60),
                maximumChunkBytes: Int = 1024 * 1024, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.voice = voice
        self.timeout = timeout
        self.maximumAudio = maximumAudio
        self.maximumChunkBytes = maximumChunkBytes
        self.group = group
    }

    /// A synthesizer for `wyoming://HOST:PORT` (or `tcp://HOST:PORT`); `nil` for anything else.
    public init?(url: String, voice: String? = nil, timeout: Duration = .seconds(10),
                 group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        guard let (host, port) = WyomingAddress.hostAndPort(url) else { return nil }
        self.init(host: host, port: port, voice: voice, timeout: timeout, group: group)
    }

    /// What went wrong with one sentence.
    public enum Failure: Error, Hashable, CustomStringConvertible {
        case unreachable(String)
        case timedOut
        case protocolError(String)
        case serverError(String)
        /// Audio that is not 16-bit mono PCM.
        case unsupportedFormat(String)
        /// More audio than ``WyomingSynthesizer/maximumAudio``.
        case tooLong
        case closed

        public var description: String {
            switch self {
            case .unreachable(let why): "the voice server cannot be reached: \(why)"
            case .timedOut: "the voice server did not finish the sentence in time"
            case .protocolError(let why): "the voice server sent \(why)"
            case .serverError(let why): "the voice server failed: \(why)"
            case .unsupportedFormat(let why): "the voice server sent audio that is not 16-bit mono: \(why)"
            case .tooLong: "the voice server sent more audio than a sentence may have"
            case .closed: "the voice server closed the connection before the end of the audio"
            }
        }
    }

    /// `text` spoken, in chunks as the server sends them. The stream ends after `audio-stop`,
    /// or throws a ``Failure`` (a `CancellationError` when the consumer was cancelled); ending
    /// the iteration early closes the connection.
    public func synthesize(_ text: String) -> AsyncThrowingStream<Chunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Chunk.self)
        let timeout = timeout
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { race in
                    race.addTask { try await self.connectAndSpeak(text, into: continuation) }
                    race.addTask {
                        try await Task.sleep(for: timeout)
                        throw Failure.timedOut
                    }
                    defer { race.cancelAll() }
                    _ = try await race.next()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: Task.isCancelled ? CancellationError() : error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The names of the voices the server offers (`describe` → `info`).
    public func voices() async throws -> [String] {
        let info = try await describe()
        let programs = info.data["tts"]?.arrayValue ?? []
        return programs.flatMap { ($0.objectValue?["voices"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue } }
    }

    /// Asks the server what it is (`describe` → `info`).
    public func describe() async throws -> WyomingEvent {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: WyomingEvent.self) { race in
            race.addTask {
                try await self.withConnection { inbound, outbound in
                    var buffer = ByteBuffer()
                    WyomingEvent(type: "describe").write(into: &buffer)
                    try await outbound.write(buffer)
                    for try await event in inbound where event.type == "info" { return event }
                    throw Failure.closed
                }
            }
            race.addTask {
                try await Task.sleep(for: timeout)
                throw Failure.timedOut
            }
            defer { race.cancelAll() }
            guard let first = try await race.next() else { throw Failure.closed }
            return first
        }
    }

    private func connectAndSpeak(_ text: String, into continuation: AsyncThrowingStream<Chunk, any Error>.Continuation) async throws {
        var request = JSONObject([("text", .string(text))])
        if let voice { request["voice"] = .object(JSONObject([("name", .string(voice))])) }
        let maximumAudio = maximumAudio
        try await withConnection { inbound, outbound in
            var buffer = ByteBuffer()
            WyomingEvent(type: "synthesize", data: request).write(into: &buffer)
            try await outbound.write(buffer)
            var rate: Int?
            var samples = 0
            for try await event in inbound {
                switch event.type {
                case "audio-start":
                    rate = try Self.rate(of: event)
                case "audio-chunk":
                    let chunkRate = try Self.rate(of: event)
                    if let rate, rate != chunkRate { throw Failure.protocolError("an audio-chunk at \(chunkRate) Hz in audio started at \(rate) Hz") }
                    rate = chunkRate
                    guard event.payload.count.isMultiple(of: 2) else { throw Failure.protocolError("an audio-chunk of an odd number of bytes") }
                    samples += event.payload.count / 2
                    guard Duration.seconds(Double(samples) / Double(chunkRate)) <= maximumAudio else { throw Failure.tooLong }
                    continuation.yield(Chunk(samples: Self.samples(event.payload), sampleRate: chunkRate))
                case "audio-stop":
                    return
                case "error":
                    throw Failure.serverError(event.data["text"]?.stringValue ?? event.data["code"]?.stringValue ?? "an error event")
                default:
                    continue
                }
            }
            throw Task.isCancelled ? CancellationError() : Failure.closed
        }
    }

    /// Connects, runs `body` on the connection, closes it.
    private func withConnection<Result: Sendable>(
        _ body: (NIOAsyncChannelInboundStream<WyomingEvent>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<WyomingEvent, ByteBuffer>
        let payloadLimit = maximumChunkBytes
        do {
            channel = try await ClientBootstrap(group: group)
                .channelOption(.connectTimeout, value: WyomingAddress.connectTimeout(timeout))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WyomingEventDecoder(payloadLimit: payloadLimit)))
                        return try NIOAsyncChannel<WyomingEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure.unreachable("\(host):\(port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            do {
                return try await body(inbound, outbound)
            } catch let error as WyomingProtocolError {
                throw Failure.protocolError(error.description)
            } catch let error as ByteToMessageDecoderError {
                throw Failure.protocolError("\(error)")
            }
        }
    }

    /// The rate of an `audio-start` or `audio-chunk`, which must say 16-bit mono.
    private static func rate(of event: WyomingEvent) throws(Failure) -> Int {
        let width = event.data["width"]?.intValue
        let channels = event.data["channels"]?.intValue
        guard width == 2, channels == 1 else {
            throw .unsupportedFormat("\(event.type) of width \(width.map(String.init) ?? "?") and \(channels.map(String.init) ?? "?") channel(s)")
        }
        guard let rate = event.data["rate"]?.intValue, (1_000...192_000).contains(rate) else {
            throw .protocolError("\(event.type) without a rate between 1 and 192 kHz")
        }
        return rate
    }

    /// Little-endian 16-bit samples.
    private static func samples(_ bytes: [UInt8]) -> [Int16] {
        var samples = [Int16](repeating: 0, count: bytes.count / 2)
        for index in samples.indices {
            samples[index] = Int16(bitPattern: UInt16(bytes[2 * index]) | UInt16(bytes[2 * index + 1]) << 8)
        }
        return samples
    }
}
