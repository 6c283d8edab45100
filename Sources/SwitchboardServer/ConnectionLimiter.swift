import NIOConcurrencyHelpers
import NIOCore

/// Counts the client connections open, in total and per IP address, and refuses one over a limit.
///
/// Asked once per accepted connection and once as it closes, never per frame. A refused
/// connection is closed as it is accepted, before a byte of it is read, as haproxy does with
/// `tcp-request connection reject if { src_conn_cur ge N }`: answering `503` as nginx's
/// `limit_conn` does would mean reading the request head first, which is the very work a flood of
/// connections wants the hub to spend.
final class ConnectionLimiter: Sendable {
    /// Which limit refused a connection (its `limit` label on `switchboard_limit_hits_total`).
    enum Refusal: String, Sendable {
        case total = "connections"
        case perIP = "connections_per_ip"
    }

    private struct Counts {
        var total = 0
        var byIP: [String: Int] = [:]
    }

    let maxTotal: Int?
    let maxPerIP: Int?
    private let counts = NIOLockedValueBox(Counts())

    init(maxTotal: Int?, maxPerIP: Int?) {
        self.maxTotal = maxTotal
        self.maxPerIP = maxPerIP
    }

    /// Counts a new connection from `ip`, or says which limit refuses it (then nothing is counted).
    func admit(ip: String?) -> Refusal? {
        counts.withLockedValue { counts in
            if let maxTotal, counts.total >= maxTotal { return .total }
            if let maxPerIP, let ip {
                let current = counts.byIP[ip, default: 0]
                if current >= maxPerIP { return .perIP }
                counts.byIP[ip] = current + 1
            }
            counts.total += 1
            return nil
        }
    }

    /// A connection `admit` counted has closed.
    func release(ip: String?) {
        counts.withLockedValue { counts in
            counts.total -= 1
            if maxPerIP != nil, let ip, let current = counts.byIP[ip] {
                counts.byIP[ip] = current > 1 ? current - 1 : nil
            }
        }
    }

    /// Connections open now.
    var open: Int { counts.withLockedValue { $0.total } }
}

/// Counts the sessions live on this hub against `--max-sessions`.
final class SessionSlots: Sendable {
    let limit: Int?
    private let count = NIOLockedValueBox(0)

    init(limit: Int?) { self.limit = limit }

    /// Takes a slot unless all are taken.
    func tryAcquire() -> Bool {
        count.withLockedValue { count in
            if let limit, count >= limit { return false }
            count += 1
            return true
        }
    }

    /// Takes a slot whatever the limit (a session that replaces one live here, or a phone call
    /// already answered).
    func acquire() {
        count.withLockedValue { $0 += 1 }
    }

    func release() {
        count.withLockedValue { $0 -= 1 }
    }

    /// Slots taken now.
    var taken: Int { count.withLockedValue { $0 } }
}
