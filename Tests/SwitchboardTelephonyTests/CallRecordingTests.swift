import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOWebSocket
import SwitchboardAudio
import SwitchboardTesting
import Testing
@testable import SwitchboardTelephony

/// Call recording: the timeline that lines the agent's audio up with the caller's as the caller
/// heard it, the WAV file it is written to, and the call bridge feeding it.
@Suite struct RecordingTimelineTests {
    /// The caller's and the agent's samples of interleaved frames.
    static func sides(_ frames: [Int16]) -> (caller: [Int16], agent: [Int16]) {
        (stride(from: 0, to: frames.count, by: 2).map { frames[$0] }, stride(from: 1, to: frames.count, by: 2).map { frames[$0] })
    }

    /// `samples` as runs of one value: `[(0, 480), (7, 480)]`.
    static func runs(_ samples: [Int16]) -> [Run] {
        var runs: [Run] = []
        for sample in samples {
            if runs.last?.value == sample { runs[runs.count - 1].count += 1 } else { runs.append(Run(value: sample, count: 1)) }
        }
        return runs
    }

    struct Run: Equatable, CustomStringConvertible {
        var value: Int16
        var count: Int
        var description: String { "\(value)×\(count)" }
    }

    static func feedCaller(_ timeline: inout RecordingTimeline, _ samples: [Int16], at now: Int) {
        samples.withUnsafeBufferPointer { timeline.caller($0, at: now) }
    }

    static func feedAgent(_ timeline: inout RecordingTimeline, _ samples: [Int16], at now: Int) {
        samples.withUnsafeBufferPointer { timeline.agent($0, at: now) }
    }

    /// Caller frames of 20 ms (frame k, arriving at k × 20 ms, holds k × 100); an agent burst of
    /// 100 ms then 50 ms sent at 60 ms, faster than real time; a barge-in at 120 ms.
    static func scripted(takeEvery: Int?) -> [Int16] {
        var timeline = RecordingTimeline()
        var frames: [Int16] = []
        for k in 1...10 {
            let now = 160 * k
            feedCaller(&timeline, [Int16](repeating: Int16(k * 100), count: 160), at: now)
            if k == 3 {
                feedAgent(&timeline, [Int16](repeating: 7, count: 800), at: now)
                feedAgent(&timeline, [Int16](repeating: 9, count: 400), at: now)
            }
            if k == 6 { timeline.clear(at: now) }
            if let every = takeEvery, k % every == 0 { frames += timeline.take(at: now) }
        }
        frames += timeline.finish(at: 1600)
        return frames
    }

    @Test func aScriptedCallHasExactSamplesOnBothChannels() {
        let (caller, agent) = Self.sides(Self.scripted(takeEvery: nil))
        #expect(caller.count == 1600 && agent.count == 1600)
        #expect(caller == (1...10).flatMap { [Int16](repeating: Int16($0 * 100), count: 160) })
        // The burst plays from 60 ms; the barge-in at 120 ms drops the rest of it and all that followed.
        #expect(RecordingTimelineTests.runs(agent) == [Run(value: 0, count: 480), Run(value: 7, count: 480), Run(value: 0, count: 640)])
    }

