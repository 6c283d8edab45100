/// What the caller has actually heard of the agent's answer, from the marks the phone side
/// reports once audio before them has played (Twilio echoes them; the RTP sender reports them
/// as its pacer reaches them). Wall-clock time is never used: a barge-in truncates the answer at
/// the last confirmed mark, so the conversation keeps only what the caller heard.
package struct CallPlayback: Sendable {
    /// The assistant item whose audio is being sent, while any of it may still be unplayed.
    private(set) var item: String?
    /// Milliseconds of `item`'s audio sent to the phone side.
    private(set) var sentMilliseconds = 0
    /// Milliseconds of `item`'s audio confirmed played.
    private(set) var playedMilliseconds = 0
    /// G.711: 8 kHz, a byte a sample.
    package static let bytesPerMillisecond = 8
    /// Bytes of `item`'s audio sent (milliseconds are derived, so rounding never accumulates).
    private var sentBytes = 0

    /// Whether audio sent to the caller may still be playing.
    package var isPlaying: Bool { item != nil && playedMilliseconds < sentMilliseconds }

    /// Records `bytes` of `item`'s audio going out; returns the name of the mark to send after it.
    package mutating func sent(item: String, bytes: Int) -> String {
        if item != self.item {
            self.item = item
            sentBytes = 0
            sentMilliseconds = 0
            playedMilliseconds = 0
        }
        // Saturating: byte counts come from payload lengths, never negative, never wrapping.
        let (sum, overflow) = sentBytes.addingReportingOverflow(max(0, bytes))
        sentBytes = overflow ? .max : sum
        sentMilliseconds = sentBytes / Self.bytesPerMillisecond
        return "\(item)@\(sentMilliseconds)"
    }

    /// A mark came back: the audio before it has been played. Marks of an earlier item, or of
    /// audio dropped by a barge-in, are ignored.
    package mutating func played(mark: String) {
        guard let at = mark.lastIndex(of: "@"), let item, mark[..<at] == item,
              let milliseconds = Int(mark[mark.index(after: at)...]) else { return }
        playedMilliseconds = min(max(playedMilliseconds, milliseconds), sentMilliseconds)
    }

    /// The caller started talking: when audio was still playing, returns where to truncate the
    /// answer (its item and the milliseconds heard) and forgets the item, so marks for the
    /// dropped audio change nothing.
    package mutating func interrupt() -> (item: String, audioEndMilliseconds: Int)? {
        guard isPlaying, let item else { return nil }
        let cut = (item, playedMilliseconds)
        self.item = nil
        sentBytes = 0
        sentMilliseconds = 0
        playedMilliseconds = 0
        return cut
    }
}
