import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RealtimeProtocol
import SwitchboardCore

/// How a call begins: who is calling (the session key) and in which codec.
package struct CallStart: Sendable {
    /// The caller's number in E.164, when it is one: the session key, so calling back resumes.
    package var caller: SessionKey?
    /// Whether the bridge proved `caller` (a signed Twilio parameter, a trusted or authenticated
    /// SIP peer). Only a proven number keys the session and names the customer; an unproven one
    /// gets a session of its own and a guest customer.
    package var callerVerified: Bool = true
    /// The provider's id for the call (Twilio's `CallSid`, SIP's `Call-ID`), for logs.
    package var callID: String
    /// The call's G.711 law as a realtime format (`g711ulaw` or `g711alaw`): the model is asked
    /// for it both ways, so call audio is never re-encoded.
    package var codec: AudioFormat
    /// Which bridge carries the call (`twilio`, `sip`), for logs and metrics.
    package var channel: String
    /// A call the hub placed: the agent to talk with, and why the hub is calling (the agent
    /// speaks first, saying so).
    package var outbound: OutboundCallPlan?
    /// The number or address an inbound call dialled (the business's line), when the bridge knows it.
    package var dialled: String?
    /// What the bridge finds out about the call as it goes (who answered), for the session.
    package let signals = CallSignals()
    /// Why a call comes back to its session mid-call, for the agent to tell the caller.
    package var notice: CallNotice?
    /// The tenant the dialled number belongs to, and the agent it reaches (the platform's
    /// number table), when the hub routes calls by number.
    package var tenant: String?
    package var agent: String?

    package init(caller: SessionKey?, callerVerified: Bool = true, callID: String, codec: AudioFormat, channel: String,
                 outbound: OutboundCallPlan? = nil) {
        self.caller = caller
        self.callerVerified = callerVerified
        self.callID = callID
        self.codec = codec
        self.channel = channel
        self.outbound = outbound
    }
}

/// Why a call comes back to its session (a signed stream parameter `notice`).
package enum CallNotice: String, Sendable, Equatable {
    /// The caller was being put through to a person, who did not answer.
    case transferFailed = "transfer_failed"
}

/// What an outbound call is for.
package struct OutboundCallPlan: Sendable, Equatable {
    /// The persona that makes the call; `nil`: the session's current agent.
    package var agent: String?
    /// Why the hub is calling, told to the agent.
    package var purpose: String?
    /// What to do when an answering machine picks up.
    package var voicemail: VoicemailAction
    /// The call record made when the call was placed (the answered call's session goes on with
    /// it), and when that was.
    package var recordID: String?
    package var placedAt: Date?
    /// How long the callee's phone may ring; nil: the bridge's default.
    package var ringSeconds: Int?
    /// The provider tells who answered (Twilio's answering machine detection): the call's bridge
    /// waits for its report (`CallBridge.providerDetected`) instead of listening itself.
    package var providerDetects = false

    package init(agent: String? = nil, purpose: String? = nil, voicemail: VoicemailAction = .ignore, recordID: String? = nil,
                 placedAt: Date? = nil, ringSeconds: Int? = nil) {
        self.agent = agent
        self.purpose = purpose
        self.voicemail = voicemail
        self.recordID = recordID
        self.placedAt = placedAt
        self.ringSeconds = ringSeconds
    }
}

/// Audio of a call as it travels: Twilio carries base64 text, RTP carries raw bytes.
package enum CallAudio: Sendable {
    case base64(ByteBuffer)
    case raw(ByteBuffer)
}

/// What a phone bridge's wire format hands the call bridge.
package enum CallEvent: Sendable {
    /// The call is up; audio may follow.
    case started(CallStart)
    /// The caller's audio, in the call's codec.
    case audio(CallAudio)
    /// One DTMF key the caller pressed (`0`–`9`, `*`, `#`, `A`–`D`).
    case dtmf(Character)
    /// The audio sent before the mark with this name has been played to the caller.
    case played(mark: String)
    /// The caller hung up or the stream stopped.
    case ended
}

/// What the call bridge asks a phone bridge's wire format to do.
package enum CallCommand: Sendable {
    /// Play this audio (base64 text of the call's codec) after what is queued.
    case play(ByteBuffer)
    /// Play these raw bytes of the call's codec after what is queued: another call's audio,
    /// when two calls are patched together (a bridged transfer), forwarded without re-encoding.
    case playRaw(ByteBuffer)
    /// Report `played(mark:)` once everything queued before it has been played.
    case mark(String)
    /// Drop all audio queued for playback at once (barge-in).
    case clear
    /// End the call.
    case hangUp
    /// Press these keys on the call (`0`–`9`, `*`, `#`, `A`–`D`, `w` for a half-second pause):
    /// RFC 4733 events on SIP. The write's promise succeeds once they have been sent and fails
    /// with a `CallKeysError` when they cannot be.
    case dtmf(String)
}

/// Why keys could not be pressed on a call.
package enum CallKeysError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call's media negotiated no RFC 4733 telephone-event payload type.
    case notNegotiated
    /// A character that is not a key, or too many keys.
    case invalidKeys(String)
    /// This kind of call cannot send keys at all.
    case unsupported(String)
    /// The call ended or was put on hold before the keys were sent.
    case interrupted(String)

    package var description: String {
        switch self {
        case .notNegotiated: "the other side of the call did not negotiate RFC 4733 telephone events, so keys cannot be sent"
        case .invalidKeys(let message): message
        case .unsupported(let message): message
        case .interrupted(let message): message
        }
    }
}

/// What an outbound call does when a machine answers: detection runs for every action but
/// `ignore` (the agent then talks to whoever answers, as soon as they answer).
package enum VoicemailAction: Sendable, Equatable {
    case ignore
    /// Hang up once the machine is recognised.
    case hangUp
    /// Wait for the greeting to end (its beep), say this message, then hang up.
    case leaveMessage(String)

    /// `ignore`, `hang_up` or `leave_message` (with its message), as the API and the stream
    /// parameters write it.
    package var name: String {
        switch self {
        case .ignore: "ignore"
        case .hangUp: "hang_up"
        case .leaveMessage: "leave_message"
        }
    }

    package init?(name: String, message: String?) {
        switch name {
        case "ignore": self = .ignore
        case "hang_up": self = .hangUp
        case "leave_message":
            guard let message, !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
            self = .leaveMessage(message)
        default: return nil
        }
    }
}

/// Who answered an outbound call, as the bridge told.
package enum AnsweredBy: String, Sendable, Equatable {
    case human, machine
    /// Nobody said anything before the detector gave up.
    case unknown
}

/// What a phone bridge reports about its call to the call's session: who answered, and when a
/// machine's greeting is over so its message can be left. Reports made before the session
/// listens wait for it.
package final class CallSignals: Sendable {
    package enum Report: Sendable, Equatable {
        case answeredBy(AnsweredBy)
        /// The machine's greeting has ended (its beep sounded): `action` is due now.
        case voicemailReady(VoicemailAction)
    }

    private struct State {
        var waiting: [Report] = []
        var handler: (@Sendable (Report) -> Void)?
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    package func report(_ report: Report) {
        let handler = state.withLockedValue { state -> (@Sendable (Report) -> Void)? in
            if state.handler == nil { state.waiting.append(report) }
            return state.handler
        }
        handler?(report)
    }

    /// Who hears the reports (those already made first, in order).
    package func listen(_ handler: @escaping @Sendable (Report) -> Void) {
        let waiting = state.withLockedValue { state -> [Report] in
            state.handler = handler
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach(handler)
    }
}