    @Test func takingFramesAsTheCallGoesChangesNothing() {
        let whole = Self.scripted(takeEvery: nil)
        for every in 1...4 { #expect(Self.scripted(takeEvery: every) == whole, "taken every \(every) frames") }
    }

    @Test func agentAudioQueuesAfterWhatIsQueuedAndAfterTheClock() {
        var timeline = RecordingTimeline()
        Self.feedAgent(&timeline, [Int16](repeating: 1, count: 800), at: 0)
        Self.feedAgent(&timeline, [Int16](repeating: 2, count: 800), at: 100)
        #expect(timeline.agentEnd == 1600)
        // After a pause longer than what was queued, the next answer plays from the clock.
        Self.feedAgent(&timeline, [Int16](repeating: 3, count: 10), at: 2000)
        let agent = Self.sides(timeline.finish(at: 2010)).agent
        #expect(RecordingTimelineTests.runs(agent) == [Run(value: 1, count: 800), Run(value: 2, count: 800), Run(value: 0, count: 400), Run(value: 3, count: 10)])
    }

    @Test func aLateCallerIsPaddedWithSilenceAndAnEarlyOneKeptInOrder() {
        var timeline = RecordingTimeline()
        Self.feedCaller(&timeline, [Int16](repeating: 1, count: 160), at: 160)
        // Nothing for a second (a muted line): the next frame ends at the clock.
        Self.feedCaller(&timeline, [Int16](repeating: 2, count: 160), at: 8160)
        // Jitter within the slack: right after the previous frame.
        Self.feedCaller(&timeline, [Int16](repeating: 3, count: 160), at: 8400)
        // A stream running ahead of the clock stays in order.
        Self.feedCaller(&timeline, [Int16](repeating: 4, count: 160), at: 8410)
        let caller = Self.sides(timeline.finish(at: 8410)).caller
        #expect(RecordingTimelineTests.runs(caller) == [Run(value: 1, count: 160), Run(value: 0, count: 7840), Run(value: 2, count: 160), Run(value: 3, count: 160), Run(value: 4, count: 160)])
    }

    @Test func framesAreFinalOnlyOnceTheClockAndTheCallerPassedThem() {
        var timeline = RecordingTimeline()
        Self.feedAgent(&timeline, [Int16](repeating: 5, count: 4000), at: 0)
        // The caller is silent: the agent's audio is final up to the slack before the clock.
        #expect(timeline.take(at: 1000).isEmpty)
        #expect(timeline.take(at: 3000).count == 1400 * 2)
        Self.feedCaller(&timeline, [Int16](repeating: 1, count: 1000), at: 3000)
        // Up to the caller's audio; the agent's beyond the clock waits (it may still be cleared).
        #expect(timeline.take(at: 3000).count == 1000 * 2)
        #expect(timeline.take(at: 3000, minimum: 1600).isEmpty)
        timeline.clear(at: 3000)
        #expect(timeline.agentEnd == 3000)
        #expect(timeline.written == 2400)
    }

    @Test func aRecordingStopsAtItsLongestDuration() {
        var limits = RecordingTimeline.Limits()
        limits.duration = 2000
        limits.ahead = 500
        var timeline = RecordingTimeline(limits: limits)
        var frames: [Int16] = []
        for k in 1...20 {
            Self.feedAgent(&timeline, [Int16](repeating: 2, count: 1000), at: 160 * (k - 1))
            Self.feedCaller(&timeline, [Int16](repeating: 1, count: 160), at: 160 * k)
            frames += timeline.take(at: 160 * k)
        }
        frames += timeline.finish(at: 3200)
        #expect(frames.count == 2000 * 2)
        #expect(timeline.isFull)
        // The agent's queue was held to `ahead` past the clock.
        #expect(Self.sides(frames).agent.allSatisfy { $0 == 2 })
        #expect(Self.sides(frames).caller.allSatisfy { $0 == 1 })
    }

    @Test func randomSizesTimesAndOrdersNeverTrapAndStayInBounds() {
        var random = SplitMix64(seed: 0x5EED)
        for round in 0..<300 {
            var limits = RecordingTimeline.Limits()
            limits.duration = Int(random.next() % 20_000) + 1
            limits.ahead = Int(random.next() % 5_000)
            limits.callerSlack = Int(random.next() % 3_000)
            var timeline = RecordingTimeline(limits: limits)
            var now = 0
            var total = 0
            for _ in 0..<60 {
                // The clock mostly goes on, sometimes back, sometimes to extremes.
                switch random.next() % 10 {
                case 0: now = Int(truncatingIfNeeded: random.next())
                case 1: now = [Int.min, Int.max, -1, 0][Int(random.next() % 4)]
                case 2: now &-= Int(random.next() % 1000)
                default: now = max(0, now) &+ Int(random.next() % 800)
                }
                let samples = [Int16](repeating: Int16(truncatingIfNeeded: random.next()), count: Int(random.next() % 2_000))
                switch random.next() % 5 {
                case 0: samples.withUnsafeBufferPointer { timeline.caller($0, at: now) }
                case 1: samples.withUnsafeBufferPointer { timeline.agent($0, at: now) }
                case 2: timeline.clear(at: now)
                default: total += timeline.take(at: now, minimum: Int(random.next() % 3000)).count
                }
                #expect(timeline.written <= limits.duration, "round \(round)")
            }
            total += timeline.finish(at: now).count
            #expect(total == timeline.written * 2 && total.isMultiple(of: 2), "round \(round)")
        }
    }
}

@Suite struct WAVFileTests {
    typealias Run = RecordingTimelineTests.Run

