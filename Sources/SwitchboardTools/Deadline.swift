import Synchronization

/// Runs work with a time limit that holds even when the work ignores cancellation: the caller
/// gets an answer when the limit passes, and the work is cancelled and left to finish alone.
enum Deadline {
    enum Outcome<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
    }

    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async -> Outcome<T> {
        let race = Race<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<T>, Never>) in
                race.start(continuation)
                let worker = Task {
                    do {
                        race.finish(.finished(.success(try await work())))
                    } catch {
                        race.finish(.finished(.failure(error)))
                    }
                }
                let timer = Task {
                    try? await Task.sleep(for: limit)
                    race.finish(.timedOut)
                }
                race.attach([worker, timer])
            }
        } onCancel: {
            race.finish(.finished(.failure(CancellationError())))
        }
    }

    /// The first outcome resumes the caller; the tasks are cancelled once there is one.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Outcome<T>, Never>?
            var outcome: Outcome<T>?
            var tasks: [Task<Void, Never>] = []
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<Outcome<T>, Never>) {
            let outcome = state.withLock { state -> Outcome<T>? in
                if state.outcome == nil { state.continuation = continuation }
                return state.outcome
            }
            if let outcome { continuation.resume(returning: outcome) }
        }

        func attach(_ tasks: [Task<Void, Never>]) {
            let finished = state.withLock { state in
                state.tasks = tasks
                return state.outcome != nil
            }
            if finished { tasks.forEach { $0.cancel() } }
        }

        func finish(_ outcome: Outcome<T>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Outcome<T>, Never>?, [Task<Void, Never>]) in
                guard state.outcome == nil else { return (nil, []) }
                state.outcome = outcome
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            continuation?.resume(returning: outcome)
            tasks.forEach { $0.cancel() }
        }
    }
}
