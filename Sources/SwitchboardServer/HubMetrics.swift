import Prometheus
import RealtimeProtocol
import SwitchboardTelephony

/// The hub's metrics, kept in one Prometheus registry and served at `/metrics`.
///
/// Hot-path counters are made once and incremented with an atomic add; per-type counters are
/// only touched for control events.
public final class HubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let sessionsOpen: Gauge
    let sessionsTotal: Counter
    let sessionsRefused: Counter
    let framesClientToModel: Counter
    let framesModelToClient: Counter
    let bytesClientToModel: Counter
    let bytesModelToClient: Counter
    let modelConnectSeconds: DurationHistogram
    let saves: Counter
    let saveFailures: Counter
    let agentSwitches: Counter
    let takeovers: Counter
    let toolSeconds: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        sessionsOpen = registry.makeGauge(descriptor: Self.name("switchboard_sessions_open", "Realtime sessions open now."))
        sessionsTotal = registry.makeCounter(descriptor: Self.name("switchboard_sessions_total", "Realtime sessions opened."))
        sessionsRefused = registry.makeCounter(descriptor: Self.name("switchboard_sessions_refused_total", "Connections refused (bad key, bad credentials)."))
        framesClientToModel = registry.makeCounter(descriptor: Self.name("switchboard_frames_total", "Frames relayed."), labels: [("direction", "client_to_model")])
        framesModelToClient = registry.makeCounter(descriptor: Self.name("switchboard_frames_total", "Frames relayed."), labels: [("direction", "model_to_client")])
        bytesClientToModel = registry.makeCounter(descriptor: Self.name("switchboard_bytes_total", "Payload bytes relayed."), labels: [("direction", "client_to_model")])
        bytesModelToClient = registry.makeCounter(descriptor: Self.name("switchboard_bytes_total", "Payload bytes relayed."), labels: [("direction", "model_to_client")])
        modelConnectSeconds = registry.makeDurationHistogram(descriptor: Self.name("switchboard_model_connect_seconds", "Time to open a model session."), buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
        saves = registry.makeCounter(descriptor: Self.name("switchboard_session_saves_total", "Session states saved."))
        saveFailures = registry.makeCounter(descriptor: Self.name("switchboard_session_save_failures_total", "Session saves that failed."))
        takeovers = registry.makeCounter(descriptor: Self.name("switchboard_session_takeovers_total", "Sessions taken over by a new connection."))
        agentSwitches = registry.makeCounter(descriptor: Self.name("switchboard_agent_switches_total", "Hand-overs from one agent to another."))
        toolSeconds = registry.makeDurationHistogram(descriptor: Self.name("switchboard_tool_seconds", "Time to run a tool call."), buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                      .seconds(1), .seconds(5)])
    }

    /// Counts a tool call by tool and outcome, and times it.
    func toolCall(_ name: String, outcome: String, duration: Duration) {
        registry.makeCounter(descriptor: Self.name("switchboard_tool_calls_total", "Tool calls run by the hub."), labels: [("tool", Self.label(name)), ("outcome", Self.label(outcome))]).increment()
        toolSeconds.record(duration)
    }

    /// Counts a phone call by the bridge that carries it (`twilio`, `sip`).
    func calls(channel: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_calls_total", "Phone calls started."), labels: [("channel", Self.label(channel))]).increment()
    }

    /// Counts a caller talking over the agent (its queued audio cleared, the answer truncated).
    package func callBargeIn(channel: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_call_barge_ins_total", "Callers who talked over the agent."), labels: [("channel", Self.label(channel))]).increment()
    }

    /// Counts a phone call's message or packet the hub dropped, by reason.
    package func callDropped(_ reason: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_call_messages_dropped_total", "Phone messages or packets dropped as unreadable."), labels: [("reason", Self.label(reason))]).increment()
    }

    /// Counts a Twilio media stream's caller proof by outcome (`verified`, `missing`, `forged`,
    /// `expired`, `replayed`).
    package func twilioCaller(_ outcome: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_twilio_caller_total", "Twilio media streams by whether their caller was proven."), labels: [("outcome", Self.label(outcome))]).increment()
    }

    /// Counts SIP INVITEs from untrusted addresses by authentication outcome: `challenged` (401,
    /// no credentials), `failed`, `stale`, `replayed` (401), `forbidden` (403, no users), `accepted`.
    package func sipAuth(_ outcome: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_auth_total", "SIP INVITEs from untrusted addresses by digest authentication outcome."), labels: [("outcome", Self.label(outcome))]).increment(by: Int64(count))
    }

    /// Counts SIP requests refused by a limit: `max_calls`, `invite_rate` (503 with Retry-After)
    /// or `overload` (too many open transactions, stateless 503).
    package func sipRefused(_ reason: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_refused_total", "SIP requests refused by a limit (503)."), labels: [("reason", Self.label(reason))]).increment(by: Int64(count))
    }

    /// Counts SIP requests answered with an error because of what they carried (400, 488).
    package func sipRejected(status: Int, count: Int = 1) {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_rejected_total", "SIP requests answered 400 (malformed) or 488 (SDP not acceptable)."), labels: [("status", String(status))]).increment(by: Int64(count))
    }

    /// Counts SDP media addresses replaced by the SIP signalling source IP (no media to a third party).
    package func sipMediaAddressConfined(count: Int = 1) {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_media_address_confined_total", "SDP c= addresses replaced by the SIP source IP.")).increment(by: Int64(count))
    }

    /// Counts an RTP packet dropped because it came from another source than the call's.
    package func sipRTPForeignPacket() {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_rtp_foreign_packets_total", "RTP packets dropped: not from the call's latched source.")).increment()
    }

    /// Counts a SIP call hung up because no RTP arrived for --rtp-timeout.
    package func sipRTPTimeout() {
        registry.makeCounter(descriptor: Self.name("switchboard_sip_rtp_timeouts_total", "SIP calls hung up after --rtp-timeout without RTP.")).increment()
    }

    /// Counts a control event by type and direction.
    func event(_ type: String, direction: String) {
        // Only known names become labels, so arbitrary client types cannot grow the registry.
        let known = ClientEventKind(rawValue: type) != nil || ServerEventKind.lookup(type) != nil
        registry.makeCounter(descriptor: Self.name("switchboard_events_total", "Control events handled by the conversation."), labels: [("type", known ? type : "unknown"), ("direction", direction)]).increment()
    }

    /// Counts an error by code.
    /// Adds a call's cost to its pack's total, in the price table's currency.
    func callCost(pack: String, currency: String, amount: Double) {
        guard amount.isFinite, amount > 0 else { return }
        registry.makeCounter(descriptor: Self.name("switchboard_call_cost_total", "What calls cost, by pack, in the --prices currency."),
                             labels: [("pack", Self.label(pack)), ("currency", Self.label(currency))]).increment(by: amount)
    }

    func error(_ code: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_errors_total", "Errors reported to clients."), labels: [("code", Self.label(code))]).increment()
    }

    /// A metric's name and help text (no unit suffix: the names carry their unit).
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Keeps label values to a sane alphabet and length, whatever a client sends.
    private static func label(_ value: String) -> String {
        let cleaned = value.prefix(64).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "_" }
        return String(cleaned)
    }
}

// MARK: - Limits

extension HubMetrics {
    /// Counts a connection refused or a session ended by a limit: `connections`,
    /// `connections_per_ip`, `sessions`, `header_timeout`, `idle_timeout`, `session_duration`,
    /// `queued_events`.
    func limitHit(_ limit: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_limit_hits_total", "Connections refused or sessions ended by a limit."),
                             labels: [("limit", Self.label(limit))]).increment()
    }

    /// Counts sessions by what proved who they belong to (`open`, `client_key`, `server_key`,
    /// `admin_key`, `client_secret`), and client secrets minted (`client_secret_minted`).
    func sessionCredential(_ credential: String) {
        registry.makeCounter(descriptor: Self.name("switchboard_session_credentials_total", "Sessions by the credential that opened them; client secrets minted."),
                             labels: [("credential", Self.label(credential))]).increment()
    }

    /// Client connections (HTTP and WebSocket) open now.
    var connectionsOpen: Gauge {
        registry.makeGauge(descriptor: Self.name("switchboard_connections_open", "Client connections (HTTP and WebSocket) open now."))
    }
}

extension HubMetrics: TelephonyMetrics {}