    @Test func theHeaderDescribesStereo16Bit8kHz() {
        let header = WAVHeader(dataBytes: 6400)
        let bytes = header.bytes
        #expect(bytes.count == 44)
        #expect(Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<16]) == Array("WAVEfmt ".utf8) && Array(bytes[36..<40]) == Array("data".utf8))
        // RIFF size, channels, rate, byte rate, block align, bits, data size: little-endian.
        #expect(Array(bytes[4..<8]) == [0x24, 0x19, 0, 0])
        #expect(Array(bytes[20..<24]) == [1, 0, 2, 0])
        #expect(Array(bytes[24..<28]) == [0x40, 0x1F, 0, 0])
        #expect(Array(bytes[28..<32]) == [0x00, 0x7D, 0, 0])
        #expect(Array(bytes[32..<36]) == [4, 0, 16, 0])
        #expect(Array(bytes[40..<44]) == [0x00, 0x19, 0, 0])
        #expect(WAVHeader(parsing: bytes) == header)
        #expect(WAVHeader(parsing: Array(bytes.dropLast())) == nil)
    }

    /// A recording's clock the test moves.
    final class Clock: Sendable {
        let now = NIOLockedValueBox<Duration>(.zero)
        func at(milliseconds: Int) { now.withLockedValue { $0 = .milliseconds(milliseconds) } }
        var read: @Sendable () -> Duration { { [now] in now.withLockedValue { $0 } } }
    }

    static func folder() -> String {
        NSTemporaryDirectory() + "recording-tests-" + UUID().uuidString + "/nested"
    }

    static func base64(_ codes: [UInt8]) -> ByteBuffer {
        ByteBuffer(string: Data(codes).base64EncodedString())
    }

