import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore
import SwitchboardTesting
import Testing
@testable import SwitchboardTelephony

/// Nothing a Twilio peer sends can trap the hub: extreme numbers, wrong types, oversized
/// strings, garbage audio and messages out of order are dropped and counted, or end the stream
/// with a close code and a reason.
@Suite struct TwilioHardeningTests {
    static let validStart = #"{"event":"start","sequenceNumber":"1","start":{"streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{"from":"+15551234567"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},"streamSid":"MZ1"}"#

    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func stream() -> TwilioMediaStream {
        // A loopback hub without a token: unsigned starts go on, unverified.
        TwilioMediaStream(logger: quiet, metrics: RecordingTelephonyMetrics(), callerProof: .loopbackDevelopment())
    }

    static func start(format: String) -> ByteBuffer {
        ByteBuffer(string: #"{"event":"start","start":{"streamSid":"MZ1","mediaFormat":"# + format + "}}")
    }

    @Test(arguments: [
        #"{"encoding":"audio/x-mulaw","sampleRate":1e19,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":-1e19,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":1e400,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":9223372036854775808,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":-9223372036854775809,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000.5,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":"8000","channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":null,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":[8000],"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":-1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1e19}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":0.5}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":2}"#,
        #"{"encoding":12,"sampleRate":8000,"channels":1}"#,
        #"{"encoding":{"a":[1,2,3]},"sampleRate":8000,"channels":1}"#,
        #"[1,2,3]"#,
        #""audio/x-mulaw""#,
        #"1e19"#,
    ])
    func extremeMediaFormatsEndTheStreamWith1003(format: String) {
        let stream = Self.stream()
        #expect(stream.message(Self.start(format: format)) == nil)
        #expect(stream.refusal?.code == .unacceptableData)
        #expect(stream.refusal?.reason.contains("expected audio/x-mulaw") == true || stream.refusal?.reason.contains("mediaFormat") == true)
        #expect(stream.dropped["unsupported_media_format"] == 1)
        #expect(stream.streamSid == nil, "a refused stream never starts")
    }

    @Test func aHugeEncodingIsQuotedShortened() {
        let stream = Self.stream()
        let encoding = String(repeating: "x", count: 1_000_000)
        #expect(stream.message(Self.start(format: #"{"encoding":""# + encoding + #"","sampleRate":8000,"channels":1}"#)) == nil)
        let reason = stream.refusal?.reason ?? ""
        #expect(reason.count < 300, "the reason quotes the encoding shortened")
    }

    @Test(arguments: [
        #"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8000.0,"channels":1.0}"#,
        #"{"encoding":"audio/x-mulaw","sampleRate":8e3,"channels":1}"#,
        #"{}"#,
    ])
    func twilioFormatsStillStart(format: String) {
        let stream = Self.stream()
        guard case .started? = stream.message(Self.start(format: format)) else {
            Issue.record("no start for \(format)")
            return
        }
        #expect(stream.refusal == nil)
    }

    @Test func exactIntegersNeverTrap() {
        let cases: [(String, Int?)] = [
            ("8000", 8000), ("8e3", 8000), ("8000.0", 8000), ("1e19", nil), ("-1e19", nil), ("1e400", nil), ("-1e400", nil),
            ("9223372036854775807", .max), ("9223372036854775808", nil), ("-9223372036854775808", .min),
            ("0.5", nil), ("-0", 0), ("1e-400", 0), (String(repeating: "9", count: 5000), nil),
        ]
        for (text, expected) in cases {
            #expect(TwilioMediaStream.exactInteger(.number(text)) == expected, "\(text.prefix(40))")
        }
        #expect(TwilioMediaStream.exactInteger(.string("8000")) == nil)
    }

    @Test func mediaBeforeStartAndASecondStartAreDroppedAndCounted() {
        let stream = Self.stream()
        #expect(stream.message(ByteBuffer(string: #"{"event":"media","media":{"payload":"//8="}}"#)) == nil)
        #expect(stream.dropped["media_before_start"] == 1)
        guard case .started? = stream.message(ByteBuffer(string: Self.validStart)) else {
            Issue.record("no start")
            return
        }
        #expect(stream.message(ByteBuffer(string: Self.validStart.replacingOccurrences("MZ1", "MZ2"))) == nil)
        #expect(stream.dropped["duplicate_start"] == 1)
        #expect(stream.streamSid == "MZ1")
    }

    @Test(arguments: [
        "A", "AB=", "A===", "====", "@@@@", "AQ\\u0000=", "AQI*", "AQ=A", "AR==", "AQJ=", "Zm9v\\n", "ä€𝄞", "AQID AQID",
    ])
    func garbageAudioIsDroppedAndCounted(payload: String) {
        let stream = Self.stream()
        _ = stream.message(ByteBuffer(string: Self.validStart))
        let message = #"{"event":"media","media":{"track":"inbound","payload":""# + payload + #""}}"#
        #expect(stream.message(ByteBuffer(string: message)) == nil, "\(payload)")
        #expect(stream.dropped.values.reduce(0, +) == 1, "\(payload)")
    }

    @Test func extremeSequenceNumbersChunksAndTimestampsAreIgnored() {
        let stream = Self.stream()
        _ = stream.message(ByteBuffer(string: Self.validStart))
        for extra in [#""sequenceNumber":1e19,"#, #""sequenceNumber":"-99999999999999999999999","#, #""sequenceNumber":[],"#] {
            for media in [#"{"chunk":1e400,"timestamp":-1e19,"payload":"//8="}"#,
                          #"{"chunk":"x","timestamp":"9999999999999999999999","payload":"//8="}"#,
                          #"{"chunk":null,"timestamp":{"a":1},"payload":"//8=","track":"inbound"}"#] {
                let message = #"{"event":"media","# + extra + #""media":"# + media + "}"
                guard case .audio(.base64(let audio))? = stream.message(ByteBuffer(string: message)) else {
                    Issue.record("no audio for \(message)")
                    continue
                }
                #expect(String(buffer: audio) == "//8=")
            }
        }
        #expect(stream.dropped.isEmpty)
    }

    @Test func oversizedAndMalformedStartFieldsAreRefusedOrClipped() {
        let huge = String(repeating: "9", count: 1_000_000)
        let bad = [
            #"{"event":"start","start":{"streamSid":""# + huge + #""}}"#,
            #"{"event":"start","start":{"streamSid":"MZ\"1"}}"#,
            #"{"event":"start","start":{"streamSid":""}}"#,
            #"{"event":"start","start":{"streamSid":1e19}}"#,
            #"{"event":"start","start":[]}"#,
            #"{"event":"start"}"#,
        ]
        for message in bad {
            let stream = Self.stream()
            #expect(stream.message(ByteBuffer(string: message)) == nil)
            #expect(stream.dropped["invalid_start"] == 1, "\(message.prefix(60))")
        }
        let stream = Self.stream()
        let start = #"{"event":"start","start":{"streamSid":"MZ9","callSid":""# + huge + #"","customParameters":{"from":"+1555"# + huge + #"","direction":"outbound","agent":""# + huge + #"","purpose":""# + huge + #""}}}"#
        guard case .started(let call)? = stream.message(ByteBuffer(string: start)) else {
            Issue.record("no start")
            return
        }
        #expect(call.callID == "MZ9", "an oversized callSid is not taken")
        #expect(call.caller == nil)
        #expect(call.outbound?.agent == nil)
        #expect(call.outbound?.purpose?.count == TwilioMediaStream.Limits.purpose)
    }

    @Test func hugeMarkNamesAndBadDigitsAreDropped() {
        let stream = Self.stream()
        _ = stream.message(ByteBuffer(string: Self.validStart))
        let name = String(repeating: "m", count: 1 << 20)
        #expect(stream.message(ByteBuffer(string: #"{"event":"mark","mark":{"name":""# + name + #""}}"#)) == nil)
        #expect(stream.message(ByteBuffer(string: #"{"event":"mark","mark":{"name":1e19}}"#)) == nil)
        #expect(stream.dropped["invalid_mark"] == 2)
        for digit in [#""""#, #""12""#, "1", "1e19", #""é""#, "null", #""\u0000""#] {
            #expect(stream.message(ByteBuffer(string: #"{"event":"dtmf","dtmf":{"digit":"# + digit + "}}")) == nil)
        }
        #expect(stream.dropped["invalid_dtmf"] == 7)
    }

    @Test func aPeerThatSendsOnlyGarbageIsClosedWith1008() {
        let stream = Self.stream()
        for index in 0..<TwilioMediaStream.Limits.droppedBeforeClosing {
            #expect(stream.refusal == nil, "closed after \(index)")
            _ = stream.message(ByteBuffer(string: "garbage \(index)"))
        }
        #expect(stream.refusal?.code == .policyViolation)
    }

    // MARK: The whole phone side on an embedded channel

    /// A Twilio media stream and the call bridge as the hub wires them, with a recorded start.
    final class Call {
        let channel = EmbeddedChannel()
        let stream = TwilioHardeningTests.stream()
        var starts: [CallStart?] = []

        init() throws {
            try channel.pipeline.syncOperations.addHandler(stream)
            try channel.pipeline.syncOperations.addHandler(CallBridge(logger: TwilioHardeningTests.quiet) { [unowned self] call, _ in
                self.starts.append(call)
            })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        /// Sends one text frame from the phone side; `false` once the channel is closed.
        @discardableResult
        func send(_ text: String) -> Bool {
            guard channel.isActive else { return false }
            let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
            do {
                try channel.writeInbound(frame)
            } catch {
                return false
            }
            while (try? channel.readInbound(as: WebSocketFrame.self)) != nil {}
            while (try? channel.readOutbound(as: WebSocketFrame.self)) != nil {}
            return channel.isActive
        }

        /// Sends one event from the session to the phone side.
        func fromSession(_ text: String) {
            guard channel.isActive else { return }
            _ = try? channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
            while (try? channel.readOutbound(as: WebSocketFrame.self)) != nil {}
            while (try? channel.readInbound(as: WebSocketFrame.self)) != nil {}
        }
    }

    @Test func anExtremeStartClosesTheEmbeddedStreamWith1003() throws {
        let call = try Call()
        var closeFrames: [WebSocketFrame] = []
        let frame = WebSocketFrame(fin: true, opcode: .text, data: Self.start(format: #"{"encoding":"audio/x-mulaw","sampleRate":1e19,"channels":-1}"#))
        try call.channel.writeInbound(frame)
        while let out = try call.channel.readOutbound(as: WebSocketFrame.self) {
            if out.opcode == .connectionClose { closeFrames.append(out) }
        }
        #expect(closeFrames.count == 1)
        var data = closeFrames.first?.data ?? ByteBuffer()
        #expect(data.readWebSocketErrorCode() == .unacceptableData)
        let reason = data.readString(length: data.readableBytes) ?? ""
        #expect(reason.contains("1e19"), "\(reason)")
        #expect(call.starts.compactMap { $0 }.isEmpty, "no session for a refused stream")
        _ = try? call.channel.finish()
    }

    /// Thousands of mutated Twilio messages (seeded, so every run feeds the same ones) through
    /// the media stream and the call bridge, with mutated session events the other way: none
    /// may trap.
    @Test func mutatedMessagesNeverTrap() throws {
        var random = SplitMix64(seed: 0x5B0A_2D)
        let seeds = [
            Self.validStart,
            #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
            #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"40","payload":"//////////8="},"streamSid":"MZ1"}"#,
            #"{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"item_1@20"}}"#,
            #"{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}"#,
            #"{"event":"stop","sequenceNumber":"6","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#,
        ]
        let sessionSeeds = [
            #"{"type":"response.output_audio.delta","item_id":"item_1","delta":"//////////8="}"#,
            #"{"type":"response.audio.delta","item_id":"item_1","delta":"//8="}"#,
            #"{"type":"input_audio_buffer.speech_started","audio_start_ms":100}"#,
            #"{"type":"error","error":{"code":"x","message":"y"}}"#,
        ]
        var fed = 0
        var call = try Call()
        for round in 0..<6_000 {
            if !call.channel.isActive || round % 40 == 0 {
                _ = try? call.channel.finish()
                call = try Call()
                if random.next() % 2 == 0 { call.send(Self.validStart) }
            }
            let seed = seeds[Int(random.next() % UInt64(seeds.count))]
            call.send(Mutator.mutate(seed, random: &random))
            fed += 1
            if random.next() % 3 == 0 {
                call.fromSession(Mutator.mutate(sessionSeeds[Int(random.next() % UInt64(sessionSeeds.count))], random: &random))
            }
        }
        _ = try? call.channel.finish()
        #expect(fed == 6_000)
    }
}

/// Mutations of a valid JSON message that reach the corners: numbers replaced by extreme ones,
/// strings by huge, empty or escaped ones, values by other types, bytes flipped, cut or repeated.
enum Mutator {
    static let extremeNumbers = ["1e19", "-1e19", "1e400", "-1e400", "9223372036854775808", "-9223372036854775809", "0.5", "-1",
                                 "0", "1e-400", "NaN", "Infinity", "-0", "18446744073709551616", String(repeating: "9", count: 400)]
    static let strangeValues = [#""""#, "null", "true", "[]", "{}", #"{"a":{"b":[1,{"c":null}]}}"#, #""\u0000\ud800""#,
                                #""\"\\\/\b\f\n\r\t""#, #""==""#, #""A""#, #""AQ==AQ==""#, #""éé€𝄞""#, "[[[[[[[[[[1]]]]]]]]]]"]

    static func mutate(_ text: String, random: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        let rounds = 1 + Int(random.next() % 3)
        for _ in 0..<rounds {
            switch random.next() % 10 {
            case 0, 1:
                // A number, or a quoted value, replaced by an extreme number.
                replaceValue(&bytes, with: extremeNumbers[Int(random.next() % UInt64(extremeNumbers.count))], random: &random)
            case 2, 3:
                replaceValue(&bytes, with: strangeValues[Int(random.next() % UInt64(strangeValues.count))], random: &random)
            case 4:
                // A huge string.
                let size = [300, 5_000, 70_000][Int(random.next() % 3)]
                replaceValue(&bytes, with: "\"" + String(repeating: ["A", "m", "/", "@"][Int(random.next() % 4)], count: size) + "\"", random: &random)
            case 5:
                guard !bytes.isEmpty else { continue }
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            case 6:
                guard !bytes.isEmpty else { continue }
                bytes.removeSubrange(Int(random.next() % UInt64(bytes.count))...)
            case 7:
                guard !bytes.isEmpty else { continue }
                let at = Int(random.next() % UInt64(bytes.count))
                bytes.insert(contentsOf: Array(",\"extra\":1e999,".utf8), at: at)
            case 8:
                bytes += bytes.prefix(Int(random.next() % 64))
            default:
                // An event name from another message.
                let events = ["media", "start", "mark", "dtmf", "stop", "connected", "clear", "MEDIA", ""]
                if let range = String(decoding: bytes, as: UTF8.self).range(of: #""event":""#) {
                    let string = String(decoding: bytes, as: UTF8.self)
                    let rest = string[range.upperBound...]
                    if let end = rest.firstIndex(of: "\"") {
                        bytes = Array((string[..<range.upperBound] + events[Int(random.next() % UInt64(events.count))] + string[end...]).utf8)
                    }
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces one value (after a `:`) with `value`.
    static func replaceValue(_ bytes: inout [UInt8], with value: String, random: inout SplitMix64) {
        let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
        guard !colons.isEmpty else { return }
        let start = colons[Int(random.next() % UInt64(colons.count))] + 1
        var end = start
        var depth = 0
        var inString = false
        while end < bytes.count {
            let byte = bytes[end]
            if inString {
                if byte == UInt8(ascii: "\\") { end += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false; if depth == 0 { end += 1; break } }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                if depth == 0 { break }
                depth -= 1
                if depth == 0 { end += 1; break }
            } else if byte == UInt8(ascii: ","), depth == 0 {
                break
            }
            end += 1
        }
        bytes.replaceSubrange(start..<min(end, bytes.count), with: Array(value.utf8))
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
