import Foundation
import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardCore
import SwitchboardSIP

/// The Twilio Media Streams wire format (bidirectional `<Connect><Stream>`), both ways.
///
/// In: JSON text frames with `event`: `connected`, `start` (stream and call ids, the custom
/// parameters the webhook put in the TwiML, the media format), `media` (base64 μ-law, 20 ms a
/// frame), `dtmf`, `mark` (echoed once the audio before it has played) and `stop`.
/// Out: `media`, `mark` and `clear`, each with the stream's `streamSid`.
/// The caller's number arrives as the `from` custom parameter (Twilio does not put it in
/// `start`), signed by the hub's TwiML (`TwilioCallerProof`). A proven number in E.164 becomes
/// the session key, so calling back resumes the conversation. An unproven one (no signature, a
/// forged, expired or reused one) ends the stream with 1008 when a Twilio auth token is
/// configured; on a loopback hub without one the call goes on with `callerVerified == false`.
package final class TwilioMediaStream: ChannelDuplexHandler, @unchecked Sendable {
    package typealias InboundIn = WebSocketFrame
    package typealias InboundOut = CallEvent
    package typealias OutboundIn = CallCommand
    package typealias OutboundOut = WebSocketFrame

    private let logger: Logger
    private let metrics: any TelephonyMetrics
    /// Checks the signed caller parameters of `start`.
    package let callerProof: TwilioCallerProof
    private(set) var streamSid: String?
    private var closing = false
    /// Set when a message means the stream cannot go on (an audio format the hub cannot take,
    /// a peer that sends nothing readable).
    private(set) var refusal: (code: WebSocketErrorCode, reason: String)?
    /// Messages of this stream dropped as unreadable, by reason (also counted in the metrics).
    private(set) var dropped: [String: Int] = [:]
    private var droppedTotal = 0
    /// Keys being played as in-band tones, by the mark that follows them: each promise succeeds
    /// when Twilio reports its mark played.
    private var keyMarks: [String: EventLoopPromise<Void>] = [:]
    private var keyPresses = 0

    /// Limits on what a Twilio peer sends; anything beyond them is dropped, never trusted.
    package enum Limits {
        /// Longest `streamSid` (Twilio's are `MZ` and 32 hex digits); it is echoed in every message out.
        package static let streamSid = 128
        /// Longest mark name read back (the bridge's own are `item_id@milliseconds`).
        package static let markName = 256
        /// Longest `callSid`, agent name and purpose taken from `start`.
        package static let callSid = 128
        package static let agent = 64
        package static let purpose = 500
        /// Characters of an untrusted value quoted in a log line or a close reason.
        package static let quoted = 48
        /// Unreadable messages after which the stream is closed (1008): a peer that sends this
        /// many is not a phone call.
        package static let droppedBeforeClosing = 500
        /// Drops logged at info per stream; the rest at debug (the metric counts them all).
        package static let loggedDrops = 10
    }

    /// `callerProof`: the hub's, which signed the TwiML that opened this stream.
    package init(logger: Logger, metrics: any TelephonyMetrics, callerProof: TwilioCallerProof) {
        self.logger = logger
        self.metrics = metrics
        self.callerProof = callerProof
    }

    package func channelInactive(context: ChannelHandlerContext) {
        failKeyPresses("the call ended before the keys were played")
        context.fireChannelInactive()
    }

    private func failKeyPresses(_ why: String) {
        let pending = keyMarks
        keyMarks = [:]
        for promise in pending.values { promise.fail(CallKeysError.interrupted(why)) }
    }

    // MARK: Twilio → call

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard !closing else { return }
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
            if let refusal {
                close(context: context, code: refusal.code, reason: refusal.reason)
            }
        default:
            break
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    /// Reads one Twilio message; `nil` for messages the call has no use for or cannot read.
    package func message(_ payload: ByteBuffer) -> CallEvent? {
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
            guard !found.isEmpty else { return nil }
            guard streamSid != nil else {
                rejected("media_before_start", "a media message before start")
                return nil
            }
            // The payload goes on to the session as it came: it must be whole μ-law frames of
            // standard base64, or the model would be handed garbage.
            let valid = payload.withUnsafeReadableBytes { raw in
                (try? Base64Audio.validatedByteCount(UnsafeRawBufferPointer(rebasing: raw[found]), frameSize: 1)) != nil
            }
            guard valid, let audio = payload.getSlice(at: payload.readerIndex + found.lowerBound, length: found.count) else {
                rejected("invalid_audio", "a media payload that is not base64")
                return nil
            }
            return .audio(.base64(audio))
        case .mark:
            guard let name = object(payload)?["mark"]?.objectValue?["name"]?.stringValue else {
                rejected("invalid_mark", "a mark message without mark.name")
                return nil
            }
            guard name.utf8.count <= Limits.markName else {
                rejected("invalid_mark", "a mark name of \(name.utf8.count) bytes")
                return nil
            }
            if let keys = keyMarks.removeValue(forKey: name) {
                keys.succeed(())
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
            logger.debug("ignored a Twilio message", metadata: ["twilio.event": "\(Self.quoted(name))"])
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
        // The sid is written as it is into every message to Twilio: a short token, nothing to escape.
        guard Self.isToken(sid, maximumLength: Limits.streamSid) else {
            rejected("invalid_start", "a streamSid that is not a short token")
            return nil
        }
        if let formatValue = start["mediaFormat"] {
            if let reason = Self.unsupportedFormat(formatValue) {
                rejected("unsupported_media_format", reason)
                refusal = (.unacceptableData, reason)
                return nil
            }
        }
        let parameters = start["customParameters"]?.objectValue
        let callSid = start["callSid"]?.stringValue.flatMap { Self.isToken($0, maximumLength: Limits.callSid) ? $0 : nil }
        let proof = proven(parameters, callSid: start["callSid"]?.stringValue)
        if proof != .verified, callerProof.required {
            refusal = (.policyViolation, Self.refusalReason(proof))
            return nil
        }
        streamSid = sid
        let from = parameters?["from"]?.stringValue ?? parameters?["From"]?.stringValue
        let caller = from.flatMap { $0.utf8.count <= 64 ? SessionKey($0) : nil }.flatMap { $0.kind == .phoneNumber ? $0 : nil }
        if from != nil, caller == nil { logger.info("the caller's number is not in E.164; the call gets a session of its own") }
        var plan: OutboundCallPlan?
        if parameters?["direction"]?.stringValue == "outbound" {
            let agent = parameters?["agent"]?.stringValue.flatMap { $0.count <= Limits.agent ? $0 : nil }
            let purpose = parameters?["purpose"]?.stringValue.map { String($0.prefix(Limits.purpose)) }
            let message = parameters?["voicemail_message"]?.stringValue.map { String($0.prefix(Limits.purpose)) }
            let voicemail = parameters?["voicemail"]?.stringValue.flatMap { VoicemailAction(name: $0, message: message) } ?? .ignore
            let record = parameters?["record"]?.stringValue.flatMap { $0.utf8.count <= 64 ? $0 : nil }
            let placed = parameters?["placed_at"]?.stringValue.flatMap(Int64.init).map { Date(timeIntervalSince1970: Double($0) / 1000) }
            plan = OutboundCallPlan(agent: agent, purpose: purpose, voicemail: voicemail, recordID: record, placedAt: placed)
            plan?.providerDetects = voicemail != .ignore && parameters?["amd"]?.stringValue == "twilio"
        }
        var call = CallStart(caller: caller, callerVerified: proof == .verified, callID: callSid ?? sid, codec: .g711ulaw,
                             channel: "twilio", outbound: plan)
        call.notice = parameters?["notice"]?.stringValue.flatMap(CallNotice.init(rawValue:))
        // The tenant and agent the signed webhook routed the dialled number to.
        if proof == .verified {
            call.tenant = parameters?["tenant"]?.stringValue.flatMap { $0.utf8.count <= 64 ? $0 : nil }
            call.agent = parameters?["agent"]?.stringValue.flatMap { $0.count <= Limits.agent ? $0 : nil }
        }
        // The number the caller dialled, as the signed webhook passed it on.
        call.dialled = parameters?["to"]?.stringValue.flatMap { $0.utf8.count <= 64 ? SessionKey($0) : nil }
            .flatMap { $0.kind == .phoneNumber ? $0.rawValue : nil }
        return .started(call)
    }

    /// Whether the custom parameters carry this hub's valid, unexpired, unused signature;
    /// counted by outcome, and logged when they do not.
    private func proven(_ parameters: JSONObject?, callSid: String?) -> TwilioCallerProof.Outcome {
        var pairs: [(String, String)] = []
        var readable = true
        for (name, value) in parameters?.members ?? [] {
            guard let text = value.stringValue else {
                readable = false
                continue
            }
            pairs.append((name, text))
        }
        var outcome = callerProof.verify(pairs, callSid: callSid)
        if outcome != .missing, !readable { outcome = .forged }
        metrics.twilioCaller(outcome.rawValue)
        if outcome != .verified {
            logger.warning("the Twilio stream's caller is not proven", metadata: [
                "twilio.caller_proof": "\(outcome.rawValue)", "twilio.refused": "\(callerProof.required)",
            ])
        }
        return outcome
    }

    /// The close reason of a stream whose caller is not proven.
    package static func refusalReason(_ outcome: TwilioCallerProof.Outcome) -> String {
        switch outcome {
        case .verified: return ""
        case .missing: return "the caller is not proven: start carries no signature from this hub's TwiML"
        case .forged: return "the caller is not proven: the stream parameters do not match their signature"
        case .expired: return "the caller is not proven: the stream parameters' signature has expired"
        case .replayed: return "the caller is not proven: the stream parameters were already used"
        }
    }

    /// Why `start.mediaFormat` is not one the hub takes (μ-law, 8 kHz, mono), or `nil` when it
    /// is. Absent members mean Twilio's defaults; numbers are read exactly (1e19, -1, 8000.5 and
    /// "8000" are not 8000) and quoted back shortened.
    package static func unsupportedFormat(_ value: JSONValue) -> String? {
        guard let format = value.objectValue else { return "expected audio/x-mulaw at 8000 Hz, mono; mediaFormat is not an object" }
        let encodingValue = format["encoding"]
        let encoding = encodingValue.map { $0.stringValue ?? $0.jsonString } ?? "audio/x-mulaw"
        let rate = format["sampleRate"].map { exactInteger($0) } ?? 8000
        let channels = format["channels"].map { exactInteger($0) } ?? 1
        guard encoding != "audio/x-mulaw" || rate != 8000 || channels != 1 else { return nil }
        func shown(_ member: String) -> String { format[member].map { quoted($0.jsonString) } ?? "?" }
        // What is expected first: a close reason keeps only its first 120 bytes.
        return "expected audio/x-mulaw at 8000 Hz, mono; got \(quoted(encoding)) at \(shown("sampleRate")) Hz, \(shown("channels")) channel(s)"
    }

    /// A JSON number that is exactly an `Int` (no fraction, in range), else `nil`; never traps.
    package static func exactInteger(_ value: JSONValue) -> Int? {
        guard case .number(let text) = value, text.utf8.count <= 32 else { return nil }
        if let exact = Int(text) { return exact }
        return Double(text).flatMap { Int(exactly: $0) }
    }

    /// Whether `text` is 1…`maximumLength` ASCII letters, digits, `-`, `_`, `.` or `:`.
    package static func isToken(_ text: String, maximumLength: Int) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
                return true
            default:
                return false
            }
        }
    }

    /// `text` cut to a few dozen characters, for a log line or a close reason.
    package static func quoted(_ text: String) -> String {
        text.count <= Limits.quoted ? text : String(text.prefix(Limits.quoted)) + "…"
    }

    private func object(_ payload: ByteBuffer) -> JSONObject? {
        (try? JSONParser.parse(payload.readableBytesView))?.objectValue
    }

    private func rejected(_ code: String, _ message: String) {
        metrics.callDropped("twilio_\(code)")
        dropped[code, default: 0] += 1
        droppedTotal += 1
        let level: Logger.Level = droppedTotal <= Limits.loggedDrops ? .info : .debug
        logger.log(level: level, "dropped a Twilio message", metadata: ["error.code": "\(code)", "error.message": "\(message)"])
        if droppedTotal >= Limits.droppedBeforeClosing, refusal == nil {
            refusal = (.policyViolation, "\(droppedTotal) unreadable Twilio messages")
        }
    }

    // MARK: Call → Twilio

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let streamSid, !closing else {
            switch unwrapOutboundIn(data) {
            case .hangUp: close(context: context, code: .normalClosure)
            case .dtmf:
                promise?.fail(CallKeysError.interrupted("the call's stream is not up"))
                return
            default: break
            }
            promise?.succeed(())
            return
        }
        let allocator = context.channel.allocator
        var out: ByteBuffer
        switch unwrapOutboundIn(data) {
        case .play(let audio):
            out = Self.media(audio, streamSid: streamSid, allocator: allocator)
        case .playRaw(let audio):
            // Twilio carries base64 text: raw call audio is encoded on the way out.
            out = Self.media(ByteBuffer(string: audio.withUnsafeReadableBytes { Base64Audio.encode($0) }), streamSid: streamSid, allocator: allocator)
        case .mark(let name):
            out = Self.mark(name, streamSid: streamSid, allocator: allocator)
        case .clear:
            // Keys still queued are dropped with the rest (Twilio sends their marks back).
            failKeyPresses("the keys were cut off before they played")
            out = Self.encode(["event": .string("clear"), "streamSid": .string(streamSid)], allocator: allocator)
        case .hangUp:
            promise?.succeed(())
            close(context: context, code: .normalClosure)
            return
        case .dtmf(let digits):
            // A stream carries audio, marks and clears, not RFC 4733 events: keys are played as
            // in-band tones, after what is queued, and count as pressed once their mark is back.
            let keys: [DTMFKey]
            do {
                keys = try DTMFKey.parse(digits)
            } catch {
                promise?.fail(CallKeysError.invalidKeys(error.message))
                return
            }
            let tones = InBandTones.encoded(keys, law: .muLaw)
            out = Self.media(ByteBuffer(string: tones.withUnsafeBytes { Base64Audio.encode($0) }), streamSid: streamSid, allocator: allocator)
            keyPresses += 1
            let mark = "switchboard-keys-\(keyPresses)"
            if let promise { keyMarks[mark] = promise }
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: out)), promise: nil)
            out = Self.mark(mark, streamSid: streamSid, allocator: allocator)
            logger.info("pressing keys as tones", metadata: ["call.dtmf_count": "\(keys.count)"])
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: out)), promise: nil)
            return
        }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: out)), promise: promise)
    }

    /// A `media` message carrying `payload` (base64 text of the call's codec) as it is.
    private static func media(_ payload: ByteBuffer, streamSid: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 64 + streamSid.utf8.count + payload.readableBytes)
        out.writeString(#"{"event":"media","streamSid":""#)
        out.writeString(streamSid)
        out.writeString(#"","media":{"payload":""#)
        out.writeImmutableBuffer(payload)
        out.writeString(#""}}"#)
        return out
    }

    private static func mark(_ name: String, streamSid: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        encode(["event": .string("mark"), "streamSid": .string(streamSid), "mark": .object(JSONObject([("name", .string(name))]))], allocator: allocator)
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
        if let reason {
            // A close frame carries at most 123 bytes of reason; cut at a character boundary.
            var cut = ""
            for character in reason {
                guard cut.utf8.count + character.utf8.count <= 120 else { break }
                cut.append(character)
            }
            data.writeString(cut)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
