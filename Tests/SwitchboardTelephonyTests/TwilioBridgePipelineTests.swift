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

/// A Twilio call end to end on an embedded channel, the media stream and the call bridge wired
/// as the hub wires them: Twilio's JSON on one side, the realtime events a session reads and
/// writes on the other.
@Suite struct TwilioBridgePipelineTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static let start = #"{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ7","callSid":"CA7","tracks":["inbound"],"customParameters":{"from":"+15551234567"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ7"}"#

    final class Call {
        let channel = EmbeddedChannel()
        let metrics = RecordingTelephonyMetrics()
        var starts: [CallStart?] = []

        init(started: Bool = true) throws {
            try channel.pipeline.syncOperations.addHandler(TwilioMediaStream(logger: TwilioBridgePipelineTests.quiet, metrics: metrics,
                                                                             callerProof: .loopbackDevelopment()))
            try channel.pipeline.syncOperations.addHandler(CallBridge(logger: TwilioBridgePipelineTests.quiet, metrics: metrics) { [unowned self] call, _ in
                self.starts.append(call)
            })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            if started {
                try fromTwilio(TwilioBridgePipelineTests.start)
                _ = try toSession()
            }
        }

        /// A message from Twilio.
        func fromTwilio(_ text: String) throws {
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        }

        /// An event from the session.
        func fromSession(_ text: String) throws {
            try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        }

        /// The realtime events the bridge handed the session since the last look, as sent.
        func toSession() throws -> [ByteBuffer] {
            var frames: [ByteBuffer] = []
            while let frame = try channel.readInbound(as: WebSocketFrame.self) {
                #expect(frame.opcode == .text)
                frames.append(frame.unmaskedData)
            }
            return frames
        }

        /// The frames sent to Twilio since the last look.
        func toTwilio() throws -> [WebSocketFrame] {
            var frames: [WebSocketFrame] = []
            while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
            return frames
        }

        /// The JSON messages sent to Twilio since the last look.
        func messagesToTwilio() throws -> [JSONObject] {
            try toTwilio().compactMap { frame in
                #expect(frame.opcode == .text)
                return try JSONParser.parse(frame.unmaskedData.readableBytesView).objectValue
            }
        }
    }

    static func events(_ buffers: [ByteBuffer]) throws -> [RealtimeEvent] {
        try buffers.map { try RealtimeEvent.decode($0) }
    }

    static func delta(_ item: String, _ bytes: [UInt8]) -> String {
        #"{"type":"response.output_audio.delta","response_id":"resp_1","item_id":""# + item + #"","output_index":0,"content_index":0,"delta":""# + Base64Audio.encode(bytes) + #""}"#
    }

    @Test func startAsksTheSessionForMuLawBothWays() throws {
        let call = try Call(started: false)
        try call.fromTwilio(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#)
        #expect(try call.toSession().isEmpty)
        try call.fromTwilio(Self.start)
        let events = try Self.events(call.toSession())
        #expect(events.map(\.type) == ["session.update"])
        let audio = events.first?["session"]?["audio"]
        #expect(audio?["input"]?["format"].flatMap(AudioFormat.init(json:)) == .g711ulaw)
        #expect(audio?["output"]?["format"].flatMap(AudioFormat.init(json:)) == .g711ulaw)
        #expect(audio?["input"]?["turn_detection"]?["type"]?.stringValue == "server_vad")
        let start = try #require(call.starts.first ?? nil)
        #expect(call.starts.count == 1)
        #expect(start.caller?.rawValue == "+15551234567")
        #expect(start.callID == "CA7")
        #expect(start.channel == "twilio")
        #expect(!start.callerVerified, "an unsigned start on a hub without a token is not proven")
        #expect(call.metrics.counts.twilioCallers == ["missing": 1])
        _ = try? call.channel.finish()
    }

    @Test func callerAudioGoesToTheSessionAsTheSameBase64Bytes() throws {
        let call = try Call()
        // 20 ms of μ-law whose base64 uses every special character.
        let payload = Base64Audio.encode((0..<160).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) })
        #expect(payload.contains("+") && payload.contains("/"))
        try call.fromTwilio(#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"20","payload":""# + payload + #""},"streamSid":"MZ7"}"#)
        let sent = try call.toSession()
        #expect(sent.count == 1)
        let frame = try #require(sent.first)
        let event = try RealtimeEvent.decode(frame)
        #expect(event.type == "input_audio_buffer.append")
        #expect(event["audio"]?.stringValue == payload)
        // Byte for byte: the text Twilio sent sits in the frame unchanged.
        let expected = Array(#"{"type":"input_audio_buffer.append","audio":""#.utf8) + Array(payload.utf8) + Array(#""}"#.utf8)
        #expect(Array(frame.readableBytesView) == expected)
        _ = try? call.channel.finish()
    }

    @Test func theAgentsAudioGoesToTwilioAsMediaThenAMark() throws {
        let call = try Call()
        let audio = [UInt8](repeating: 0x7F, count: 1600)  // 200 ms
        try call.fromSession(Self.delta("item_1", audio))
        let messages = try call.messagesToTwilio()
        #expect(messages.count == 2)
        #expect(messages.first?["event"]?.stringValue == "media")
        #expect(messages.first?["streamSid"]?.stringValue == "MZ7")
        #expect(messages.first?["media"]?["payload"]?.stringValue == Base64Audio.encode(audio))
        #expect(messages.last?["event"]?.stringValue == "mark")
        #expect(messages.last?["streamSid"]?.stringValue == "MZ7")
        #expect(messages.last?["mark"]?["name"]?.stringValue == "item_1@200")
        #expect(try call.toSession().isEmpty)
        // Other session events mean nothing to Twilio.
        try call.fromSession(#"{"type":"response.done","response":{"id":"resp_1"}}"#)
        #expect(try call.toTwilio().isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func aBargeInClearsTwilioAndTruncatesAtWhatWasPlayed() throws {
        let call = try Call()
        try call.fromSession(Self.delta("item_1", [UInt8](repeating: 0x7F, count: 1600)))  // to 200 ms
        try call.fromSession(Self.delta("item_1", [UInt8](repeating: 0x7F, count: 2400)))  // to 500 ms
        let marks = try call.messagesToTwilio().compactMap { $0["mark"]?["name"]?.stringValue }
        #expect(marks == ["item_1@200", "item_1@500"])
        // Twilio played the first 200 ms and echoed its mark.
        try call.fromTwilio(#"{"event":"mark","sequenceNumber":"3","streamSid":"MZ7","mark":{"name":"item_1@200"}}"#)
        #expect(try call.toSession().isEmpty)

        try call.fromSession(#"{"type":"input_audio_buffer.speech_started","audio_start_ms":900,"item_id":"item_2"}"#)
        let toTwilio = try call.messagesToTwilio()
        #expect(toTwilio.count == 1)
        #expect(toTwilio.first?["event"]?.stringValue == "clear")
        #expect(toTwilio.first?["streamSid"]?.stringValue == "MZ7")
        let events = try Self.events(call.toSession())
        #expect(events.map(\.type) == ["conversation.item.truncate"])
        #expect(events.first?["item_id"]?.stringValue == "item_1")
        #expect(events.first?["content_index"]?.intValue == 0)
        #expect(events.first?["audio_end_ms"]?.intValue == 200)
        #expect(call.metrics.counts.bargeIns == ["twilio": 1])

        // The cleared audio's mark, echoed late, changes nothing; nothing is playing now.
        try call.fromTwilio(#"{"event":"mark","sequenceNumber":"4","streamSid":"MZ7","mark":{"name":"item_1@500"}}"#)
        try call.fromSession(#"{"type":"input_audio_buffer.speech_started","audio_start_ms":1900,"item_id":"item_3"}"#)
        #expect(try call.toTwilio().isEmpty)
        #expect(try call.toSession().isEmpty)
        #expect(call.metrics.counts.bargeIns == ["twilio": 1])
        _ = try? call.channel.finish()
    }

    @Test func speechAfterTheAnswerFinishedPlayingClearsNothing() throws {
        let call = try Call()
        try call.fromSession(Self.delta("item_1", [UInt8](repeating: 0x7F, count: 800)))
        _ = try call.toTwilio()
        try call.fromTwilio(#"{"event":"mark","streamSid":"MZ7","mark":{"name":"item_1@100"}}"#)
        try call.fromSession(#"{"type":"input_audio_buffer.speech_started","audio_start_ms":300}"#)
        #expect(try call.toTwilio().isEmpty)
        #expect(try call.toSession().isEmpty)
        #expect(call.metrics.counts.bargeIns.isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func keysUpToHashBecomeOneUserMessageAndAResponse() throws {
        let call = try Call()
        for digit in ["1", "2"] {
            try call.fromTwilio(#"{"event":"dtmf","streamSid":"MZ7","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":""# + digit + #""}}"#)
            #expect(try call.toSession().isEmpty, "keys wait for # or a pause")
        }
        try call.fromTwilio(##"{"event":"dtmf","streamSid":"MZ7","dtmf":{"track":"inbound_track","digit":"#"}}"##)
        let events = try Self.events(call.toSession())
        #expect(events.map(\.type) == ["conversation.item.create", "response.create"])
        let item = events.first?["item"]
        #expect(item?["type"]?.stringValue == "message")
        #expect(item?["role"]?.stringValue == "user")
        #expect(item?["content"]?.arrayValue?.count == 1)
        #expect(item?["content"]?.arrayValue?.first?["type"]?.stringValue == "input_text")
        #expect(item?["content"]?.arrayValue?.first?["text"]?.stringValue == "12")
        // `#` alone sends nothing more.
        try call.fromTwilio(##"{"event":"dtmf","streamSid":"MZ7","dtmf":{"digit":"#"}}"##)
        #expect(try call.toSession().isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func keysAreSentAfterAPause() throws {
        let call = try Call()
        try call.fromTwilio(#"{"event":"dtmf","streamSid":"MZ7","dtmf":{"digit":"4"}}"#)
        call.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1000))
        try call.fromTwilio(#"{"event":"dtmf","streamSid":"MZ7","dtmf":{"digit":"2"}}"#)
        call.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1000))
        #expect(try call.toSession().isEmpty, "each key restarts the pause")
        call.channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        let events = try Self.events(call.toSession())
        #expect(events.map(\.type) == ["conversation.item.create", "response.create"])
        #expect(events.first?["item"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "42")
        _ = try? call.channel.finish()
    }

    @Test func stopHangsUpWithANormalClose() throws {
        let call = try Call()
        try call.fromTwilio(#"{"event":"stop","sequenceNumber":"9","streamSid":"MZ7","stop":{"accountSid":"AC1","callSid":"CA7"}}"#)
        let frames = try call.toTwilio()
        #expect(frames.count == 1)
        #expect(frames.first?.opcode == .connectionClose)
        var data = frames.first?.unmaskedData ?? ByteBuffer()
        #expect(data.readWebSocketErrorCode() == .normalClosure)
        #expect(!call.channel.isActive, "the stream's connection is closed")
        #expect(try call.toSession().isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func aSessionThatClosesHangsUpTheCall() throws {
        let call = try Call()
        try call.channel.writeOutbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer()))
        let frames = try call.toTwilio()
        #expect(frames.map(\.opcode) == [.connectionClose])
        #expect(!call.channel.isActive)
        _ = try? call.channel.finish()
    }
}
