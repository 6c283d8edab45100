import Foundation
import Logging
import NIOCore
import NIOWebSocket
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardCore

/// Turns a phone call into a realtime client of its session: it sits between a phone bridge's
/// wire format (Twilio Media Streams, RTP) and the session relay, which sees an ordinary
/// realtime client. The caller's audio goes on as `input_audio_buffer.append` in the call's own
/// G.711 codec (the model is asked for that format, so nothing is re-encoded); the agent's audio
/// comes back as play commands followed by marks; a barge-in clears the phone's queue at once
/// and truncates the answer where the caller stopped hearing it; DTMF keys become a user turn.
package final class CallBridge: ChannelDuplexHandler, @unchecked Sendable {
    package typealias InboundIn = CallEvent
    package typealias InboundOut = WebSocketFrame
    package typealias OutboundIn = WebSocketFrame
    package typealias OutboundOut = CallCommand

    /// Called once, on the loop: with the call when it starts (attach the session after this
    /// handler), or with `nil` when the call ends before it started.
    package typealias Start = (CallStart?, ChannelHandlerContext) throws -> Void

    package struct Settings: Sendable {
        /// Keys pressed with no more than this between them form one entry (`#` ends it early).
        package var dtmfGap: TimeAmount = .milliseconds(1500)
        /// The server VAD's silence before the end of a turn.
        package var silenceDurationMilliseconds = 500
    }

    /// The event id prefix of the user message made of the keys a caller pressed, so the hub
    /// can tell keys from words.
    package static let pressedKeysEventPrefix = "evt_dtmf_"

    /// The longest the hang-up at the end of a session waits for the agent's last words to play.
    package static let lastWordsLimit: TimeAmount = .seconds(15)

    private let settings: Settings
    private let logger: Logger
    private let metrics: (any TelephonyMetrics)?
    private var onStart: Start?
    private var call: CallStart?
    private var playback = CallPlayback()
    private var digits = ""
    private var dtmfTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Waiting for the audio sent so far to have played (a hang-up or a transfer after the
    /// agent's last words).
    private var playedOutWaiters: [EventLoopPromise<Void>] = []
    /// Listening for who answered an outbound call (a person or a machine): the caller's audio
    /// goes to the detector, not the session, until a person is heard.
    private var detector: AnsweringMachineDetector?
    private var machineReported = false
    /// A machine answered: its audio is not the conversation's.
    private var answeredByMachine = false
    /// The call's recording, when its pack records calls: fed with both sides as they pass.
    private var recording: CallRecording?
    /// Hears the call's own protocol events, for clients following the call: the phone starting,
    /// finishing and dropping the agent's audio (`output_audio_buffer.started`, `.stopped`,
    /// `.cleared`) and the caller's keys (`input_audio_buffer.dtmf_event_received`).
    package var onCallEvent: (@Sendable (RealtimeEvent) -> Void)?
    /// The response whose audio is playing, for those events.
    private var playingResponse: String?
    /// Waiting for the provider to say who answered (the caller's audio goes nowhere meanwhile).
    private var awaitingProvider = false
    private var providerTimer: Scheduled<Void>?
    /// How long the bridge waits for the provider's answer before the agent speaks anyway
    /// (Twilio's detection of a greeting's end takes up to its 30 s timeout).
    package static let providerDetectionLimit: TimeAmount = .seconds(35)

    package init(settings: Settings = Settings(), logger: Logger, metrics: (any TelephonyMetrics)? = nil, onStart: @escaping Start) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.onStart = onStart
    }

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    package func handlerRemoved(context: ChannelHandlerContext) {
        recording?.callEnded()
        dtmfTimer?.cancel()
        providerTimer?.cancel()
        self.context = nil
        releasePlayedOutWaiters()
    }

    /// Succeeds once the audio sent to the caller so far has been played (at once when none is
    /// playing), or after `limit`, whichever is first; on the channel's event loop.
    package func whenPlayedOut(limit: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        guard playback.isPlaying, context != nil else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        playedOutWaiters.append(promise)
        let timer = eventLoop.scheduleTask(in: limit) { promise.succeed(()) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    /// Presses `digits` on the call (RFC 4733 events on SIP): succeeds once they have been sent,
    /// fails with a `CallKeysError` when the call cannot send them. On the channel's event loop.
    package func sendDTMF(_ digits: String, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        guard let context, call != nil else {
            return eventLoop.makeFailedFuture(CallKeysError.interrupted("the call is not up"))
        }
        let promise = eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.dtmf(digits)), promise: promise)
        return promise.futureResult
    }

    /// Records the call into `recording` from now on (call it from the start callback, so
    /// nothing of the call is missed); on the channel's event loop.
    package func record(_ recording: CallRecording) {
        context?.eventLoop.preconditionInEventLoop()
        self.recording = recording
    }

    private func releasePlayedOutWaiters() {
        let waiters = playedOutWaiters
        playedOutWaiters = []
        // A promise may already have been completed by its time limit.
        for waiter in waiters { waiter.completeWith(.success(())) }
    }

    // MARK: Caller → session

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .started(let start):
            guard call == nil, let onStart else { return }
            self.onStart = nil
            call = start
            do {
                try onStart(start, context)
            } catch {
                logger.error("could not start the call's session", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
            send(Self.sessionUpdate(codec: start.codec, silence: settings.silenceDurationMilliseconds), context: context)
            if let plan = start.outbound {
                // The hub placed this call: the agent speaks first, saying why it calls.
                if let purpose = plan.purpose, !purpose.isEmpty {
                    send(Self.systemMessage(OutboundCall.instruction(purpose: purpose)).encoded(allocator: context.channel.allocator), context: context)
                }
                if plan.voicemail == .ignore {
                    send(RealtimeEvent(type: "response.create").encoded(allocator: context.channel.allocator), context: context)
                } else if plan.providerDetects {
                    // The provider listens; the agent speaks once it reports a person.
                    awaitingProvider = true
                    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
                    providerTimer = context.eventLoop.scheduleTask(in: Self.providerDetectionLimit) {
                        this.value.logger.notice("the provider did not say who answered; the agent speaks")
                        this.value.providerDetected("unknown")
                    }
                } else {
                    // The agent speaks once a person is heard; a machine gets the voicemail action.
                    detector = AnsweringMachineDetector()
                }
            }
            context.fireChannelReadComplete()
        case .audio(let audio):
            guard let call else { return }
            recording?.caller(audio)
            guard !answeredByMachine, !awaitingProvider else { return }
            if detector != nil {
                listen(to: audio, call: call, context: context)
                return
            }
            send(Self.append(audio, allocator: context.channel.allocator), context: context)
        case .dtmf(let key):
            guard call != nil else { return }
            onCallEvent?(RealtimeEvent(type: "input_audio_buffer.dtmf_event_received", [
                ("event_id", .string(RealtimeID.event())), ("event", .string(String(key))),
                ("received_at", .int(Int(Date().timeIntervalSince1970))),
            ]))
            pressed(key, context: context)
        case .played(let mark):
            let wasPlaying = playback.isPlaying
            playback.played(mark: mark)
            if !playback.isPlaying {
                releasePlayedOutWaiters()
                if wasPlaying { audioBufferEvent("output_audio_buffer.stopped") }
            }
        case .ended:
            // The phone side ends the call its way (a close frame, a BYE), then the connection closes.
            recording?.callEnded()
            context.writeAndFlush(wrapOutboundOut(.hangUp), promise: nil)
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        recording?.callEnded()
        dtmfTimer?.cancel()
        releasePlayedOutWaiters()
        if let onStart {
            self.onStart = nil
            try? onStart(nil, context)
        }
        context.fireChannelInactive()
    }

    private func send(_ event: ByteBuffer, context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(WebSocketFrame(fin: true, opcode: .text, data: event)))
    }

    /// Feeds who answered to the detector and acts on its decision: a person (or silence) gets
    /// the agent's first words; a machine is reported, then, at its beep or the end of its
    /// greeting, the voicemail action is due.
    private func listen(to audio: CallAudio, call: CallStart, context: ChannelHandlerContext) {
        guard var detector, let plan = call.outbound else { return }
        let law: G711Law = call.codec == .g711alaw ? .aLaw : .muLaw
        var codes: [UInt8] = []
        switch audio {
        case .base64(let text):
            // Audio that is not base64 is heard as nothing.
            text.withUnsafeReadableBytes { try? Base64Audio.decode($0, frameSize: 1, appendingTo: &codes) }
        case .raw(let bytes):
            codes = Array(bytes.readableBytesView)
        }
        let decision = detector.feed(g711: codes, law: law)
        self.detector = detector
        decided(decision, call: call, plan: plan, context: context)
    }

    /// Who answered, as the detector or the provider decided.
    private func decided(_ decision: AnsweringMachineDecision, call: CallStart, plan: OutboundCallPlan, context: ChannelHandlerContext) {
        switch decision {
        case .undecided:
            break
        case .machine:
            reportMachine(call)
        case .human, .silence:
            self.detector = nil
            logger.info("a person answered the call", metadata: ["call.answered_by": "\(decision == .human ? "human" : "unknown")"])
            call.signals.report(.answeredBy(decision == .human ? .human : .unknown))
            send(RealtimeEvent(type: "response.create").encoded(allocator: context.channel.allocator), context: context)
            context.fireChannelReadComplete()
        case .beep, .greetingEnded:
            self.detector = nil
            reportMachine(call)
            answeredByMachine = true
            logger.info("the machine's greeting ended", metadata: ["call.voicemail": "\(plan.voicemail.name)"])
            call.signals.report(.voicemailReady(plan.voicemail))
        }
    }

    /// The provider's answering machine detection reported (Twilio's `AnsweredBy`: `human`,
    /// `machine_start`, `machine_end_beep`, `machine_end_silence`, `machine_end_other`, `fax`,
    /// `unknown`); on the channel's event loop. Reports after the decision change nothing.
    package func providerDetected(_ answeredBy: String) {
        guard let context, let call, let plan = call.outbound else { return }
        let decision: AnsweringMachineDecision
        switch answeredBy {
        case "human": decision = .human
        case "machine_start": decision = .machine
        case "machine_end_beep": decision = .beep(at: 0)
        case "machine_end_silence", "machine_end_other", "fax": decision = .greetingEnded(at: 0)
        default: decision = .silence
        }
        guard awaitingProvider else { return }
        if decision != .machine {
            awaitingProvider = false
            providerTimer?.cancel()
            providerTimer = nil
        }
        decided(decision, call: call, plan: plan, context: context)
    }

    private func reportMachine(_ call: CallStart) {
        guard !machineReported else { return }
        machineReported = true
        logger.info("an answering machine answered the call")
        call.signals.report(.answeredBy(.machine))
    }

    /// The caller's pressed keys: sent as one user turn at `#` or after a pause.
    private func pressed(_ key: Character, context: ChannelHandlerContext) {
        dtmfTimer?.cancel()
        dtmfTimer = nil
        if key != "#" { digits.append(key) }
        if key == "#" || digits.count >= 32 {
            flushDigits(context: context)
            return
        }
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        dtmfTimer = context.eventLoop.scheduleTask(in: settings.dtmfGap) {
            guard let context = this.value.context else { return }
            this.value.flushDigits(context: context)
        }
    }

    private func flushDigits(context: ChannelHandlerContext) {
        dtmfTimer = nil
        guard !digits.isEmpty else { return }
        let text = digits
        digits = ""
        logger.info("caller pressed keys", metadata: ["call.dtmf_count": "\(text.count)"])
        let item = RealtimeEvent(type: "conversation.item.create", [
            ("event_id", .string(Self.pressedKeysEventPrefix + String(UInt64.random(in: 0 ... .max), radix: 36))),
            ("item", .object(JSONObject([
                ("type", .string("message")), ("role", .string("user")),
                ("content", .array([.object(JSONObject([("type", .string("input_text")), ("text", .string(text))]))])),
            ]))),
        ])
        send(item.encoded(allocator: context.channel.allocator), context: context)
        send(RealtimeEvent(type: "response.create").encoded(allocator: context.channel.allocator), context: context)
        context.fireChannelReadComplete()
    }

    // MARK: Session → caller

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        switch frame.opcode {
        case .text:
            event(frame.data, context: context)
            promise?.succeed(())
        case .connectionClose:
            // The session ended (the agent said goodbye): the caller hears the last words first.
            whenPlayedOut(limit: Self.lastWordsLimit, eventLoop: context.eventLoop).whenComplete { [self] _ in
                guard let context = self.context else {
                    promise?.succeed(())
                    return
                }
                context.writeAndFlush(self.wrapOutboundOut(.hangUp), promise: promise)
            }
        default:
            promise?.succeed(())
        }
    }

    private enum Kind { case audio, speechStarted, error, other }

    private func event(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let kind = buffer.withUnsafeReadableBytes { raw -> Kind in
            guard case .type(let range) = TypePeek.peek(raw) else { return .other }
            if TypePeek.matches(raw, range, "response.output_audio.delta") || TypePeek.matches(raw, range, "response.audio.delta") {
                return .audio
            }
            if TypePeek.matches(raw, range, "input_audio_buffer.speech_started") { return .speechStarted }
            if TypePeek.matches(raw, range, "error") { return .error }
            return .other
        }
        switch kind {
        case .audio:
            let found = buffer.withUnsafeReadableBytes { raw -> (item: String, delta: Range<Int>)? in
                guard let delta = MemberPeek.string("delta", in: raw), let item = MemberPeek.string("item_id", in: raw) else { return nil }
                return (String(decoding: UnsafeRawBufferPointer(rebasing: raw[item]), as: UTF8.self), delta)
            }
            guard let found, !found.delta.isEmpty,
                  let audio = buffer.getSlice(at: buffer.readerIndex + found.delta.lowerBound, length: found.delta.count) else { return }
            // Audio that is not base64 counts for nothing heard.
            let bytes = audio.withUnsafeReadableBytes { (try? Base64Audio.decodedByteCount($0, frameSize: 1)) ?? 0 }
            let wasPlaying = playback.isPlaying
            let mark = playback.sent(item: found.item, bytes: bytes)
            if !wasPlaying, playback.isPlaying, onCallEvent != nil {
                playingResponse = buffer.withUnsafeReadableBytes { raw in
                    MemberPeek.string("response_id", in: raw).map { String(decoding: UnsafeRawBufferPointer(rebasing: raw[$0]), as: UTF8.self) }
                }
                audioBufferEvent("output_audio_buffer.started")
            }
            if bytes > 0 { recording?.agent(base64: audio) }
            context.write(wrapOutboundOut(.play(audio)), promise: nil)
            context.write(wrapOutboundOut(.mark(mark)), promise: nil)
        case .speechStarted:
            guard let cut = playback.interrupt() else { return }
            recording?.cleared()
            releasePlayedOutWaiters()
            audioBufferEvent("output_audio_buffer.cleared")
            context.write(wrapOutboundOut(.clear), promise: nil)
            context.flush()
            let truncate = RealtimeEvent(type: "conversation.item.truncate", [
                ("item_id", .string(cut.item)), ("content_index", .int(0)), ("audio_end_ms", .int(cut.audioEndMilliseconds)),
            ])
            logger.debug("caller barged in", metadata: ["call.heard_ms": "\(cut.audioEndMilliseconds)"])
            if let call { metrics?.callBargeIn(channel: call.channel) }
            send(truncate.encoded(allocator: context.channel.allocator), context: context)
            context.fireChannelReadComplete()
        case .error:
            let message = (try? RealtimeEvent.decode(buffer)).flatMap { RealtimeError(event: $0) }
            logger.warning("the session reported an error", metadata: [
                "error.code": "\((message?.code ?? "").prefix(64))", "error.message": "\((message?.message ?? "").prefix(500))",
            ])
        case .other:
            break
        }
    }

    // MARK: Events the bridge writes

    /// An `output_audio_buffer.*` event for the call's followers.
    private func audioBufferEvent(_ type: String) {
        guard let onCallEvent else { return }
        var members: [(String, JSONValue)] = [("event_id", .string(RealtimeID.event()))]
        if let playingResponse { members.append(("response_id", .string(playingResponse))) }
        onCallEvent(RealtimeEvent(type: type, members))
        if type != "output_audio_buffer.started" { playingResponse = nil }
    }

    /// The call's session settings: G.711 both ways, server VAD that answers and can be
    /// interrupted, transcription of the caller.
    package static func sessionUpdate(codec: AudioFormat, silence: Int) -> ByteBuffer {
        let format = codec.json(in: .ga)
        let turnDetection = JSONValue.object(JSONObject([
            ("type", .string("server_vad")), ("silence_duration_ms", .int(silence)),
            ("create_response", .bool(true)), ("interrupt_response", .bool(true)),
        ]))
        let session = JSONObject([
            ("type", .string("realtime")),
            ("output_modalities", .array([.string("audio")])),
            ("audio", .object(JSONObject([
                ("input", .object(JSONObject([
                    ("format", format),
                    ("transcription", .object(JSONObject([("model", .string("whisper-1"))]))),
                    ("turn_detection", turnDetection),
                ]))),
                ("output", .object(JSONObject([("format", format)]))),
            ]))),
        ])
        return RealtimeEvent(type: "session.update", [("session", .object(session))]).encoded()
    }

    package static func systemMessage(_ text: String) -> RealtimeEvent {
        RealtimeEvent(type: "conversation.item.create", [
            ("item", .object(JSONObject([
                ("type", .string("message")), ("role", .string("system")),
                ("content", .array([.object(JSONObject([("type", .string("input_text")), ("text", .string(text))]))])),
            ]))),
        ])
    }

    private static let appendPrefix = Array(#"{"type":"input_audio_buffer.append","audio":""#.utf8)
    private static let appendSuffix = Array(#""}"#.utf8)

    /// `input_audio_buffer.append` with the caller's audio: base64 copied as it came, raw bytes encoded.
    package static func append(_ audio: CallAudio, allocator: ByteBufferAllocator) -> ByteBuffer {
        switch audio {
        case .base64(let text):
            var out = allocator.buffer(capacity: appendPrefix.count + text.readableBytes + appendSuffix.count)
            out.writeBytes(appendPrefix)
            out.writeImmutableBuffer(text)
            out.writeBytes(appendSuffix)
            return out
        case .raw(let bytes):
            var out = allocator.buffer(capacity: appendPrefix.count + Base64Audio.encodedCount(bytes.readableBytes) + appendSuffix.count)
            out.writeBytes(appendPrefix)
            bytes.withUnsafeReadableBytes { raw in
                _ = out.writeWithUnsafeMutableBytes(minimumWritableBytes: Base64Audio.encodedCount(raw.count)) { Base64Audio.encode(raw, into: $0) }
            }
            out.writeBytes(appendSuffix)
            return out
        }
    }
}
