import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RealtimeProtocol
import SwitchboardAudio
import Testing
@testable import SwitchboardTelephony

/// The patch of a bridged transfer on embedded channels: the person called plays an
/// announcement and reports when it was heard, two linked calls hear each other (bytes as they
/// came in one law, converted sample by sample across laws, keys pressed again), and the
/// caller's call is shielded from the session that used to talk on it.
@Suite struct MediaPatchTests {
    /// A command a patch wrote toward its call, comparable.
    enum Sent: Equatable {
        case play([UInt8]), playRaw([UInt8]), mark(String), clear, hangUp, dtmf(String)

        init(_ command: CallCommand) {
            switch command {
            case .play(let audio): self = .play(Array(audio.readableBytesView))
            case .playRaw(let audio): self = .playRaw(Array(audio.readableBytesView))
            case .mark(let name): self = .mark(name)
            case .clear: self = .clear
            case .hangUp: self = .hangUp
            case .dtmf(let keys): self = .dtmf(keys)
            }
        }
    }

    /// Everything written toward the call so far (the call's media handler would get it).
    static func sent(_ channel: EmbeddedChannel) throws -> [Sent] {
        var sent: [Sent] = []
        while let command = try channel.readOutbound(as: CallCommand.self) { sent.append(Sent(command)) }
        return sent
    }

    static func start(_ law: AudioFormat) -> CallEvent {
        .started(CallStart(caller: nil, callID: "consult-1", codec: law, channel: "sip"))
    }

