import SwitchboardCore
import Synchronization

/// The tool calls running beside one session's conversation, each stoppable on its own
/// (`response.cancel`); all of them stop with the session (their task group is cancelled).
final class ToolCalls: Sendable {
    /// At most this many calls run at once; a call beyond it fails at once, so a model that
    /// asks for dozens of tools in one response cannot tie up the data or the inbox's reserve.
    static let limit = 8

    private enum Waiter {
        case waiting(CheckedContinuation<Void, Never>)
        case cancelled
    }

    private let waiters = Mutex<[String: Waiter]>([:])
    private let running = Mutex(0)

    /// Whether another call may start; counts it when so (give it back with `finished`).
    func start() -> Bool {
        running.withLock { count in
            guard count < Self.limit else { return false }
            count += 1
            return true
        }
    }

    func finished() {
        running.withLock { $0 -= 1 }
    }

    /// Runs `body` for call `id` until it finishes or `cancel([id])` stops it: the call's task
    /// is then cancelled (a transaction rolls back) and `stopped()` is the result. When the call
    /// is still running after `slow.after`, `slow.notice()` is called (once).
    func run(_ id: String, _ body: @escaping @Sendable () async -> ToolCallResult,
             stopped: @escaping @Sendable () -> ToolCallResult,
             slow: (after: Duration, notice: @Sendable () -> Void)? = nil) async -> ToolCallResult {
        defer { _ = waiters.withLock { $0.removeValue(forKey: id) } }
        enum Event: Sendable {
            case finished(ToolCallResult)
            case stopped
            case slow
        }
        return await withTaskGroup(of: Event.self) { race in
            race.addTask { .finished(await body()) }
            race.addTask { [self] in
                await waitForCancel(id)
                return .stopped
            }
            if let slow {
                race.addTask {
                    // Cancelled when the call ends first: the notice is then not given.
                    guard (try? await Task.sleep(for: slow.after)) != nil else { return .slow }
                    slow.notice()
                    return .slow
                }
            }
            while let event = await race.next() {
                switch event {
                case .finished(let result):
                    race.cancelAll()
                    return result
                case .stopped:
                    race.cancelAll()
                    return stopped()
                case .slow:
                    continue
                }
            }
            return stopped()
        }
    }

    /// Stops the running calls `ids`; a call not started yet is stopped as it starts.
    func cancel(_ ids: [String]) {
        let resumed = waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            var resumed: [CheckedContinuation<Void, Never>] = []
            for id in ids {
                if case .waiting(let continuation)? = waiters[id] { resumed.append(continuation) }
                waiters[id] = .cancelled
            }
            return resumed
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns once call `id` is cancelled, or at once when this task is (its call finished).
    private func waitForCancel(_ id: String) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = waiters.withLock { waiters -> Bool in
                    if case .cancelled? = waiters[id] { return true }
                    if Task.isCancelled { return true }
                    waiters[id] = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = waiters.withLock { waiters -> CheckedContinuation<Void, Never>? in
                guard case .waiting(let continuation)? = waiters[id] else { return nil }
                waiters[id] = nil
                return continuation
            }
            continuation?.resume()
        }
    }
}
