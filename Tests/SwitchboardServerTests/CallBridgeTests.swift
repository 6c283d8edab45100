import NIOCore
import Logging
import RealtimeProtocol
import SwitchboardCore
import Testing
import SwitchboardSIP
@testable import SwitchboardServer
@testable import SwitchboardTelephony

/// What the hub makes of the phone bridges: the media stream URL its TwiML names, and the
/// connection a call's start becomes. (The bridges' own tests are in SwitchboardTelephonyTests.)
@Suite struct CallBridgeTests {
    @Test func twiMLEscapesWhatItQuotes() {
        let xml = TwiML.connectStream(url: "wss://hub.example.com/twilio/media", parameters: [("from", "+1555\"<&>")])
        #expect(xml.contains(#"<Stream url="wss://hub.example.com/twilio/media">"#))
        #expect(xml.contains(#"<Parameter name="from" value="+1555&quot;&lt;&amp;&gt;"/>"#))
        #expect(TwilioWebhook.mediaURL(base: "http://127.0.0.1:8080") == "ws://127.0.0.1:8080/twilio/media")
        #expect(TwilioWebhook.mediaURL(base: "https://hub.example.com") == "wss://hub.example.com/twilio/media")
    }

    @Test func aCallerWhoseNumberIsNotE164GetsASessionOfItsOwn() {
        let stream = TwilioMediaStream(logger: .init(label: "test"), metrics: HubMetrics(), callerProof: .loopbackDevelopment())
        guard case .started(let start)? = stream.message(ByteBuffer(string: #"{"event":"start","start":{"streamSid":"MZ2","customParameters":{"from":"anonymous"}}}"#)) else {
            Issue.record("no start")
            return
        }
        #expect(start.caller == nil)
        #expect(ConnectionRequest(call: start).keyGenerated)
    }
}

@Suite struct OutboundCallTests {
    @Test func anOpeningCarriesItsPurposeBack() {
        let text = OutboundCall.instruction(purpose: " your flight SB204. ")
        #expect(OutboundCall.purpose(in: text) == "your flight SB204")
        #expect(OutboundCall.purpose(in: "You are a helpful agent.") == nil)
    }

    @Test func outboundStreamsCarryTheirPlan() {
        let stream = TwilioMediaStream(logger: .init(label: "test"), metrics: HubMetrics(), callerProof: .loopbackDevelopment())
        guard case .started(let start)? = stream.message(ByteBuffer(string: #"{"event":"start","start":{"streamSid":"MZ3","customParameters":{"from":"+15551234567","direction":"outbound","agent":"hotel","purpose":"your stay"}}}"#)) else {
            Issue.record("no start")
            return
        }
        #expect(start.outbound == OutboundCallPlan(agent: "hotel", purpose: "your stay"))
        #expect(ConnectionRequest(call: start).agent == "hotel")
    }

    @Test func formEncodingMatchesWhatTwilioExpects() {
        #expect(TwilioCalls.formEncoded("<Response a=\"b\"/> +1") == "%3CResponse+a%3D%22b%22%2F%3E+%2B1")
        #expect(OutboundCalls.endpoint("127.0.0.1:5070") == SIPEndpoint(host: "127.0.0.1", port: 5070))
        #expect(OutboundCalls.endpoint("[::1]:5070") == SIPEndpoint(host: "::1", port: 5070))
        #expect(OutboundCalls.endpoint("pbx.local") == SIPEndpoint(host: "pbx.local", port: 5060))
        #expect(OutboundCalls.endpoint("a:b:c") == nil)
    }
}
