/// Decides which source a call's RTP is taken from ("strict RTP", like Asterisk's `strictrtp`).
///
/// Packets are accepted only from `allowedHost` (the SIP signalling peer's IP, any port, so a
/// NAT's port mapping still works) unless it is nil. `probation` consecutive packets (in
/// sequence) from one address latch it; from then on packets from every other address are
/// refused, so a stranger who finds the port cannot inject audio into the call ("RTP bleed").
/// While a source is being learned its packets are held back (`.learning`); another source
/// restarts the learning. `reset` learns again (after a re-INVITE changed the remote media).
public struct RTPSourceLatch<Address: Hashable & Sendable>: Sendable {
    /// What to do with one packet.
    public enum Decision: Sendable, Hashable {
        /// From the latched source: use it.
        case accept
        /// This packet completed the probation: the source is now latched (use it too).
        case latched
        /// From a candidate still on probation: drop it (not an attack, not media yet).
        case learning
        /// From another address than the latched one or the allowed host: drop it.
        case foreign
    }

    /// The IP packets must come from (nil: any).
    public var allowedHost: String?
    /// Consecutive packets that latch a source.
    public let probation: Int
    /// The latched source, once learned.
    public private(set) var latched: Address?
    private var candidate: (address: Address, sequence: UInt16, count: Int)?

    /// Creates a latch.
    public init(allowedHost: String?, probation: Int = 1) {
        self.allowedHost = allowedHost
        self.probation = max(1, probation)
    }

    /// Judges a packet from `address` (whose IP is `host`) with RTP sequence number `sequence`.
    public mutating func admit(from address: Address, host: String?, sequence: UInt16) -> Decision {
        if let latched { return latched == address ? .accept : .foreign }
        if let allowedHost, host != allowedHost { return .foreign }
        var count = 1
        // In sequence (mod 2^16) continues the probation; another source or a jump restarts it.
        if let current = candidate, current.address == address, sequence == current.sequence &+ 1 {
            count = current.count + 1
        }
        guard count >= probation else {
            candidate = (address, sequence, count)
            return .learning
        }
        latched = address
        candidate = nil
        return .latched
    }

    /// Forgets the latched source and learns again.
    public mutating func reset() {
        latched = nil
        candidate = nil
    }
}
