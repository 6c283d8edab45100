#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// CPU time spent on one session's speech work (recognition, synthesis), for the call's record:
/// the embedded model costs no tokens, but it costs CPU. The work runs on the engines' own
/// threads; the session's meter travels there as a task-local value and each piece of blocking
/// work adds the CPU time its thread spent.
public final class CPUMeter: Sendable {
    private let state = Mutex<(total: Duration, reported: Duration)>((.zero, .zero))

    public init() {}

    /// The meter of the session whose work the current task does, if any.
    @TaskLocal public static var current: CPUMeter?

    public func add(_ time: Duration) {
        guard time > .zero else { return }
        state.withLock { $0.total += time }
    }

    /// All the CPU time added so far.
    public var total: Duration { state.withLock { $0.total } }

    /// The CPU time added since the last call of this (each report counts a span once).
    public func takeUnreported() -> Duration {
        state.withLock { state in
            defer { state.reported = state.total }
            return state.total - state.reported
        }
    }

    /// The calling thread's CPU time so far.
    public static func threadTime() -> Duration {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return .zero }
        return .seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
    }

    /// Runs blocking `work` on this thread and adds the CPU time it took to `meter`.
    public static func measure<Result>(_ meter: CPUMeter?, _ work: () throws -> Result) rethrows -> Result {
        guard let meter else { return try work() }
        let start = threadTime()
        defer { meter.add(threadTime() - start) }
        return try work()
    }
}
