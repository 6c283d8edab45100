import Prometheus
import RealtimeProtocol

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
    let toolSeconds: DurationHistogram

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        sessionsOpen = registry.makeGauge(name: "switchboard_sessions_open", help: "Realtime sessions open now.")
        sessionsTotal = registry.makeCounter(name: "switchboard_sessions_total", help: "Realtime sessions opened.")
        sessionsRefused = registry.makeCounter(name: "switchboard_sessions_refused_total", help: "Connections refused (bad key, bad credentials).")
        framesClientToModel = registry.makeCounter(name: "switchboard_frames_total", labels: [("direction", "client_to_model")], help: "Frames relayed.")
        framesModelToClient = registry.makeCounter(name: "switchboard_frames_total", labels: [("direction", "model_to_client")], help: "Frames relayed.")
        bytesClientToModel = registry.makeCounter(name: "switchboard_bytes_total", labels: [("direction", "client_to_model")], help: "Payload bytes relayed.")
        bytesModelToClient = registry.makeCounter(name: "switchboard_bytes_total", labels: [("direction", "model_to_client")], help: "Payload bytes relayed.")
        modelConnectSeconds = registry.makeDurationHistogram(
            name: "switchboard_model_connect_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)],
            help: "Time to open a model session."
        )
        saves = registry.makeCounter(name: "switchboard_session_saves_total", help: "Session states saved.")
        saveFailures = registry.makeCounter(name: "switchboard_session_save_failures_total", help: "Session saves that failed.")
        agentSwitches = registry.makeCounter(name: "switchboard_agent_switches_total", help: "Hand-overs from one agent to another.")
        toolSeconds = registry.makeDurationHistogram(
            name: "switchboard_tool_seconds",
            buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                      .seconds(1), .seconds(5)],
            help: "Time to run a tool call."
        )
    }

    /// Counts a tool call by tool and outcome, and times it.
    func toolCall(_ name: String, outcome: String, duration: Duration) {
        registry.makeCounter(name: "switchboard_tool_calls_total", labels: [("tool", Self.label(name)), ("outcome", Self.label(outcome))],
                             help: "Tool calls run by the hub.").increment()
        toolSeconds.record(duration)
    }

    /// Counts a control event by type and direction.
    func event(_ type: String, direction: String) {
        // Only known names become labels, so arbitrary client types cannot grow the registry.
        let known = ClientEventKind(rawValue: type) != nil || ServerEventKind.lookup(type) != nil
        registry.makeCounter(name: "switchboard_events_total", labels: [("type", known ? type : "unknown"), ("direction", direction)],
                             help: "Control events handled by the conversation.").increment()
    }

    /// Counts an error by code.
    func error(_ code: String) {
        registry.makeCounter(name: "switchboard_errors_total", labels: [("code", Self.label(code))], help: "Errors reported to clients.").increment()
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
