import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore

/// The Twilio Media Streams wire format (bidirectional `<Connect><Stream>`), both ways.
///
/// In: JSON text frames with `event`: `connected`, `start` (stream and call ids, the custom
/// parameters the webhook put in the TwiML, the media format), `media` (base64 μ-law, 20 ms a
/// frame), `dtmf`, `mark` (echoed once the audio before it has played) and `stop`.
/// Out: `media`, `mark` and `clear`, each with the stream's `streamSid`.
/// The caller's number arrives as the `from` custom parameter (Twilio does not put it in
/// `start`); in E.164 it becomes the session key, so calling back resumes the conversation.
final class TwilioMediaStream: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = CallEvent
    typealias OutboundIn = CallCommand
    typealias OutboundOut = WebSocketFrame

    private let logger: Logger
    private let metrics: HubMetrics
    private var streamSid: String?
    private var closing = false
    /// Set when a message means the stream cannot go on (an audio format the hub cannot take).
    private var refusal: (code: WebSocketErrorCode, reason: String)?

    init(logger: Logger, metrics: HubMetrics) {
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: Twilio → call

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            if let event = message(payload) { context.fireChannelRead(wrapInboundOut(event)) }
            if let refusal {
                close(context: context, code: refusal.code, reason: refusal.reason)
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            close(context: context, code: .normalClosure)
        case .binary:
            rejected("binary_frame", "Twilio media streams send JSON text frames")
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    /// Reads one Twilio message; `nil` for messages the call has no use for or cannot read.
    func message(_ payload: ByteBuffer) -> CallEvent? {
        enum Kind { case media, start, dtmf, mark, stop, connected, unknown(String), malformed }
        let kind = payload.withUnsafeReadableBytes { raw -> Kind in
            guard let range = MemberPeek.string("event", in: raw) else { return .malformed }
            if TypePeek.matches(raw, range, "media") { return .media }
            if TypePeek.matches(raw, range, "mark") { return .mark }
            if TypePeek.matches(raw, range, "dtmf") { return .dtmf }
            if TypePeek.matches(raw, range, "start") { return .start }
            if TypePeek.matches(raw, range, "stop") { return .stop }
            if TypePeek.matches(raw, range, "connected") { return .connected }
            return .unknown(String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self))
        }
        switch kind {
        case .media:
            // The hot path: the payload is found by a scan and handed on as a slice, not decoded.
            let found = payload.withUnsafeReadableBytes { raw -> Range<Int>? in
                guard let media = MemberPeek.value("media", in: raw) else { return nil }
                let inner = UnsafeRawBufferPointer(rebasing: raw[media])
                if let track = MemberPeek.string("track", in: inner),
                   !TypePeek.matches(inner, track, "inbound") { return 0..<0 }
                guard let text = MemberPeek.string("payload", in: inner) else { return nil }
                return (media.lowerBound + text.lowerBound)..<(media.lowerBound + text.upperBound)
            }
            guard let found else {
                rejected("invalid_media", "a media message without media.payload")
                return nil
            }
            guard !found.isEmpty, streamSid != nil else { return nil }
            return .audio(.base64(payload.getSlice(at: payload.readerIndex + found.lowerBound, length: found.count)!))
        case .mark:
            guard let name = object(payload)?["mark"]?.objectValue?["name"]?.stringValue else {
                rejected("invalid_mark", "a mark message without mark.name")
                return nil
            }
            return .played(mark: name)
        case .dtmf:
            guard let digit = object(payload)?["dtmf"]?.objectValue?["digit"]?.stringValue, digit.count == 1,
                  let key = digit.first, "0123456789*#ABCDabcd".contains(key) else {
                rejected("invalid_dtmf", "a dtmf message without a single digit")
                return nil
            }
            return .dtmf(Character(key.uppercased()))
        case .start:
            return start(payload)
        case .stop:
            return .ended
        case .connected:
            return nil
        case .unknown(let name):
            logger.debug("ignored a Twilio message", metadata: ["twilio.event": "\(name)"])
            return nil
        case .malformed:
            rejected("invalid_message", "not a JSON object with an event")
            return nil
        }
    }

    private func start(_ payload: ByteBuffer) -> CallEvent? {
        guard streamSid == nil else {
            rejected("duplicate_start", "a second start message")
            return nil
        }
        guard let message = object(payload), let start = message["start"]?.objectValue,
              let sid = start["streamSid"]?.stringValue ?? message["streamSid"]?.stringValue else {
            rejected("invalid_start", "a start message without start.streamSid")
            return nil
        }
        if let format = start["mediaFormat"]?.objectValue {
            let encoding = format["encoding"]?.stringValue ?? "audio/x-mulaw"
            let rate = format["sampleRate"].flatMap { $0.intValue } ?? 8000
            let channels = format["channels"].flatMap { $0.intValue } ?? 1
            guard encoding == "audio/x-mulaw", rate == 8000, channels == 1 else {
                let reason = "media format \(encoding) at \(rate) Hz, \(channels) channel(s); expected audio/x-mulaw at 8000 Hz, mono"
                rejected("unsupported_media_format", reason)
                refusal = (.unacceptableData, reason)
                return nil
            }
        }
        streamSid = sid
        let parameters = start["customParameters"]?.objectValue
        let from = parameters?["from"]?.stringValue ?? parameters?["From"]?.stringValue
        let caller = from.flatMap(SessionKey.init).flatMap { $0.kind == .phoneNumber ? $0 : nil }
        if from != nil, caller == nil { logger.info("the caller's number is not in E.164; the call gets a session of its own") }
        var plan: OutboundCallPlan?
        if parameters?["direction"]?.stringValue == "outbound" {
            plan = OutboundCallPlan(agent: parameters?["agent"]?.stringValue, purpose: parameters?["purpose"]?.stringValue)
        }
        return .started(CallStart(caller: caller, callID: start["callSid"]?.stringValue ?? sid, codec: .g711ulaw, channel: "twilio", outbound: plan))
    }

    private func object(_ payload: ByteBuffer) -> JSONObject? {
        (try? JSONParser.parse(payload.readableBytesView))?.objectValue
    }

    private func rejected(_ code: String, _ message: String) {
        metrics.callDropped("twilio_\(code)")
        logger.info("dropped a Twilio message", metadata: ["error.code": "\(code)", "error.message": "\(message)"])
    }

    // MARK: Call → Twilio

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let streamSid, !closing else {
            if case .hangUp = unwrapOutboundIn(data) { close(context: context, code: .normalClosure) }
            promise?.succeed(())
            return
        }
        let allocator = context.channel.allocator
        var out: ByteBuffer
        switch unwrapOutboundIn(data) {
        case .play(let audio):
            out = allocator.buffer(capacity: 64 + streamSid.utf8.count + audio.readableBytes)
            out.writeString(#"{"event":"media","streamSid":""#)
            out.writeString(streamSid)
            out.writeString(#"","media":{"payload":""#)
            out.writeImmutableBuffer(audio)
            out.writeString(#""}}"#)
        case .mark(let name):
            out = Self.encode(["event": .string("mark"), "streamSid": .string(streamSid),
                               "mark": .object(JSONObject([("name", .string(name))]))], allocator: allocator)
        case .clear:
            out = Self.encode(["event": .string("clear"), "streamSid": .string(streamSid)], allocator: allocator)
        case .hangUp:
            promise?.succeed(())
            close(context: context, code: .normalClosure)
            return
        }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: out)), promise: promise)
    }

    private static func encode(_ members: KeyValuePairs<String, JSONValue>, allocator: ByteBufferAllocator) -> ByteBuffer {
        RealtimeEvent(body: JSONObject(members.map { ($0.key, $0.value) })).encoded(allocator: allocator)
    }

    /// Ends the stream: a close frame, then the connection (the caller's call ends with it).
    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String? = nil) {
        guard !closing else { return }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        if let reason { data.writeString(String(reason.utf8.prefix(120)) ?? "") }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
