import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardSIP
import SwitchboardSpeech
import SwitchboardTelephony
import SwitchboardTools

/// A session's call control, for its `kind: builtin` tools: what the agent asked to happen to
/// the call once its current answer has been heard (hang up, transfer). The session's driver
/// carries it out when that answer is done.
final class SessionCallControl: CallControl {
    /// What ends the session after the agent's answer.
    enum Ending: Sendable, Equatable {
        case hangUp(reason: String?)
        case transfer(TransferDestination, reason: String?)
    }

    private let ending = NIOLockedValueBox<Ending?>(nil)
    private let transferring = NIOLockedValueBox(false)
    /// The phone call, when the session is one.
    let call: CallStart?
    /// How a transfer of this call is made, when it can be.
    private let transferrer: (any CallTransferrer)?

    /// How keys are pressed on the call, when it is one.
    private let keypad: (any CallKeypad)?
    private let recorder: CallRecorder

    init(call: CallStart?, transferrer: (any CallTransferrer)?, keypad: (any CallKeypad)?, recorder: CallRecorder) {
        self.call = call
        self.transferrer = transferrer
        self.keypad = keypad
        self.recorder = recorder
    }

    var isPhoneCall: Bool { call != nil }

    func endCall(reason: String?) async {
        ending.withLockedValue { if $0 == nil { $0 = .hangUp(reason: reason) } }
    }

    func transfer(to destination: TransferDestination, reason: String?) async throws(CallControlError) {
        guard let transferrer else {
            throw CallControlError("not_supported", "This call cannot be transferred from here; tell the caller how to reach \(destination.description).")
        }
        if destination.mode == .warm, !transferrer.transfersWarm {
            throw CallControlError("not_supported", "Warm transfers are not available on this line; offer a direct transfer instead.")
        }
        ending.withLockedValue { $0 = .transfer(destination, reason: reason) }
        recorder.transferStarted(destination, reason: reason)
    }

    func sendDTMF(_ digits: String) async throws(CallControlError) {
        // The call's line presses keys: RFC 4733 events on a SIP call's RTP, in-band tones on a
        // Twilio stream (which carries audio only).
        guard let keypad else {
            throw CallControlError("not_supported", "Pressing keys is not available on this line.")
        }
        try await keypad.sendDTMF(digits)
    }

    /// What the agent asked for, once; `nil` when nothing.
    func takeEnding() -> Ending? {
        ending.withLockedValue { ending in
            defer { ending = nil }
            return ending
        }
    }

    var hasEnding: Bool { ending.withLockedValue { $0 != nil } }

    /// Whether a transfer is being carried out (the caller is on hold meanwhile).
    var isTransferring: Bool { transferring.withLockedValue { $0 } }

    /// Carries a transfer out; returns how (`refer`, `bridge`, `twilio_dial`) and whether its
    /// outcome is reported later. A warm one's announcement tells the person about the call so
    /// far and the agent's `reason`.
    func performTransfer(_ destination: TransferDestination, reason: String?) async throws -> TransferHandling {
        guard let transferrer, let call else { throw CallControlError("not_supported", "no transfer for this call") }
        transferring.withLockedValue { $0 = true }
        defer { transferring.withLockedValue { $0 = false } }
        let announcement = destination.mode == .warm
            ? TransferAnnouncement.text(record: recorder.snapshot, reason: reason) : nil
        return try await transferrer.transfer(call, to: destination, announcement: announcement, record: recorder.snapshot)
    }
}

/// How a transfer was carried out.
struct TransferHandling: Sendable, Equatable {
    /// `refer`, `bridge` or `twilio_dial`.
    var method: String
    /// The provider reports the outcome after the session has left the call.
    var settledLater = false
}

/// Hands a phone call over to another party: the Twilio REST API, a SIP REFER, a bridge.
protocol CallTransferrer: Sendable {
    /// Whether it can call the person first and tell them about the call (`mode: warm`).
    var transfersWarm: Bool { get }
    /// Puts the call through; `announcement` (warm transfers) is said to the person first.
    /// Returns how it was done.
    func transfer(_ call: CallStart, to destination: TransferDestination, announcement: String?, record: CallRecord) async throws -> TransferHandling
}

