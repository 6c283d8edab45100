import Synchronization
@testable import SwitchboardTelephony

/// Telephony metrics counted in memory: every call of the protocol, by name and label, so a
/// test asserts on what a handler counted without the hub's Prometheus registry.
final class RecordingTelephonyMetrics: TelephonyMetrics {
    struct Counts: Sendable, Equatable {
        var bargeIns: [String: Int] = [:]
        var dropped: [String: Int] = [:]
        var twilioCallers: [String: Int] = [:]
        var sipAuth: [String: Int] = [:]
        var sipRefused: [String: Int] = [:]
        var sipRejected: [Int: Int] = [:]
        var mediaAddressesConfined = 0
        var rtpForeignPackets = 0
        var rtpTimeouts = 0
        /// Calls of the protocol, whatever their counts.
        var calls = 0
    }

    private let state = Mutex(Counts())

    var counts: Counts { state.withLock { $0 } }

    func callBargeIn(channel: String) { state.withLock { $0.bargeIns[channel, default: 0] += 1; $0.calls += 1 } }
    func callDropped(_ reason: String) { state.withLock { $0.dropped[reason, default: 0] += 1; $0.calls += 1 } }
    func twilioCaller(_ outcome: String) { state.withLock { $0.twilioCallers[outcome, default: 0] += 1; $0.calls += 1 } }
    func sipAuth(_ outcome: String, count: Int) { state.withLock { $0.sipAuth[outcome, default: 0] += count; $0.calls += 1 } }
    func sipRefused(_ reason: String, count: Int) { state.withLock { $0.sipRefused[reason, default: 0] += count; $0.calls += 1 } }
    func sipRejected(status: Int, count: Int) { state.withLock { $0.sipRejected[status, default: 0] += count; $0.calls += 1 } }
    func sipMediaAddressConfined(count: Int) { state.withLock { $0.mediaAddressesConfined += count; $0.calls += 1 } }
    func sipRTPForeignPacket() { state.withLock { $0.rtpForeignPackets += 1; $0.calls += 1 } }
    func sipRTPTimeout() { state.withLock { $0.rtpTimeouts += 1; $0.calls += 1 } }
}
