import Foundation
import SwitchboardCalls
import Testing

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    static let secret = "whsec_test_secret"
    static let body = #"{"id":"evt_0123","type":"call.ended"}"#
    /// printf '%s' '1700000000.{"id":"evt_0123","type":"call.ended"}' | openssl dgst -sha256 -hmac 'whsec_test_secret'
    static let expected = "cd719f6b0fdd093697a5625aba3e9d1a37dfdc6c380b71188abfef1613d8c2d2"
    static let signedAt = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func matchesAnIndependentlyComputedVector() {
        #expect(WebhookSignature.signature(body: Array(Self.body.utf8), secret: Self.secret, timestamp: 1_700_000_000) == Self.expected)
        #expect(WebhookSignature.header(body: Self.body, secret: Self.secret, at: Self.signedAt.addingTimeInterval(0.9))
            == "t=1700000000,v1=\(Self.expected)")
        // printf '%s' '1700000000.' | openssl dgst -sha256 -hmac 'k' (an empty body)
        #expect(WebhookSignature.signature(body: [], secret: "k", timestamp: 1_700_000_000)
            == "5c2999a43333a6877f49c8003f235c4f6de40f85b1b7414b70bd470a8db53d97")
    }

    @Test func verifiesWhatItSigns() throws {
        let header = "t=1700000000,v1=\(Self.expected)"
        try WebhookSignature.verify(header: header, body: Array(Self.body.utf8), secret: Self.secret, now: Self.signedAt.addingTimeInterval(299))
        // Several v1 (a rotated secret), other schemes and spaces are fine.
        let rotated = "t=1700000000, v0=abc, v1=\(String(repeating: "0", count: 64)), v1=\(Self.expected.uppercased())"
        try WebhookSignature.verify(header: rotated, body: Array(Self.body.utf8), secret: Self.secret, now: Self.signedAt)
    }

    @Test(arguments: [
        ("t=1700000000,v1=\(WebhookSignatureTests.expected)", "wrong-secret", 0.0, WebhookSignature.VerificationError.Kind.mismatch),
        ("t=1700000000,v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, 301.0, .stale),
        ("t=1700000000,v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, -301.0, .stale),
        ("t=1700000001,v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, 0.0, .mismatch),
        ("v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, 0.0, .malformed),
        ("t=1700000000", WebhookSignatureTests.secret, 0.0, .malformed),
        ("t=1700000000,v1=zz", WebhookSignatureTests.secret, 0.0, .malformed),
        ("t=99999999999999999999999,v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, 0.0, .malformed),
        ("t=1700000000,t=1700000000,v1=\(WebhookSignatureTests.expected)", WebhookSignatureTests.secret, 0.0, .malformed),
        ("garbage", WebhookSignatureTests.secret, 0.0, .malformed),
        ("", WebhookSignatureTests.secret, 0.0, .malformed),
    ])
    func refuses(header: String, secret: String, offset: Double, kind: WebhookSignature.VerificationError.Kind) {
        #expect {
            try WebhookSignature.verify(header: header, body: Array(Self.body.utf8), secret: secret, now: Self.signedAt.addingTimeInterval(offset))
        } throws: { ($0 as? WebhookSignature.VerificationError)?.kind == kind }
    }

    @Test func refusesAChangedBody() {
        #expect(throws: WebhookSignature.VerificationError.self) {
            try WebhookSignature.verify(header: "t=1700000000,v1=\(Self.expected)", body: Array((Self.body + " ").utf8),
                                        secret: Self.secret, now: Self.signedAt)
        }
    }
}
