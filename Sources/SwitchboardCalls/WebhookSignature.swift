import Crypto
import Foundation

/// The signature of a webhook request, Stripe's scheme: the header
/// `Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
/// endpoint's secret. A receiver checks it with `verify`, refusing a stale `t` so that a
/// captured request cannot be replayed later.
public enum WebhookSignature {
    /// The header's name.
    public static let headerName = "Switchboard-Signature"

    /// The header value for `body` sent at `timestamp` (Unix seconds).
    public static func header(body: some Collection<UInt8>, secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1=\(signature(body: body, secret: secret, timestamp: timestamp))"
    }

    /// The header value for `body` sent at `date`.
    public static func header(body: String, secret: String, at date: Date) -> String {
        header(body: Array(body.utf8), secret: secret, timestamp: unixSeconds(date))
    }

    /// The lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
    public static func signature(body: some Collection<UInt8>, secret: String, timestamp: Int) -> String {
        let code = mac(body: body, secret: secret, timestamp: timestamp)
        return code.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// Why a signature was refused.
    public struct VerificationError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The header is not `t=…,v1=…`.
            case malformed
            /// `t` is further from now than the tolerance.
            case stale
            /// No `v1` matches.
            case mismatch
        }
        public var kind: Kind
        public var description: String
    }

    /// Checks the header of a request whose body is `body`: it must hold one `t` (Unix seconds
    /// within `tolerance` of `now`, either side) and at least one `v1` equal, compared in
    /// constant time, to the HMAC under `secret` (several `v1` are allowed, as while a secret is
    /// rotated; other schemes are ignored). Throws `VerificationError` otherwise.
    public static func verify(
        header: String, body: some Collection<UInt8>, secret: String, now: Date = Date(), tolerance: TimeInterval = 300
    ) throws(VerificationError) {
        var timestamp: Int?
        var candidates: [[UInt8]] = []
        for part in header.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw VerificationError(kind: .malformed, description: "signature header part without =") }
            let key = pair[0].trimmingCharacters(in: .whitespaces), value = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t":
                guard timestamp == nil, let seconds = Int(value) else {
                    throw VerificationError(kind: .malformed, description: "the signature header's t is not one whole number")
                }
                timestamp = seconds
            case "v1":
                if let bytes = hexBytes(value), bytes.count == SHA256.byteCount { candidates.append(bytes) }
            default:
                continue
            }
        }
        guard let timestamp else { throw VerificationError(kind: .malformed, description: "the signature header has no t") }
        guard !candidates.isEmpty else { throw VerificationError(kind: .malformed, description: "the signature header has no valid v1") }
        guard abs(Double(timestamp) - now.timeIntervalSince1970) <= max(0, tolerance) else {
            throw VerificationError(kind: .stale, description: "the signature's time is outside the tolerance")
        }
        let key = SymmetricKey(data: Array(secret.utf8))
        let message = Array("\(timestamp).".utf8) + Array(body)
        var matched = false
        for candidate in candidates where HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: key) {
            matched = true
        }
        guard matched else { throw VerificationError(kind: .mismatch, description: "no signature matches") }
    }

    /// Whole seconds since 1970 of `date` (rounded down; 0 for a date that is not a number).
    public static func unixSeconds(_ date: Date) -> Int {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite else { return 0 }
        return Int(exactly: min(max(seconds, -1e15), 1e15)) ?? 0
    }

    private static func mac(body: some Collection<UInt8>, secret: String, timestamp: Int) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: Array(body))
        return Array(hmac.finalize())
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