    /// A live call's media with `patch` inserted last, as the bridge does mid-call.
    static func call(_ patch: MediaPatch) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
        try channel.pipeline.syncOperations.addHandler(patch)
        return channel
    }

    @Test func theAnnouncementPlaysInTheAnsweredLawAndIsReportedOnceItsMarkIsPlayed() throws {
        let samples: [Int16] = (0..<320).map { Int16(truncatingIfNeeded: $0 * 97 - 12_000) }
        let announced = NIOLockedValueBox(0)
        let channel = try Self.call(MediaPatch(announcement: samples) { announced.withLockedValue { $0 += 1 } })
        defer { _ = try? channel.finish() }

        // The person answered in A-law: the announcement is encoded so, then marked.
        try channel.writeInbound(Self.start(.g711alaw))
        #expect(try Self.sent(channel) == [.playRaw(G711Law.aLaw.encode(samples)), .mark(MediaPatch.announcementMark)])
        #expect(announced.withLockedValue { $0 } == 0, "not heard until its mark is played")

        // Another mark is not the announcement's end; its own is.
        try channel.writeInbound(CallEvent.played(mark: "something-else"))
        #expect(announced.withLockedValue { $0 } == 0)
        try channel.writeInbound(CallEvent.played(mark: MediaPatch.announcementMark))
        #expect(announced.withLockedValue { $0 } == 1)
        #expect(try channel.readInbound(as: CallEvent.self) == nil, "what the person hears goes to no session")
    }

    @Test func withoutAnAnnouncementThePersonIsReadyOnAnswer() throws {
        let announced = NIOLockedValueBox(0)
        let channel = try Self.call(MediaPatch(announcement: nil) { announced.withLockedValue { $0 += 1 } })
        defer { _ = try? channel.finish() }
        try channel.writeInbound(Self.start(.g711ulaw))
        #expect(announced.withLockedValue { $0 } == 1)
        #expect(try Self.sent(channel) == [])
    }

    /// The caller's call (shielded, in `callerLaw`) and the person's (answered in `personLaw`),
    /// not yet linked.
    static func legs(caller callerLaw: G711Law, person personLaw: G711Law) throws
        -> (caller: (patch: MediaPatch, channel: EmbeddedChannel), person: (patch: MediaPatch, channel: EmbeddedChannel)) {
        let callerPatch = MediaPatch(law: callerLaw)
        let caller = try call(callerPatch)
        #expect(try sent(caller) == [.clear])
        let personPatch = MediaPatch(announcement: nil) {}
        let person = try call(personPatch)
        try person.writeInbound(start(personLaw == .aLaw ? .g711alaw : .g711ulaw))
        return ((callerPatch, caller), (personPatch, person))
    }

    static func link(_ a: (patch: MediaPatch, channel: EmbeddedChannel), _ b: (patch: MediaPatch, channel: EmbeddedChannel)) {
        a.patch.link(to: b.patch, on: b.channel.embeddedEventLoop)
        b.patch.link(to: a.patch, on: a.channel.embeddedEventLoop)
    }

    @Test func linkedCallsHearEachOtherAsTheAudioCameInOneLaw() throws {
        let (caller, person) = try Self.legs(caller: .muLaw, person: .muLaw)
        defer { caller.patch.end(); _ = try? person.channel.finish() }
        let bytes = (0...255).map { UInt8($0) }

        // Before the calls are linked, what the person says reaches nobody.
        try person.channel.writeInbound(CallEvent.audio(.raw(ByteBuffer(bytes: bytes))))
        try caller.channel.embeddedEventLoop.run()
        #expect(try Self.sent(caller.channel) == [])
        #expect(person.patch.forwardedPackets == 0)

        Self.link(caller, person)
        try person.channel.writeInbound(CallEvent.audio(.raw(ByteBuffer(bytes: bytes))))
        try caller.channel.embeddedEventLoop.run()
        #expect(try Self.sent(caller.channel) == [.playRaw(bytes)])
        try caller.channel.writeInbound(CallEvent.audio(.raw(ByteBuffer(bytes: bytes.reversed()))))
        try person.channel.embeddedEventLoop.run()
        #expect(try Self.sent(person.channel) == [.playRaw(bytes.reversed())])

        // A key pressed on one call is pressed again on the other.
        try caller.channel.writeInbound(CallEvent.dtmf("5"))
        try person.channel.embeddedEventLoop.run()
        #expect(try Self.sent(person.channel) == [.dtmf("5")])
        try person.channel.writeInbound(CallEvent.dtmf("#"))
        try caller.channel.embeddedEventLoop.run()
        #expect(try Self.sent(caller.channel) == [.dtmf("#")])
    }

    @Test func linkedCallsInDifferentLawsAreConvertedSampleBySample() throws {
        let (caller, person) = try Self.legs(caller: .aLaw, person: .muLaw)
        defer { caller.patch.end(); _ = try? person.channel.finish() }
        Self.link(caller, person)
        let bytes = (0...255).map { UInt8($0) }

        try caller.channel.writeInbound(CallEvent.audio(.raw(ByteBuffer(bytes: bytes))))
        try person.channel.embeddedEventLoop.run()
        #expect(try Self.sent(person.channel) == [.playRaw(bytes.map { G711Law.muLaw.encode(G711Law.aLaw.decode($0)) })])
        try person.channel.writeInbound(CallEvent.audio(.raw(ByteBuffer(bytes: bytes))))
        try caller.channel.embeddedEventLoop.run()
        #expect(try Self.sent(caller.channel) == [.playRaw(bytes.map { G711Law.aLaw.encode(G711Law.muLaw.decode($0)) })])
    }

    @Test func theShieldedCallIgnoresItsSessionAndEndsOnlyThroughThePatch() throws {
        let patch = MediaPatch(law: .muLaw)
        let channel = try Self.call(patch)
        defer { _ = try? channel.finish() }
        // What the session had queued to play is dropped once, when the patch goes in.
        #expect(try Self.sent(channel) == [.clear])

        // The session's audio, marks and hang-up stop at the patch.
        try channel.writeOutbound(CallCommand.play(ByteBuffer(string: "ERER")))
        try channel.writeOutbound(CallCommand.mark("reply-1"))
        try channel.writeOutbound(CallCommand.hangUp)
        #expect(try Self.sent(channel) == [])

        // Keys it asks for are refused: the call is with a person now.
        let keys = channel.writeAndFlush(CallCommand.dtmf("1"))
        let error = #expect(throws: CallKeysError.self) { try keys.wait() }
        guard case .interrupted? = error else {
            Issue.record("expected the keys to be interrupted, got \(String(describing: error))")
            return
        }
        #expect(try Self.sent(channel) == [])

        // The session closing its end leaves the call up; the patch ends it.
        try channel.close().wait()
        #expect(channel.isActive)
        patch.end()
        #expect(!channel.isActive)
    }
}