    static func readBack(_ path: String) throws -> (header: WAVHeader, caller: [Int16], agent: [Int16]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = try #require(WAVHeader(parsing: bytes))
        #expect(bytes.count == 44 + header.dataBytes)
        let samples = stride(from: 44, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
        return (header, RecordingTimelineTests.sides(samples).caller, RecordingTimelineTests.sides(samples).agent)
    }

    @Test func aRecordedCallReadsBackAsItWasHeard() async throws {
        let clock = Clock()
        let path = Self.folder() + "/call_1.wav"
        let recording = CallRecording(path: path, law: .muLaw, logger: TwilioBridgePipelineTests.quiet, clock: clock.read)
        // 400 ms of caller frames (μ-law 0x80, loud), an agent answer of 100 ms sent at 100 ms
        // (μ-law 0x10), cleared at 140 ms; another of 50 ms at 300 ms.
        for k in 1...20 {
            clock.at(milliseconds: 20 * k)
            recording.caller(k.isMultiple(of: 2) ? .raw(ByteBuffer(bytes: [UInt8](repeating: 0x80, count: 160)))
                                                  : .base64(Self.base64([UInt8](repeating: 0x80, count: 160))))
            if k == 5 { recording.agent(base64: Self.base64([UInt8](repeating: 0x10, count: 800))) }
            if k == 15 { recording.agent(base64: Self.base64([UInt8](repeating: 0x10, count: 400))) }
            if k == 7 || k == 8 { recording.cleared() }
        }
        recording.agent(base64: ByteBuffer(string: "not base64!"))
        clock.at(milliseconds: 400)
        recording.callEnded()
        clock.at(milliseconds: 5000)
        let summary = await recording.stop(keep: true)
        #expect(summary == CallRecording.Summary(status: .recorded, path: path, durationSeconds: 0.4))
        let (header, caller, agent) = try Self.readBack(path)
        #expect(header == WAVHeader(channels: 2, sampleRate: 8000, bitsPerSample: 16, dataBytes: 3200 * 4))
        #expect(RecordingTimelineTests.runs(caller) == [Run(value: MuLaw.decode(0x80), count: 3200)])
        let voice = MuLaw.decode(0x10)
        #expect(voice != 0)
        #expect(RecordingTimelineTests.runs(agent) == [Run(value: 0, count: 800), Run(value: voice, count: 320), Run(value: 0, count: 1280), Run(value: voice, count: 400), Run(value: 0, count: 400)])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Stopping again changes nothing.
        #expect(await recording.stop(keep: false) == summary)
        #expect(FileManager.default.fileExists(atPath: path))
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func aRecordingNotKeptIsDeleted() async throws {
        let clock = Clock()
        let path = Self.folder() + "/call_2.wav"
        let recording = CallRecording(path: path, law: .aLaw, logger: TwilioBridgePipelineTests.quiet, clock: clock.read)
        for k in 1...50 {
            clock.at(milliseconds: 20 * k)
            recording.caller(.raw(ByteBuffer(bytes: [UInt8](repeating: 0x55, count: 160))))
        }
        let summary = await recording.stop(keep: false)
        #expect(summary.status == .deleted && summary.durationSeconds == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
        // Audio after the stop is ignored.
        recording.caller(.raw(ByteBuffer(bytes: [0x55])))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aDiskErrorStopsTheRecordingAndIsReported() async throws {
        // The folder cannot be made: a file stands where it would be.
        let blocker = NSTemporaryDirectory() + "recording-blocker-" + UUID().uuidString
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let clock = Clock()
        let recording = CallRecording(path: blocker + "/sub/call_3.wav", law: .muLaw, logger: TwilioBridgePipelineTests.quiet, clock: clock.read)
        for k in 1...50 {
            clock.at(milliseconds: 20 * k)
            recording.caller(.raw(ByteBuffer(bytes: [UInt8](repeating: 0x80, count: 160))))
            recording.agent(base64: Self.base64([UInt8](repeating: 0x10, count: 160)))
        }
        let summary = await recording.stop(keep: true)
        #expect(summary.status == .failed)
        #expect(summary.error?.contains("cannot create the recordings folder") == true, "\(summary)")
    }

    @Test func theCallBridgeRecordsBothSidesAndDropsWhatABargeInCleared() async throws {
        let clock = Clock()
        let path = Self.folder() + "/call_4.wav"
        let recording = CallRecording(path: path, law: .muLaw, logger: TwilioBridgePipelineTests.quiet, clock: clock.read)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TwilioMediaStream(logger: TwilioBridgePipelineTests.quiet, metrics: RecordingTelephonyMetrics(),
                                                                         callerProof: .loopbackDevelopment()))
        try channel.pipeline.syncOperations.addHandler(CallBridge(logger: TwilioBridgePipelineTests.quiet) { _, context in
            try context.pipeline.syncOperations.handler(type: CallBridge.self).record(recording)
        })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        func twilio(_ text: String) throws { try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))) }
        func session(_ text: String) throws { try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))) }
        try twilio(TwilioBridgePipelineTests.start)
        let frame = Data([UInt8](repeating: 0x80, count: 160)).base64EncodedString()
        let answer = Data([UInt8](repeating: 0x10, count: 1600)).base64EncodedString()
        for k in 1...25 {
            clock.at(milliseconds: 20 * k)
            try twilio(#"{"event":"media","sequenceNumber":"\#(k + 1)","media":{"track":"inbound","chunk":"\#(k)","timestamp":"\#(20 * k)","payload":"\#(frame)"},"streamSid":"MZ7"}"#)
            // A 200 ms answer at 100 ms; the caller talks over it at 200 ms.
            if k == 5 { try session(#"{"type":"response.output_audio.delta","item_id":"item_1","delta":"\#(answer)"}"#) }
            if k == 10 { try session(#"{"type":"input_audio_buffer.speech_started"}"#) }
        }
        try twilio(#"{"event":"stop","sequenceNumber":"30","stop":{"callSid":"CA7"},"streamSid":"MZ7"}"#)
        _ = try? channel.finish()
        clock.at(milliseconds: 9000)
        let summary = await recording.stop(keep: true)
        #expect(summary.status == .recorded && summary.durationSeconds == 0.5, "\(summary)")
        let (_, caller, agent) = try Self.readBack(path)
        #expect(RecordingTimelineTests.runs(caller) == [Run(value: MuLaw.decode(0x80), count: 4000)])
        #expect(RecordingTimelineTests.runs(agent) == [Run(value: 0, count: 800), Run(value: MuLaw.decode(0x10), count: 800), Run(value: 0, count: 2400)])
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
