import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardCore
import Testing
@testable import SwitchboardTelephony

/// An outbound call that listens for an answering machine: the call bridge holds the agent's
/// first words and the callee's audio until the detector decides, then reports who answered.
@Suite struct VoicemailDetectionTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    final class Call {
        let channel = EmbeddedChannel()
        var start: CallStart?
        let reports = ReportLog()

        init(voicemail: VoicemailAction) throws {
            try channel.pipeline.syncOperations.addHandler(CallBridge(logger: VoicemailDetectionTests.quiet) { [unowned self] call, _ in
                self.start = call
                call?.signals.listen { [reports] in reports.append($0) }
            })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            let plan = OutboundCallPlan(agent: "desk", purpose: nil, voicemail: voicemail)
            try channel.writeInbound(CallEvent.started(CallStart(caller: SessionKey("+15550100123"), callID: "c1", codec: .g711ulaw,
                                                                 channel: "sip", outbound: plan)))
        }

        /// The types of the events handed to the session since the last look.
        func toSession() throws -> [String] {
            var types: [String] = []
            while let frame = try channel.readInbound(as: WebSocketFrame.self) {
                types.append((try? RealtimeEvent.decode(frame.unmaskedData))?.type ?? "?")
            }
            return types
        }

        /// `seconds` of the callee's audio, 20 ms a frame.
        func hear(_ samples: [Int16]) throws {
            for offset in stride(from: 0, to: samples.count, by: 160) {
                let frame = samples[offset..<min(offset + 160, samples.count)].map { MuLaw.encode($0) }
                var buffer = ByteBuffer()
                buffer.writeBytes(frame)
                try channel.writeInbound(CallEvent.audio(.raw(buffer)))
            }
        }
    }

    final class ReportLog: @unchecked Sendable {
        private let lock = NSLock()
        private var reports: [CallSignals.Report] = []
        func append(_ report: CallSignals.Report) { lock.withLock { reports.append(report) } }
        var all: [CallSignals.Report] { lock.withLock { reports } }
    }

    static func silence(_ seconds: Double) -> [Int16] { [Int16](repeating: 0, count: Int(seconds * 8000)) }

    static func tone(_ frequency: Double, _ seconds: Double, amplitude: Double = 8000) -> [Int16] {
        (0..<Int(seconds * 8000)).map { Int16(amplitude * sin(2 * .pi * frequency * Double($0) / 8000)) }
    }

    /// Speech-like sound: a noisy buzz whose loudness rises and falls like syllables.
    static func talk(_ seconds: Double, seed: UInt64 = 7) -> [Int16] {
        var state = seed
        return (0..<Int(seconds * 8000)).map { n in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(Int64(bitPattern: state >> 11) % 2000) / 2000
            let syllable = max(0, sin(2 * .pi * 4 * Double(n) / 8000))
            return Int16(syllable * (3000 * sin(2 * .pi * 180 * Double(n) / 8000) + 1500 * noise))
        }
    }

    @Test func aPersonWhoAnswersGetsTheAgentsFirstWords() throws {
        let call = try Call(voicemail: .hangUp)
        #expect(try call.toSession() == ["session.update"], "the agent waits")
        try call.hear(Self.silence(0.4) + Self.talk(0.6) + Self.silence(3))
        // Once the person is heard, the agent speaks and the rest of the audio is the conversation's.
        let types = try call.toSession()
        #expect(types.first == "response.create" && types.dropFirst().allSatisfy { $0 == "input_audio_buffer.append" }, "\(types.prefix(3))")
        #expect(!types.dropFirst().isEmpty)
        #expect(call.reports.all == [.answeredBy(.human)])
        // The conversation now hears the callee.
        try call.hear(Self.talk(0.2))
        #expect(try call.toSession().allSatisfy { $0 == "input_audio_buffer.append" })
    }

    @Test func aMachineIsReportedAndItsGreetingsEndMakesTheVoicemailDue() throws {
        let call = try Call(voicemail: .leaveMessage("Please call us back."))
        _ = try call.toSession()
        try call.hear(Self.silence(0.3) + Self.talk(6) + Self.silence(0.3) + Self.tone(1000, 0.5) + Self.silence(1))
        #expect(try call.toSession().isEmpty, "neither the greeting nor the agent's first words reach the session")
        #expect(call.reports.all == [.answeredBy(.machine), .voicemailReady(.leaveMessage("Please call us back."))])
        try call.hear(Self.talk(1))
        #expect(try call.toSession().isEmpty, "a machine's audio is not the conversation's")
    }

    @Test func nobodySpeakingCountsAsUnknownAndTheAgentSpeaks() throws {
        let call = try Call(voicemail: .hangUp)
        _ = try call.toSession()
        try call.hear(Self.silence(8))
        let types = try call.toSession()
        #expect(types.first == "response.create" && types.dropFirst().allSatisfy { $0 == "input_audio_buffer.append" }, "\(types.prefix(3))")
        #expect(call.reports.all == [.answeredBy(.unknown)])
    }

    @Test func withoutDetectionTheAgentSpeaksAtOnce() throws {
        let call = try Call(voicemail: .ignore)
        #expect(try call.toSession() == ["session.update", "response.create"])
        #expect(call.reports.all.isEmpty)
    }

    @Test func reportsMadeBeforeTheSessionListensWaitForIt() {
        let signals = CallSignals()
        signals.report(.answeredBy(.machine))
        let log = ReportLog()
        signals.listen { log.append($0) }
        signals.report(.voicemailReady(.hangUp))
        #expect(log.all == [.answeredBy(.machine), .voicemailReady(.hangUp)])
    }

    @Test(arguments: [("ignore", nil, VoicemailAction.ignore), ("hang_up", nil, .hangUp), ("leave_message", "Call us.", .leaveMessage("Call us."))])
    func actionsByName(_ name: String, _ message: String?, _ action: VoicemailAction) {
        #expect(VoicemailAction(name: name, message: message) == action)
        #expect(action.name == name)
    }

    @Test func aMessageIsNeededToLeaveOne() {
        #expect(VoicemailAction(name: "leave_message", message: nil) == nil)
        #expect(VoicemailAction(name: "leave_message", message: "  ") == nil)
        #expect(VoicemailAction(name: "shout", message: "x") == nil)
    }
}
