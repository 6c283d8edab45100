import NIOCore
import Logging
import RealtimeProtocol
import SwitchboardCore
import Testing
@testable import SwitchboardTelephony

/// The phone bridges' pieces that need no network: what the caller heard, Twilio's signature,
/// its wire format, and the events the call bridge writes.
@Suite struct CallBridgeTests {
    @Test func playbackTruncatesAtTheLastConfirmedMark() {
        var playback = CallPlayback()
        let first = playback.sent(item: "item_a", bytes: 1600)   // 200 ms
        let second = playback.sent(item: "item_a", bytes: 1600)  // 400 ms
        #expect(first == "item_a@200")
        #expect(second == "item_a@400")
        #expect(playback.isPlaying)
        playback.played(mark: first)
        let cut = playback.interrupt()
        #expect(cut?.item == "item_a")
        #expect(cut?.audioEndMilliseconds == 200)
        // The dropped audio's mark, echoed after the clear, changes nothing.
        playback.played(mark: second)
        #expect(!playback.isPlaying)
        #expect(playback.interrupt() == nil)
    }

    @Test func playbackHasNothingToTruncateOnceEverythingPlayed() {
        var playback = CallPlayback()
        let mark = playback.sent(item: "item_a", bytes: 800)
        playback.played(mark: mark)
        #expect(!playback.isPlaying)
        #expect(playback.interrupt() == nil)
    }

    @Test func playbackIgnoresMarksOfOtherItemsAndNeverPassesWhatWasSent() {
        var playback = CallPlayback()
        let old = playback.sent(item: "item_a", bytes: 800)
        _ = playback.sent(item: "item_b", bytes: 1600)
        playback.played(mark: old)
        playback.played(mark: "item_b@999999")
        playback.played(mark: "garbage")
        #expect(playback.playedMilliseconds == 200)
        #expect(playback.sentMilliseconds == 200)
    }

    @Test func twilioSignatureMatchesTheDocumentedScheme() {
        // Computed independently: base64(HMAC-SHA1(token, url + sorted name/value pairs)).
        let signature = TwilioSignature(authToken: "12345")
        let parameters = [("To", "+15557654321"), ("CallSid", "CA123"), ("From", "+15551234567")]
        #expect(signature.sign(url: "https://example.com/twilio/voice", parameters: parameters) == "xV9WTZsUFFcPUPWfQBDSTQZY7Wk=")
        #expect(signature.isValid("xV9WTZsUFFcPUPWfQBDSTQZY7Wk=", url: "https://example.com:443/twilio/voice", parameters: parameters))
        #expect(!signature.isValid("xV9WTZsUFFcPUPWfQBDSTQZY7Wk=", url: "https://example.com/twilio/voice", parameters: parameters + [("Extra", "1")]))
        #expect(!signature.isValid(nil, url: "https://example.com/twilio/voice", parameters: parameters))
        #expect(signature.sign(url: "wss://example.com/twilio/media", parameters: []) == "Ko8aymfVk0cCegaxVKH0ZCvSyf4=")
    }

    @Test func memberPeekFindsTopLevelAndNestedStrings() {
        let buffer = ByteBuffer(string: #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","payload":"AQID"},"streamSid":"MZ1"}"#)
        #expect(MemberPeek.string("event", in: buffer) == "media")
        #expect(MemberPeek.string("streamSid", in: buffer) == "MZ1")
        #expect(MemberPeek.string("payload", in: buffer) == nil, "only top-level members are read")
        #expect(MemberPeek.string("media", in: buffer) == nil, "not a string")
        #expect(MemberPeek.string("event", in: ByteBuffer(string: "[1]")) == nil)
        #expect(MemberPeek.string("event", in: ByteBuffer(string: #"{"event":"a\"b"}"#)) == nil)
    }

    @Test func rawCallAudioIsEncodedAsStandardBase64() throws {
        for (bytes, text) in [([1, 2, 3, 4, 5], "AQIDBAU="), ([255, 0], "/wA="), ([], ""), ([0, 0, 0], "AAAA")] as [([UInt8], String)] {
            let event = try RealtimeEvent.decode(CallBridge.append(.raw(ByteBuffer(bytes: bytes)), allocator: ByteBufferAllocator()))
            #expect(event["audio"]?.stringValue == text)
        }
    }

    @Test func appendCarriesTwilioAudioUnchangedAndEncodesRawAudio() throws {
        let passed = CallBridge.append(.base64(ByteBuffer(string: "AQIDBAU=")), allocator: ByteBufferAllocator())
        let event = try RealtimeEvent.decode(passed)
        #expect(event.type == "input_audio_buffer.append")
        #expect(event["audio"]?.stringValue == "AQIDBAU=")
        let encoded = try RealtimeEvent.decode(CallBridge.append(.raw(ByteBuffer(bytes: [1, 2, 3, 4, 5])), allocator: ByteBufferAllocator()))
        #expect(encoded["audio"]?.stringValue == "AQIDBAU=")
    }

    @Test func sessionUpdateAsksForTheCallsCodecBothWays() throws {
        let event = try RealtimeEvent.decode(CallBridge.sessionUpdate(codec: .g711alaw, silence: 600))
        let audio = event["session"]?["audio"]
        #expect(audio?["input"]?["format"]?["type"]?.stringValue == "audio/pcma")
        #expect(audio?["output"]?["format"]?["type"]?.stringValue == "audio/pcma")
        #expect(audio?["input"]?["turn_detection"]?["interrupt_response"]?.boolValue == true)
        #expect(audio?["input"]?["turn_detection"]?["silence_duration_ms"]?.intValue == 600)
    }

    @Test func twilioMessagesBecomeCallEvents() {
        let stream = TwilioMediaStream(logger: .init(label: "test"), metrics: RecordingTelephonyMetrics(), callerProof: .loopbackDevelopment())
        // Media before start is not a call's audio yet.
        #expect(stream.message(ByteBuffer(string: #"{"event":"media","media":{"payload":"AQID"}}"#)) == nil)
        guard case .started(let start)? = stream.message(ByteBuffer(string: #"{"event":"start","start":{"streamSid":"MZ1","callSid":"CA1","customParameters":{"from":"+15551234567"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#)) else {
            Issue.record("no start")
            return
        }
        #expect(start.caller?.rawValue == "+15551234567")
        #expect(start.callID == "CA1")
        guard case .audio(.base64(let payload))? = stream.message(ByteBuffer(string: #"{"event":"media","media":{"track":"inbound","payload":"AQID"}}"#)) else {
            Issue.record("no audio")
            return
        }
        #expect(String(buffer: payload) == "AQID")
        #expect(stream.message(ByteBuffer(string: #"{"event":"media","media":{"track":"outbound","payload":"AQID"}}"#)) == nil)
        guard case .dtmf(let key)? = stream.message(ByteBuffer(string: #"{"event":"dtmf","dtmf":{"digit":"7"}}"#)) else {
            Issue.record("no dtmf")
            return
        }
        #expect(key == "7")
        guard case .played(let mark)? = stream.message(ByteBuffer(string: #"{"event":"mark","mark":{"name":"item@40"}}"#)) else {
            Issue.record("no mark")
            return
        }
        #expect(mark == "item@40")
        guard case .ended? = stream.message(ByteBuffer(string: #"{"event":"stop"}"#)) else {
            Issue.record("no stop")
            return
        }
        #expect(stream.message(ByteBuffer(string: "not json")) == nil)
        #expect(stream.message(ByteBuffer(string: #"{"event":"dtmf","dtmf":{"digit":"77"}}"#)) == nil)
    }
}
