import Foundation
import Logging
import NIOCore
import NIOPosix
import RealtimeProtocol

/// A speech-to-text server spoken to over the Wyoming protocol (`wyoming-faster-whisper`, any
/// Wyoming ASR server): one TCP connection per utterance, `transcribe`, `audio-start`, the audio
/// in chunks, `audio-stop`; the server answers `transcript`.
public struct WyomingTranscriber: Sendable {
    public let host: String
    public let port: Int
    /// How long one utterance may take, connecting included.
    public let timeout: Duration
    /// The language asked for (`en`).
    public let language: String?
    private let group: any EventLoopGroup

    /// Bytes of audio per `audio-chunk`: 100 ms at 16 kHz.
    static let chunkBytes = 3_200

    public init(host: String, port: Int, timeout: Duration = .seconds(10), language: String? = "en",
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.language = language
        self.group = group
    }

    /// A transcriber for `wyoming://HOST:PORT` (or `tcp://HOST:PORT`); `nil` for anything else.
    public init?(url: String, timeout: Duration = .seconds(10), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        guard let (host, port) = WyomingAddress.hostAndPort(url) else { return nil }
        self.init(host: host, port: port, timeout: timeout, group: group)
    }

    /// What went wrong with one transcription.
    public enum Failure: Error, Hashable, CustomStringConvertible {
        case unreachable(String)
        case timedOut
        case protocolError(String)
        case serverError(String)
        case closed

        public var description: String {
            switch self {
            case .unreachable(let why): "the speech server cannot be reached: \(why)"
            case .timedOut: "the speech server did not answer in time"
            case .protocolError(let why): "the speech server sent \(why)"
            case .serverError(let why): "the speech server failed: \(why)"
            case .closed: "the speech server closed the connection without a transcript"
            }
        }
    }

    /// The transcript of `samples` (mono 16-bit PCM at `sampleRate`).
    public func transcribe(_ samples: [Int16], sampleRate: Int) async throws -> String {
        var events = [WyomingEvent(type: "transcribe", data: language.map { JSONObject([("language", .string($0))]) } ?? JSONObject())]
        let format = JSONObject([("rate", .int(sampleRate)), ("width", .int(2)), ("channels", .int(1))])
        events.append(WyomingEvent(type: "audio-start", data: format))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * 2)
        for sample in samples {
            let value = UInt16(bitPattern: sample)
            bytes.append(UInt8(value & 0xff))
            bytes.append(UInt8(value >> 8))
        }
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Self.chunkBytes)
            events.append(WyomingEvent(type: "audio-chunk", data: format, payload: Array(bytes[start..<end])))
            start = end
        }
        events.append(WyomingEvent(type: "audio-stop"))
        let answer = try await exchange(events) { $0.type == "transcript" }
        return (answer.data["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Asks the server what it is (`describe` → `info`): whether it answers at all.
    public func describe() async throws -> WyomingEvent {
        try await exchange([WyomingEvent(type: "describe")]) { $0.type == "info" }
    }

    /// Sends `events` on a new connection and returns the first event `isAnswer` accepts.
    private func exchange(_ events: [WyomingEvent], until isAnswer: @escaping @Sendable (WyomingEvent) -> Bool) async throws -> WyomingEvent {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: WyomingEvent.self) { race in
            race.addTask { try await self.connectAndAsk(events, until: isAnswer) }
            race.addTask {
                try await Task.sleep(for: timeout)
                throw Failure.timedOut
            }
            defer { race.cancelAll() }
            guard let first = try await race.next() else { throw Failure.closed }
            return first
        }
    }

    private func connectAndAsk(_ events: [WyomingEvent], until isAnswer: @escaping @Sendable (WyomingEvent) -> Bool) async throws -> WyomingEvent {
        let channel: NIOAsyncChannel<WyomingEvent, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .channelOption(.connectTimeout, value: .milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WyomingEventDecoder()))
                        return try NIOAsyncChannel<WyomingEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure.unreachable("\(host):\(port): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var buffer = ByteBuffer()
            for event in events { event.write(into: &buffer) }
            try await outbound.write(buffer)
            do {
                for try await event in inbound {
                    if isAnswer(event) { return event }
                    if event.type == "error" {
                        throw Failure.serverError(event.data["text"]?.stringValue ?? event.data["code"]?.stringValue ?? "an error event")
                    }
                }
            } catch let error as WyomingProtocolError {
                throw Failure.protocolError(error.description)
            } catch let error as ByteToMessageDecoderError {
                throw Failure.protocolError("\(error)")
            }
            throw Failure.closed
        }
    }
}
