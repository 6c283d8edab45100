import Crypto
import Foundation
import NIOConcurrencyHelpers
import SwitchboardCore

/// Proof that a Twilio media stream carries the caller's number this hub put in its TwiML.
///
/// The media stream's `start` carries the caller only as a custom parameter, which whoever
/// opens `/twilio/media` writes. So the TwiML the hub answers (the signed voice webhook, or a
/// call the hub placed) carries its stream parameters together with an expiry, a per-call random
/// nonce and a signature: HMAC-SHA256 over every parameter (the number, the `callSid`, the
/// agent and purpose of a call the hub placed, the expiry, the nonce), keyed by a key derived
/// with HKDF from the Twilio auth token (every replica with the token verifies it) or, on a
/// loopback hub without a token, a random key of this process. On `start` the signature is
/// checked against `customParameters` and `start.callSid`: a valid, unexpired, unused one
/// proves the number. Nonces are single-use within a process; on another replica a replay is
/// bounded by the expiry.
package struct TwilioCallerProof: Sendable {
    /// How a stream's caller parameters turned out.
    package enum Outcome: String, Sendable {
        /// Signed by this hub, unexpired, first use: the number is proven.
        case verified
        /// No signature: the stream does not come from this hub's TwiML.
        case missing
        /// A signature that does not match the parameters (a changed number, CallSid, agent…)
        /// or another key.
        case forged
        /// Signed, but past its expiry.
        case expired
        /// Signed and unexpired, but its nonce was already used in this process.
        case replayed
    }

    /// The parameter names the proof adds to a stream's TwiML.
    package enum Name {
        package static let expires = "expires"
        package static let nonce = "nonce"
        package static let signature = "signature"
    }

    /// How long a webhook's TwiML stays good: Twilio opens the stream within a second or two.
    package static let streamLifetime: TimeInterval = 60
    /// How long a call the hub placed rings before Twilio gives up (sent as `Timeout`); its
    /// TwiML runs once answered, so its parameters live this long plus `streamLifetime`.
    package static let outboundRingSeconds = 60

    /// The key that signs and verifies.
    package let key: SymmetricKey
    /// Whether a stream without a valid proof is refused (a Twilio auth token is configured);
    /// else (a loopback dev hub) such a call goes on unverified.
    package let required: Bool
    /// Nonces already used.
    package let nonces: TwilioNonces

    package init(key: SymmetricKey, required: Bool, nonces: TwilioNonces = .shared) {
        self.key = key
        self.required = required
        self.nonces = nonces
    }

    /// A hub's proof: keyed from its Twilio auth token (required), or, without one, this
    /// process's random key (a loopback development hub).
    package init(authToken: String?) {
        if let authToken {
            self.init(key: Self.key(authToken: authToken), required: true)
        } else {
            self.init(key: Self.processKey, required: false)
        }
    }

    /// The key derived from a Twilio auth token: the same on every replica that has the token,
    /// and not the token itself (which signs Twilio's own requests).
    package static func key(authToken: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(authToken.utf8)),
                               salt: Data("switchboard.twilio.caller".utf8), info: Data("stream-parameters-v1".utf8),
                               outputByteCount: 32)
    }

    /// A loopback hub's key without a token: random, for this process's life.
    package static let processKey = SymmetricKey(size: .bits256)

    /// `parameters` with an expiry, a fresh nonce and the signature over all of them.
    package func signed(_ parameters: [(String, String)], lifetime: TimeInterval = streamLifetime, now: Date = Date()) -> [(String, String)] {
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = UInt8.random(in: .min ... .max, using: &generator) }
        var out = parameters.filter { ![Name.expires, Name.nonce, Name.signature].contains($0.0) }
        out.append((Name.expires, String(Int64((now.timeIntervalSince1970 + lifetime).rounded(.up)))))
        out.append((Name.nonce, nonce.map { String(format: "%02x", $0) }.joined()))
        out.append((Name.signature, signature(of: out)))
        return out
    }

    /// Checks a stream's custom parameters against `start.callSid` (the signed `callSid`
    /// parameter, when there is one, must be the stream's), and uses up the nonce when valid.
    package func verify(_ parameters: [(String, String)], callSid: String?, now: Date = Date()) -> Outcome {
        guard let presented = parameters.last(where: { $0.0 == Name.signature })?.1 else { return .missing }
        let signed = parameters.filter { $0.0 != Name.signature }
        guard Set(signed.map(\.0)).count == signed.count,
              ConstantTime.equals(signature(of: signed), presented) else { return .forged }
        func value(_ name: String) -> String? { signed.first(where: { $0.0 == name })?.1 }
        if let signedSid = value("callSid"), signedSid != callSid { return .forged }
        guard let expires = value(Name.expires).flatMap(Int64.init), let nonce = value(Name.nonce), !nonce.isEmpty else { return .forged }
        guard Double(expires) >= now.timeIntervalSince1970 else { return .expired }
        return nonces.use(nonce, until: Double(expires), now: now.timeIntervalSince1970) ? .verified : .replayed
    }

    /// base64url HMAC-SHA256 of the parameters sorted by name, each name and value length-prefixed.
    package func signature(of parameters: [(String, String)]) -> String {
        var text = "switchboard-twilio-stream-v1\n"
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            text += "\(name.utf8.count):\(name)=\(value.utf8.count):\(value)\n"
        }
        let code = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)
        return Data(code).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Nonces of stream proofs already used in this process, until they expire: a bounded set
/// (past `capacity`, the oldest is forgotten; at 60 s that takes over 1,600 calls a second).
package final class TwilioNonces: Sendable {
    package static let shared = TwilioNonces()

    private struct State {
        package var expiries: [String: Double] = [:]
        package var order: [(nonce: String, expires: Double)] = []
        package var head = 0
    }

    private let state = NIOLockedValueBox(State())
    package let capacity: Int

    package init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    package var count: Int { state.withLockedValue { $0.expiries.count } }

    /// Records `nonce` as used until `expires`; `false` when it already was.
    package func use(_ nonce: String, until expires: Double, now: Double) -> Bool {
        state.withLockedValue { state in
            // Forget expired nonces at the front, and the oldest beyond the capacity.
            while state.head < state.order.count,
                  state.order[state.head].expires < now || state.expiries.count >= capacity {
                let old = state.order[state.head]
                if state.expiries[old.nonce] == old.expires { state.expiries[old.nonce] = nil }
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if let until = state.expiries[nonce], until >= now { return false }
            state.expiries[nonce] = expires
            state.order.append((nonce, expires))
            return true
        }
    }
}
