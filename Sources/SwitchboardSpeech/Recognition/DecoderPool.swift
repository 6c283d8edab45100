import Dispatch
import Synchronization

/// A fixed set of decoders, lent to one recognition each at a time. A recognition that finds
/// none idle waits, in order of arrival, for the next one returned.
final class DecoderPool: Sendable {
    private struct State {
        var idle: [PocketSphinxDecoder]
        var waiters: [CheckedContinuation<PocketSphinxDecoder, Never>] = []
    }

    private let state: Mutex<State>
    /// How many decoders the pool has.
    let size: Int

    init(_ decoders: [PocketSphinxDecoder]) {
        precondition(!decoders.isEmpty, "a decoder pool needs a decoder")
        state = Mutex(State(idle: decoders))
        size = decoders.count
    }

    /// Runs `work` with a decoder of the pool, on that decoder's serial queue, off Swift's
    /// cooperative threads: PocketSphinx blocks for as long as decoding takes.
    func withDecoder<Result: Sendable>(
        _ work: @escaping @Sendable (PocketSphinxDecoder) throws -> Result
    ) async throws -> Result {
        let decoder = await acquire()
        defer { release(decoder) }
        let meter = CPUMeter.current
        return try await withCheckedThrowingContinuation { continuation in
            decoder.queue.async {
                continuation.resume(with: Swift.Result { try CPUMeter.measure(meter) { try work(decoder) } })
            }
        }
    }

    private func acquire() async -> PocketSphinxDecoder {
        if let decoder = state.withLock({ $0.idle.popLast() }) { return decoder }
        return await withCheckedContinuation { continuation in
            let decoder = state.withLock { state -> PocketSphinxDecoder? in
                if let decoder = state.idle.popLast() { return decoder }
                state.waiters.append(continuation)
                return nil
            }
            if let decoder { continuation.resume(returning: decoder) }
        }
    }

    private func release(_ decoder: PocketSphinxDecoder) {
        let waiter = state.withLock { state -> CheckedContinuation<PocketSphinxDecoder, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(decoder)
            return nil
        }
        waiter?.resume(returning: decoder)
    }
}
