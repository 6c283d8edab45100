import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardSIP
import Testing
@testable import SwitchboardTelephony

/// Keys pressed on a Twilio call: a media stream carries only audio, so each key is played as
/// its two in-band DTMF tones, and counts as pressed once Twilio echoes the mark after them.
@Suite struct TwilioKeysTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static let start = #"{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{"from":"+15551234567"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#

    /// The amplitude of `frequency` in `samples` at 8 kHz (Goertzel), in sample units.
    static func amplitude(_ samples: ArraySlice<Int16>, at frequency: Double) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / 8000)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            (s1, s2) = (Double(sample) + coefficient * s1 - s2, s1)
        }
        return 2 * (s1 * s1 + s2 * s2 - coefficient * s1 * s2).squareRoot() / Double(samples.count)
    }

    // Keypad rows and columns: 1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D.
    static let rows: [Double] = [697, 770, 852, 941]
    static let columns: [Double] = [1209, 1336, 1477, 1633]

    @Test(arguments: Array("123A456B789C*0#D").enumerated().map { ($0.offset, $0.element) })
    func eachKeyIsItsRowAndColumnToneThenSilence(_ position: Int, _ key: Character) throws {
        let samples = InBandTones.samples([try #require(DTMFKey(key))])
        // 100 ms of tone, then 100 ms of silence.
        #expect(samples.count == 1600)
        #expect(samples[800...].allSatisfy { $0 == 0 })
        let tone = samples[..<800]
        #expect(tone[..<80].contains { abs(Int($0)) > 1000 } && tone[720...].contains { abs(Int($0)) > 1000 }, "the tone fills all 100 ms")
        #expect(tone.map { abs(Int($0)) }.max()! < Int(Int16.max), "no clipping")
        let expected = [Self.rows[position / 4], Self.columns[position % 4]]
        // The two tones' sum peaks at −9 dBFS (about 11600): each is about 5800, less its 5 ms ramps.
        let strong = expected.map { Self.amplitude(tone, at: $0) }
        #expect(strong.allSatisfy { $0 > 4500 }, "\(key): \(strong)")
        for other in Self.rows + Self.columns where !expected.contains(other) {
            let energy = pow(Self.amplitude(tone, at: other), 2)
            #expect(energy < pow(strong.min()!, 2) / 10, "\(key) at \(other) Hz")
        }
    }

    @Test func aPauseIsHalfASecondOfSilenceAndKeysFollowInOrder() throws {
        #expect(InBandTones.samples([.pause]) == [Int16](repeating: 0, count: 4000))
        let keys = try DTMFKey.parse("1w#")
        #expect(InBandTones.samples(keys) == InBandTones.samples([keys[0]]) + [Int16](repeating: 0, count: 4000) + InBandTones.samples([keys[2]]))
        #expect(InBandTones.encoded(keys, law: .muLaw) == G711Law.muLaw.encode(InBandTones.samples(keys)))
    }

    /// How a write of keys ended, once it has.
    final class Press: @unchecked Sendable {
        var result: Result<Void, any Error>?
        var error: CallKeysError? { if case .failure(let error)? = result { error as? CallKeysError } else { nil } }
    }

    /// A Twilio media stream alone on an embedded channel: Twilio's JSON in, call commands out.
    final class Stream {
        let channel = EmbeddedChannel()

        init(started: Bool = true) throws {
            try channel.pipeline.syncOperations.addHandler(TwilioMediaStream(logger: TwilioKeysTests.quiet, metrics: RecordingTelephonyMetrics(),
                                                                             callerProof: .loopbackDevelopment()))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            if started {
                try fromTwilio(TwilioKeysTests.start)
                guard case .started? = try channel.readInbound(as: CallEvent.self) else { throw CancellationError() }
            }
        }

        func fromTwilio(_ text: String) throws {
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        }

        func markFromTwilio(_ name: String) throws {
            try fromTwilio(#"{"event":"mark","sequenceNumber":"9","streamSid":"MZ1","mark":{"name":""# + name + #""}}"#)
        }

        func press(_ keys: String) -> Press {
            let press = Press()
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { press.result = $0 }
            channel.pipeline.syncOperations.writeAndFlush(NIOAny(CallCommand.dtmf(keys)), promise: promise)
            return press
        }

        /// The JSON messages sent to Twilio since the last look.
        func messagesToTwilio() throws -> [JSONObject] {
            var messages: [JSONObject] = []
            while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
                #expect(frame.opcode == .text)
                messages.append(try #require(try JSONParser.parse(frame.unmaskedData.readableBytesView).objectValue))
            }
            return messages
        }
    }

    @Test func keysAreOneMediaMessageOfTonesThenAMarkAndArePressedWhenItComesBack() throws {
        let stream = try Stream()
        defer { _ = try? stream.channel.finish() }
        let press = stream.press("12#")
        let sent = try stream.messagesToTwilio()
        #expect(sent.map { $0["event"]?.stringValue } == ["media", "mark"])
        #expect(sent.allSatisfy { $0["streamSid"]?.stringValue == "MZ1" })
        let payload = try #require(sent.first?["media"]?["payload"]?.stringValue)
        #expect(Data(base64Encoded: payload).map { [UInt8]($0) } == InBandTones.encoded(try DTMFKey.parse("12#"), law: .muLaw))
        #expect(sent.last?["mark"]?["name"]?.stringValue == "switchboard-keys-1")
        #expect(press.result == nil, "not pressed until the tones have played")

        // The bridge's own marks still come through; the keys wait for theirs.
        try stream.markFromTwilio("item_1@200")
        guard case .played(let mark)? = try stream.channel.readInbound(as: CallEvent.self) else {
            Issue.record("the bridge's mark was not passed on")
            return
        }
        #expect(mark == "item_1@200")
        #expect(press.result == nil)

        try stream.markFromTwilio("switchboard-keys-1")
        guard case .success? = press.result else {
            Issue.record("the keys' mark came back but the press did not succeed: \(String(describing: press.result))")
            return
        }
        #expect(try stream.channel.readInbound(as: CallEvent.self) == nil, "the keys' mark is the stream's own, not the bridge's")
        // The next press has a mark of its own.
        _ = stream.press("5")
        #expect(try stream.messagesToTwilio().last?["mark"]?["name"]?.stringValue == "switchboard-keys-2")
    }

    @Test(arguments: ["12x", "", String(repeating: "1", count: 33)])
    func invalidKeysAreRefusedAndNothingIsSent(_ keys: String) throws {
        let stream = try Stream()
        defer { _ = try? stream.channel.finish() }
        let press = stream.press(keys)
        guard case .invalidKeys? = press.error else {
            Issue.record("expected invalidKeys, got \(String(describing: press.result))")
            return
        }
        #expect(try stream.messagesToTwilio().isEmpty)
    }

    @Test func aClearOrTheCallEndingInterruptsPendingKeys() throws {
        // Before start there is no stream to play the keys on.
        let early = try Stream(started: false)
        let unstarted = early.press("1")
        #expect(unstarted.error.map { if case .interrupted = $0 { true } else { false } } == true, "\(String(describing: unstarted.result))")
        _ = try? early.channel.finish()

        // A clear (barge-in) drops the queued tones: the press fails, and a clear goes to Twilio.
        let stream = try Stream()
        let cleared = stream.press("123")
        _ = try stream.messagesToTwilio()
        try stream.channel.writeOutbound(CallCommand.clear)
        #expect(cleared.error.map { if case .interrupted = $0 { true } else { false } } == true, "\(String(describing: cleared.result))")
        #expect(try stream.messagesToTwilio().map { $0["event"]?.stringValue } == ["clear"])

        // The call ending fails a press still waiting for its mark.
        let ended = stream.press("4")
        #expect(ended.result == nil)
        try stream.channel.close().wait()
        #expect(ended.error.map { if case .interrupted = $0 { true } else { false } } == true, "\(String(describing: ended.result))")
    }
}
