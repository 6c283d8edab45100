import Foundation

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
    private final class Race<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Outcome<T>, Never>?
        private var outcome: Outcome<T>?
        private var tasks: [Task<Void, Never>] = []

        func start(_ continuation: CheckedContinuation<Outcome<T>, Never>) {
            lock.withLock {
                if let outcome { continuation.resume(returning: outcome) } else { self.continuation = continuation }
            }
        }

        func attach(_ tasks: [Task<Void, Never>]) {
            let finished = lock.withLock {
                self.tasks = tasks
                return outcome != nil
            }
            if finished { tasks.forEach { $0.cancel() } }
        }

        func finish(_ outcome: Outcome<T>) {
            let (continuation, tasks) = lock.withLock { () -> (CheckedContinuation<Outcome<T>, Never>?, [Task<Void, Never>]) in
                guard self.outcome == nil else { return (nil, []) }
                self.outcome = outcome
                defer { self.continuation = nil }
                return (self.continuation, self.tasks)
            }
            continuation?.resume(returning: outcome)
            tasks.forEach { $0.cancel() }
        }
    }
}
