import Crypto
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import RealtimeProtocol
import SwitchboardCore
import Testing
@testable import SwitchboardTelephony

extension TwilioCallerProof {
    /// A loopback hub without a token: its own key and nonces; unsigned streams go on unverified.
    static func loopbackDevelopment() -> TwilioCallerProof {
        TwilioCallerProof(key: SymmetricKey(size: .bits256), required: false, nonces: TwilioNonces())
    }

    /// A hub with this Twilio auth token, with nonces of its own.
    static func token(_ token: String, nonces: TwilioNonces = TwilioNonces()) -> TwilioCallerProof {
        TwilioCallerProof(key: key(authToken: token), required: true, nonces: nonces)
    }
}

/// What proves a Twilio caller: the signed stream parameters of the hub's TwiML.
@Suite struct TwilioCallerProofTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let call = [("from", "+15551230001"), ("callSid", "CA0123456789abcdef0123456789abcdef")]

    static func replacing(_ parameters: [(String, String)], _ name: String, with value: String) -> [(String, String)] {
        parameters.map { $0.0 == name ? ($0.0, value) : $0 }
    }

    @Test func aSignedCallerVerifiesOnceOnly() {
        let proof = TwilioCallerProof.token("token")
        let signed = proof.signed(Self.call, now: Self.now)
        #expect(Set(signed.map(\.0)) == ["from", "callSid", "expires", "nonce", "signature"])
        #expect(proof.verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now + 5) == .verified)
        // The same parameters again (a replayed stream): the nonce is used up.
        #expect(proof.verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now + 6) == .replayed)
    }

    @Test func aChangedNumberOrCallSidIsForged() {
        let proof = TwilioCallerProof.token("token")
        let signed = proof.signed(Self.call, now: Self.now)
        #expect(proof.verify(Self.replacing(signed, "from", with: "+15551230002"), callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        // Twilio's start.callSid is not the one signed.
        #expect(proof.verify(signed, callSid: "CAffffffffffffffffffffffffffffffff", now: Self.now) == .forged)
        #expect(proof.verify(signed, callSid: nil, now: Self.now) == .forged)
        // The signed callSid parameter changed to match a stream of another call.
        #expect(proof.verify(Self.replacing(signed, "callSid", with: "CA1"), callSid: "CA1", now: Self.now) == .forged)
        // A later expiry, another nonce, an added or a removed parameter.
        #expect(proof.verify(Self.replacing(signed, "expires", with: "9999999999"), callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        #expect(proof.verify(Self.replacing(signed, "nonce", with: "00"), callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        #expect(proof.verify(signed + [("direction", "outbound")], callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        #expect(proof.verify(signed.filter { $0.0 != "from" }, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        // None of those used the nonce up: the real stream still verifies.
        #expect(proof.verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .verified)
    }

    @Test func anExpiredSignatureIsRefused() {
        let proof = TwilioCallerProof.token("token")
        let signed = proof.signed(Self.call, now: Self.now)
        #expect(proof.verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now + TwilioCallerProof.streamLifetime + 1) == .expired)
        #expect(proof.verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now + TwilioCallerProof.streamLifetime) == .verified)
    }

    @Test func anotherKeyIsForgedAndReplicasWithTheTokenAgree() {
        let signed = TwilioCallerProof.token("token").signed(Self.call, now: Self.now)
        #expect(TwilioCallerProof.token("another token").verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        #expect(TwilioCallerProof.loopbackDevelopment().verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
        // Another replica (same token, its own nonces) verifies it: a replay there is bounded by the expiry.
        #expect(TwilioCallerProof.token("token").verify(signed, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .verified)
        // The key is derived, not the token itself.
        #expect(TwilioCallerProof.key(authToken: "token") != SymmetricKey(data: Data("token".utf8)))
    }

    @Test func missingSignaturesAreMissing() {
        let proof = TwilioCallerProof.token("token")
        #expect(proof.verify(Self.call, callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .missing)
        #expect(proof.verify([], callSid: nil, now: Self.now) == .missing)
        #expect(proof.verify(Self.call + [("signature", "")], callSid: "CA0123456789abcdef0123456789abcdef", now: Self.now) == .forged)
    }

    @Test func anOutboundCallsParametersBindNoCallSidButEverythingElse() {
        let proof = TwilioCallerProof.token("token")
        let plan = [("from", "+15551230003"), ("direction", "outbound"), ("agent", "hotel"), ("purpose", "your stay")]
        let signed = proof.signed(plan, lifetime: 120, now: Self.now)
        #expect(proof.verify(Self.replacing(signed, "purpose", with: "your refund"), callSid: "CA9", now: Self.now) == .forged)
        #expect(proof.verify(signed, callSid: "CA9", now: Self.now + 100) == .verified)
    }

    @Test func usedNoncesAreBoundedAndExpire() {
        let nonces = TwilioNonces(capacity: 3)
        #expect(nonces.use("a", until: 10, now: 0))
        #expect(!nonces.use("a", until: 10, now: 1))
        #expect(nonces.use("b", until: 10, now: 1))
        #expect(nonces.use("c", until: 10, now: 1))
        #expect(nonces.use("d", until: 10, now: 1))
        #expect(nonces.count == 3, "the oldest is forgotten past the capacity")
        #expect(!nonces.use("d", until: 10, now: 2))
        #expect(nonces.use("e", until: 20, now: 11))
        #expect(nonces.count == 1, "expired nonces are forgotten")
    }

    // MARK: The media stream

    static let quiet: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func start(_ parameters: [(String, String)], callSid: String = "CA0123456789abcdef0123456789abcdef") -> String {
        let custom = JSONObject(parameters.map { ($0.0, JSONValue.string($0.1)) })
        let start = JSONObject([
            ("streamSid", .string("MZ1")), ("callSid", .string(callSid)), ("customParameters", .object(custom)),
            ("mediaFormat", .object(JSONObject([("encoding", .string("audio/x-mulaw")), ("sampleRate", .int(8000)), ("channels", .int(1))]))),
        ])
        return JSONValue.object(JSONObject([("event", .string("start")), ("start", .object(start))])).jsonString
    }

    /// The stream and the call bridge on an embedded channel, as the hub wires them.
    final class Call {
        let channel = EmbeddedChannel()
        let metrics = RecordingTelephonyMetrics()
        var starts: [CallStart?] = []
        var closes: [(WebSocketErrorCode?, String)] = []

        init(proof: TwilioCallerProof) throws {
            try channel.pipeline.syncOperations.addHandler(TwilioMediaStream(logger: TwilioCallerProofTests.quiet, metrics: metrics, callerProof: proof))
            try channel.pipeline.syncOperations.addHandler(CallBridge(logger: TwilioCallerProofTests.quiet) { [unowned self] call, _ in
                self.starts.append(call)
            })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
            while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
                guard frame.opcode == .connectionClose else { continue }
                var data = frame.data
                let code = data.readWebSocketErrorCode()
                closes.append((code, data.readString(length: data.readableBytes) ?? ""))
            }
        }
    }

    @Test func aForgedStartIsClosedWith1008WhenATokenIsConfigured() throws {
        let proof = TwilioCallerProof.token("token")
        let signed = proof.signed(Self.call)
        let call = try Call(proof: proof)
        // A replayed stream with a changed number.
        try call.send(Self.start(Self.replacing(signed, "from", with: "+15551239999")))
        #expect(call.closes.count == 1)
        #expect(call.closes.first?.0 == .policyViolation)
        #expect(call.closes.first?.1.contains("do not match their signature") == true, "\(call.closes)")
        #expect(call.starts.compactMap { $0 }.isEmpty, "a forged stream gets no session")
        #expect(!call.channel.isActive)
        #expect(call.metrics.counts.twilioCallers == ["forged": 1])
        _ = try? call.channel.finish()
    }

    @Test func anUnsignedStartIsClosedWith1008WhenATokenIsConfigured() throws {
        let call = try Call(proof: .token("token"))
        try call.send(Self.start(Self.call))
        #expect(call.closes.first?.0 == .policyViolation)
        #expect(call.closes.first?.1.contains("no signature") == true)
        #expect(call.starts.compactMap { $0 }.isEmpty)
        _ = try? call.channel.finish()
    }

    @Test func aSignedStartProvesTheCaller() throws {
        let proof = TwilioCallerProof.token("token")
        let call = try Call(proof: proof)
        try call.send(Self.start(proof.signed(Self.call)))
        #expect(call.closes.isEmpty)
        let start = try #require(call.starts.first ?? nil)
        #expect(start.caller?.rawValue == "+15551230001")
        #expect(start.callerVerified)
        #expect(call.metrics.counts.twilioCallers == ["verified": 1])
        _ = try? call.channel.finish()
    }

    @Test func aLoopbackHubWithoutATokenLetsAnUnsignedCallGoOnUnverified() throws {
        let call = try Call(proof: .loopbackDevelopment())
        try call.send(Self.start(Self.call))
        #expect(call.closes.isEmpty)
        let start = try #require(call.starts.first ?? nil)
        #expect(!start.callerVerified, "the claimed number is not proven")
        #expect(call.metrics.counts.twilioCallers == ["missing": 1])
        _ = try? call.channel.finish()
    }

    @Test func aHubWithATwilioTokenRequiresTheProof() {
        #expect(!TwilioCallerProof(authToken: nil).required)
        let stream = TwilioMediaStream(logger: Self.quiet, metrics: RecordingTelephonyMetrics(), callerProof: TwilioCallerProof(authToken: "token"))
        #expect(stream.callerProof.required)
        #expect(stream.message(ByteBuffer(string: Self.start(Self.call))) == nil)
        #expect(stream.refusal?.code == .policyViolation)
    }
}
