import Foundation
import RealtimeProtocol

/// Everything the hub keeps about one call or session: who, when, how it ended, the agents it
/// went through, the whole transcript, the tools that ran, the keys pressed, and what came after
/// (recording, analysis, cost). Stored in the business database and sent in webhooks as JSON
/// (`json`), with snake_case names and RFC 3339 times in UTC with milliseconds.
public struct CallRecord: Sendable, Equatable {
    /// `call_` and 32 lowercase hex digits.
    public var id: String
    public var channel: CallChannel
    public var direction: CallDirection
    /// The caller's number or address, when known (a browser session has none).
    public var from: String?
    /// The number or address called.
    public var to: String?
    /// The pack that served the call; the tenant that owns it, once tenants exist.
    public var pack: String?
    public var tenant: String?
    /// The session the call belongs to (its key: a UUID or a proven number).
    public var sessionKey: String
    /// The customer the session was proven to belong to (their id), when any.
    public var customer: String?
    /// The provider's id (Twilio's CallSid, SIP's Call-ID).
    public var providerCallID: String?
    public var startedAt: Date
    /// When the far end picked up (an inbound call: when the hub answered).
    public var answeredAt: Date?
    /// Who picked up an outbound call the hub listened to: `human`, `machine` or `unknown`.
    public var answeredBy: String?
    public var endedAt: Date?
    public var endReason: CallEndReason?
    /// The agents in the order they took the call; the first is the one it started with.
    public var agents: [AgentStep]
    /// Both sides, in order, with when each was said.
    public var transcript: [TranscriptEntry]
    public var toolCalls: [ToolCallEntry]
    public var dtmf: [DTMFEntry]
    /// Transfers the agent made, in order.
    public var transfers: [TransferEntry] = []
    /// Where the recording is and whether the caller consented; `nil` when not recorded.
    public var recording: JSONValue?
    /// The post-call analysis; `nil` until analysed.
    public var analysis: JSONValue?
    /// Usage and cost; `nil` until the call ends.
    public var cost: JSONValue?

    public init(id: String = CallRecord.newID(), channel: CallChannel, direction: CallDirection, from: String? = nil, to: String? = nil,
                pack: String? = nil, tenant: String? = nil, sessionKey: String, customer: String? = nil, providerCallID: String? = nil,
                startedAt: Date, answeredAt: Date? = nil, endedAt: Date? = nil, endReason: CallEndReason? = nil,
                agents: [AgentStep] = [], transcript: [TranscriptEntry] = [], toolCalls: [ToolCallEntry] = [], dtmf: [DTMFEntry] = [],
                recording: JSONValue? = nil, analysis: JSONValue? = nil, cost: JSONValue? = nil) {
        self.id = id
        self.channel = channel
        self.direction = direction
        self.from = from
        self.to = to
        self.pack = pack
        self.tenant = tenant
        self.sessionKey = sessionKey
        self.customer = customer
        self.providerCallID = providerCallID
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.agents = agents
        self.transcript = transcript
        self.toolCalls = toolCalls
        self.dtmf = dtmf
        self.recording = recording
        self.analysis = analysis
        self.cost = cost
    }

    /// A fresh record id.
    public static func newID() -> String {
        "call_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// Whether `text` has the form of a record id (so a path segment can be checked before a query).
    public static func isID(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 37 && text.hasPrefix("call_") && text.utf8.dropFirst(5).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Which way a call reached the hub.
public enum CallChannel: String, Sendable, Equatable, CaseIterable {
    case twilio, sip
    /// A browser or SDK client on `/realtime`.
    case websocket
}

public enum CallDirection: String, Sendable, Equatable, CaseIterable {
    case inbound, outbound
}

/// Why a call ended.
public enum CallEndReason: String, Sendable, Equatable, CaseIterable {
    case callerHungUp = "caller_hung_up"
    case agentEnded = "agent_ended"
    case transferred
    case voicemail
    case noAnswer = "no_answer"
    case busy
    case failed
    case timeout
    /// The hub shut down while the call was up.
    case hubShutdown = "hub_shutdown"
    /// Another connection (on this replica or another) took the session over.
    case takenOver = "taken_over"
}

/// An agent taking the call.
public struct AgentStep: Sendable, Equatable {
    public var agent: String
    public var at: Date
    public init(agent: String, at: Date) {
        self.agent = agent
        self.at = at
    }
}

/// One thing said.
public struct TranscriptEntry: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable { case user, assistant }
    public var role: Role
    public var text: String
    public var at: Date
    /// The agent speaking (assistant) or spoken to (user), when known.
    public var agent: String?
    public init(role: Role, text: String, at: Date, agent: String? = nil) {
        self.role = role
        self.text = text
        self.at = at
        self.agent = agent
    }
}

/// One tool call and how it went.
public struct ToolCallEntry: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable { case ok, error, cancelled }
    public var callID: String
    public var name: String
    public var agent: String?
    /// The arguments as the model sent them (JSON text).
    public var arguments: String
    /// What the tool returned (JSON text), or the error given to the model.
    public var output: String?
    public var outcome: Outcome?
    public var startedAt: Date
    public var endedAt: Date?
    public init(callID: String, name: String, agent: String? = nil, arguments: String, output: String? = nil, outcome: Outcome? = nil,
                startedAt: Date, endedAt: Date? = nil) {
        self.callID = callID
        self.name = name
        self.agent = agent
        self.arguments = arguments
        self.output = output
        self.outcome = outcome
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

/// Keys the caller pressed, as one entry (`#` or a pause ends it).
public struct DTMFEntry: Sendable, Equatable {
    public var digits: String
    public var at: Date
    public init(digits: String, at: Date) {
        self.digits = digits
        self.at = at
    }
}

/// One transfer of the call to a person.
public struct TransferEntry: Sendable, Equatable {
    public enum Outcome: String, Sendable, Equatable { case completed, failed }
    /// The destination's name in the pack, and where it points.
    public var destination: String
    public var to: String
    /// `cold` or `warm`.
    public var mode: String
    public var reason: String?
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: Outcome?
    /// Why it failed.
    public var error: String?
    /// How it was carried out: `refer` (the caller's SIP side calls the person), `bridge` (the
    /// hub calls the person and patches the calls together), `twilio_dial` (Twilio dials).
    public var method: String?

    public init(destination: String, to: String, mode: String, reason: String? = nil, startedAt: Date, endedAt: Date? = nil,
                outcome: Outcome? = nil, error: String? = nil, method: String? = nil) {
        self.method = method
        self.destination = destination
        self.to = to
        self.mode = mode
        self.reason = reason
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.error = error
    }
}