/// Presses keys on a phone call.
protocol CallKeypad: Sendable {
    func sendDTMF(_ digits: String) async throws(CallControlError)
}

/// A phone call's keypad: keys go through the session's call bridge to the call's line (RFC 4733
/// events on SIP, in-band tones on a Twilio stream).
struct CallLineKeypad: CallKeypad {
    let relay: NIOLoopBound<SessionRelay>

    func sendDTMF(_ digits: String) async throws(CallControlError) {
        let relay = self.relay
        do {
            try await relay.eventLoop.flatSubmit { relay.value.sendCallDTMF(digits) }.get()
        } catch let error as CallKeysError {
            switch error {
            case .notNegotiated:
                throw CallControlError("not_supported", "This call cannot send keys: the other side did not negotiate telephone events (RFC 4733).")
            case .unsupported(let message):
                throw CallControlError("not_supported", "Pressing keys is not available on this line (\(message)).")
            case .invalidKeys(let message):
                throw CallControlError("invalid_digits", message)
            case .interrupted(let message):
                throw CallControlError("dtmf_failed", "The keys were not sent: \(message).")
            }
        } catch {
            throw CallControlError("dtmf_failed", "The keys were not sent: \(error)")
        }
    }
}

/// A SIP call's line: cold transfers by REFER through the SIP bridge, falling back to a bridge
/// (the hub calls the person and patches the calls) when the caller's side refuses REFER; warm
/// transfers by a bridge whose person hears an announcement first.
struct SIPCallLine: CallTransferrer {
    let bridge: SIPBridge
    /// `--sip-trunk`, for numbers; `--sip-caller-id`.
    let trunk: String?
    let callerID: String

    var transfersWarm: Bool { true }

    func transfer(_ call: CallStart, to destination: TransferDestination, announcement: String?, record: CallRecord) async throws -> TransferHandling {
        if let announcement {
            let audio = try await TransferAnnouncement.audio(announcement, synthesizer: SpeechSynthesizer())
            try await bridgeTransfer(call, to: destination, announcement: audio)
            return TransferHandling(method: "bridge")
        }
        do {
            try await bridge.transfer(callID: call.callID, to: destination.to)
            return TransferHandling(method: "refer")
        } catch let failed as SIPTransferFailed {
            // The caller's side does not take REFER (405, 501, 403…): the hub puts them through itself.
            guard case .refused = failed.outcome, TransferRoute.peer(for: destination.to, trunk: trunk) != nil else { throw failed }
            try await bridgeTransfer(call, to: destination, announcement: nil)
            return TransferHandling(method: "bridge")
        }
    }

    private func bridgeTransfer(_ call: CallStart, to destination: TransferDestination, announcement: [Int16]?) async throws {
        guard let peer = TransferRoute.peer(for: destination.to, trunk: trunk) else {
            throw SIPTransferFailed(outcome: .notSent(destination.to.hasPrefix("+")
                ? "calling a number from the hub needs --sip-trunk HOST:PORT" : "the sip: URI's host must be an IP address"))
        }
        try await bridge.bridgeTransfer(callID: call.callID, to: destination.to, peer: peer, from: callerID, announcement: announcement)
    }
}

extension TwilioCalls: CallTransferrer {
    /// Twilio says the announcement to the person (a whisper URL), which needs `--public-url`.
    var transfersWarm: Bool { publicURL != nil }

    func transfer(_ call: CallStart, to destination: TransferDestination, announcement: String?, record: CallRecord) async throws -> TransferHandling {
        let later = try await transfer(callSid: call.callID, to: destination.to, announcement: announcement, recordID: record.id,
                                       sessionKey: record.sessionKey)
        return TransferHandling(method: "twilio_dial", settledLater: later)
    }
}
