/// A call's two sides on one clock, in samples at 8 kHz since the recording began: the
/// caller's audio as it arrives (in real time), the agent's as the caller hears it. The agent's
/// audio is sent faster than real time and queued by the phone: each piece plays from
/// `max(now, end of what is queued)`, and a barge-in drops what was queued past `now`. Gaps are
/// silence on either side, so the two channels stay aligned.
///
/// Samples before `written` are final and handed out as stereo frames (caller left, agent
/// right); those after are held until the clock passes them. Everything is bounded: nothing is
/// kept more than `limits.ahead` past the clock, and nothing past `limits.duration`.
package struct RecordingTimeline: Sendable {
    package struct Limits: Sendable {
        /// The longest recording, in samples (4 hours).
        package var duration = 4 * 3600 * RecordingTimeline.sampleRate
        /// How far past the clock either side is held (the agent's answers arrive ahead of
        /// their playout; a caller's stream may run ahead), in samples (10 minutes).
        package var ahead = 600 * RecordingTimeline.sampleRate
        /// How late the caller's audio may come before the gap is filled with silence (200 ms):
        /// frames arrive in small bursts, a real gap (lost packets, a muted line) is longer.
        package var callerSlack = 1_600

        package init() {}
    }

    package static let sampleRate = 8_000

    package let limits: Limits
    /// Frames handed out: every position before it is final.
    package private(set) var written = 0
    /// The caller's samples from `written` on.
    private var caller: [Int16] = []
    /// The agent's samples from `written` on, silence where nothing plays.
    private var agent: [Int16] = []

    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Where the caller's audio so far ends.
    package var callerEnd: Int { written + caller.count }
    /// Where the agent's audio queued so far ends (at least `written`).
    package var agentEnd: Int { written + agent.count }
    /// Whether the recording reached its longest duration.
    package var isFull: Bool { written >= limits.duration }

    /// The caller's `samples`, which arrived at `now`: after the caller's earlier audio, or
    /// later, ending at `now`, when that left a gap longer than the slack.
    package mutating func caller(_ samples: UnsafeBufferPointer<Int16>, at now: Int) {
        let now = clamped(now)
        guard !samples.isEmpty else { return }
        let (late, overflow) = now.subtractingReportingOverflow(samples.count + limits.callerSlack)
        let start = !overflow && late > callerEnd ? now - samples.count : callerEnd
        place(samples, at: start, now: now, on: .caller)
    }

    /// The agent's `samples`, sent to the phone at `now`: they play once what is queued has.
    package mutating func agent(_ samples: UnsafeBufferPointer<Int16>, at now: Int) {
        let now = clamped(now)
        guard !samples.isEmpty else { return }
        place(samples, at: max(now, agentEnd), now: now, on: .agent)
    }

    /// A barge-in at `now`: the agent's audio not yet played is dropped.
    package mutating func clear(at now: Int) {
        let now = clamped(now)
        let cut = max(now, written) - written
        if agent.count > cut { agent.removeLast(agent.count - cut) }
    }

    /// The frames that are final at `now`, interleaved (caller, agent), when there are at least
    /// `minimum`; none otherwise. The caller's side is final up to its audio, or up to the
    /// slack before `now` when its audio is late.
    package mutating func take(at now: Int, minimum: Int = 1) -> [Int16] {
        let now = clamped(now)
        let boundary = min(max(min(callerEnd, now), now - limits.callerSlack), limits.duration)
        guard boundary - written >= max(1, minimum) else { return [] }
        return frames(to: boundary)
    }

    /// The last frames when the call ends at `now`: the agent's audio past `now` was never
    /// played; the caller's that came is kept.
    package mutating func finish(at now: Int) -> [Int16] {
        let now = clamped(now)
        clear(at: now)
        let boundary = min(max(callerEnd, now), limits.duration)
        guard boundary > written else { return [] }
        return frames(to: boundary)
    }

    /// A time the arithmetic cannot overflow with: nothing past the longest duration matters.
    private func clamped(_ now: Int) -> Int { min(max(now, 0), limits.duration) }

    private enum Side { case caller, agent }

    private mutating func place(_ samples: UnsafeBufferPointer<Int16>, at start: Int, now: Int, on side: Side) {
        // Bounded: nothing past the longest duration, nor too far past the clock.
        let end = min(limits.duration, max(now, written) + limits.ahead)
        let start = max(start, written)
        guard start < end else { return }
        let count = min(samples.count, end - start)
        let written = self.written
        func append(_ held: inout [Int16]) {
            let gap = start - written - held.count
            if gap > 0 { held.append(contentsOf: repeatElement(0, count: gap)) }
            held.append(contentsOf: UnsafeBufferPointer(rebasing: samples[0..<count]))
        }
        switch side {
        case .caller: append(&caller)
        case .agent: append(&agent)
        }
    }

    private mutating func frames(to boundary: Int) -> [Int16] {
        let count = boundary - written
        var out = [Int16](repeating: 0, count: count * 2)
        out.withUnsafeMutableBufferPointer { out in
            for index in 0..<min(count, caller.count) { out[index * 2] = caller[index] }
            for index in 0..<min(count, agent.count) { out[index * 2 + 1] = agent[index] }
        }
        caller.removeFirst(min(count, caller.count))
        agent.removeFirst(min(count, agent.count))
        written = boundary
        return out
    }
}
