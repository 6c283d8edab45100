import NIOCore
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardSIP

/// Patches two calls' media together (a bridged transfer): it sits right after a call's
/// `RTPCallHandler` and hands everything the call hears to the other call's patch, which plays
/// it: the RTP payloads as they came (both legs in the same G.711 law: not re-encoded; A-law
/// and μ-law: converted sample by sample), and keys as RFC 4733 events again.
///
/// Before it is linked, a patch on a call the hub placed to a person (the consult leg) plays an
/// announcement once the person answers (who is calling and why) and reports when it has been
/// heard; what the person says meanwhile goes nowhere. A patch on the caller's leg shields the
/// call from the session that used to talk on it: the session's audio, marks, hang-up and close
/// stop here, so the session can end while the caller stays on the line with the person. The
/// call itself ends through ``end()``, when either party hangs up.
package final class MediaPatch: ChannelDuplexHandler, @unchecked Sendable {
    package typealias InboundIn = CallEvent
    package typealias InboundOut = CallEvent
    package typealias OutboundIn = CallCommand
    package typealias OutboundOut = CallCommand

    /// The mark the announcement's end is reported with.
    static let announcementMark = "switchboard-announcement"

    /// This call's law (a placed call's is known once it is answered).
    private var law: G711Law
    /// Raw audio of the announcement, in `law`, played when the call starts (nil: none).
    private var announcement: [Int16]?
    private let onAnnounced: (@Sendable () -> Void)?
    /// Whether writes and closes from the handlers after this one stop here.
    private let shields: Bool
    private var partner: (patch: MediaPatch, loop: any EventLoop)?
    private var context: ChannelHandlerContext?
    private(set) var forwardedPackets = 0

    /// A patch for the leg the hub placed to a person: plays `announcement` (PCM16 at 8 kHz)
    /// once they answer, in the law they answered with, then calls `onAnnounced`.
    package init(announcement: [Int16]?, onAnnounced: @escaping @Sendable () -> Void) {
        self.law = .muLaw
        self.announcement = announcement
        self.onAnnounced = onAnnounced
        self.shields = false
    }

    /// A patch for the caller's leg, inserted when the person is ready: it shields the call from
    /// its session from then on.
    package init(law: G711Law) {
        self.law = law
        self.announcement = nil
        self.onAnnounced = nil
        self.shields = true
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The caller's leg: whatever its session had queued to play is not for the person's call.
        if shields { context.writeAndFlush(wrapOutboundOut(.clear), promise: nil) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends what this call hears to `other` (on its `loop`) from now on. On this patch's loop.
    package func link(to other: MediaPatch, on loop: any EventLoop) {
        partner = (other, loop)
    }

    /// Ends this leg: closes its media (the call's handler sends BYE). On this patch's loop.
    package func end() {
        guard let context else { return }
        context.close(promise: nil)
    }

    // MARK: What this call hears

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .started(let start):
            law = start.codec == .g711alaw ? .aLaw : .muLaw
            guard let samples = announcement else {
                onAnnounced?()
                return
            }
            announcement = nil
            var audio = context.channel.allocator.buffer(capacity: samples.count)
            audio.writeBytes(law.encode(samples))
            context.write(wrapOutboundOut(.playRaw(audio)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.mark(Self.announcementMark)), promise: nil)
        case .played(let mark):
            if mark == Self.announcementMark { onAnnounced?() }
        case .audio(let audio):
            guard let partner, case .raw(let bytes) = audio else { return }
            let law = self.law
            forwardedPackets += 1
            partner.loop.execute { partner.patch.play(bytes, law: law) }
        case .dtmf(let key):
            guard let partner else { return }
            partner.loop.execute { partner.patch.press(String(key)) }
        case .ended:
            break
        }
    }

    package func channelReadComplete(context: ChannelHandlerContext) {}

    /// Plays the other call's audio (in `source`'s law) on this one.
    private func play(_ audio: ByteBuffer, law source: G711Law) {
        let audio = source == law ? audio : Self.convert(audio, from: source, to: law)
        context?.writeAndFlush(wrapOutboundOut(.playRaw(audio)), promise: nil)
    }

    /// Presses a key the other party pressed.
    private func press(_ key: String) {
        context?.writeAndFlush(wrapOutboundOut(.dtmf(key)), promise: nil)
    }

    static func convert(_ bytes: ByteBuffer, from source: G711Law, to target: G711Law) -> ByteBuffer {
        var out = bytes
        out.withUnsafeMutableReadableBytes { raw in
            for index in raw.indices { raw[index] = target.encode(source.decode(raw[index])) }
        }
        return out
    }

    // MARK: What the session behind a shielded call asks

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard shields else { return context.write(data, promise: promise) }
        if case .dtmf = unwrapOutboundIn(data) {
            promise?.fail(CallKeysError.interrupted("the call was put through to a person"))
            return
        }
        promise?.succeed(())
    }

    package func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard shields else { return context.close(mode: mode, promise: promise) }
        promise?.succeed(())
    }
}
