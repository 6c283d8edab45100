/// A small playout buffer for one incoming RTP audio stream, drained once per 20 ms tick.
///
/// Packets are reordered by sequence number (wraparound-safe); duplicates and packets older than
/// the playout point are dropped. Playback starts once `targetDepth` packets are buffered and
/// restarts the same way after an underrun. A missing packet inside the stream yields
/// `.concealment` for its tick. A new SSRC, or a sequence jump larger than `maximumJump`,
/// re-synchronises the buffer. RFC 4733 telephone-event packets never enter the audio queue: they
/// are turned into DTMF digits, one per key press.
public struct JitterBuffer: Sendable {
    /// Tuning and payload types.
    public struct Configuration: Sendable, Hashable {
        /// Packets buffered before playback starts (3 × 20 ms = 60 ms).
        public var targetDepth: Int = 3
        /// Above this depth the oldest packets are dropped back to `targetDepth` (bounds latency).
        public var maximumDepth: Int = 25
        /// Sequence jumps (either way) beyond this many packets re-synchronise the stream.
        public var maximumJump: Int = 100
        /// Only this audio payload type is buffered; nil accepts any non-event payload type.
        public var audioPayloadType: UInt8?
        /// The telephone-event payload type, when negotiated.
        public var telephoneEventPayloadType: UInt8?

        /// Creates a configuration.
        public init(targetDepth: Int = 3, maximumDepth: Int = 25, maximumJump: Int = 100,
                    audioPayloadType: UInt8? = nil, telephoneEventPayloadType: UInt8? = nil) {
            self.targetDepth = max(1, targetDepth)
            self.maximumDepth = max(self.targetDepth, maximumDepth)
            self.maximumJump = maximumJump
            self.audioPayloadType = audioPayloadType
            self.telephoneEventPayloadType = telephoneEventPayloadType
        }
    }

    /// What happened to an inserted packet.
    public enum InsertResult: Sendable, Hashable {
        /// Queued for playout.
        case buffered
        /// Already queued (or already played in this position); dropped.
        case duplicate
        /// Arrived after its playout time; dropped.
        case late
        /// A telephone-event packet; carries the digits it completed (often none).
        case dtmf([DTMFDigit])
        /// A payload type this buffer does not play (comfort noise, unnegotiated codec).
        case ignored
    }

    /// What to play for one tick.
    public enum Playout: Sendable, Hashable {
        /// The next packet in order.
        case audio(RTPPacket)
        /// A packet is missing here: play concealment (silence or a repeat).
        case concealment
        /// Nothing to play: not started, or drained (silence, hold, end of stream).
        case idle
    }

    /// Counters for monitoring.
    public struct Statistics: Sendable, Hashable {
        /// Audio packets accepted into the buffer.
        public var buffered = 0
        /// Duplicates dropped.
        public var duplicates = 0
        /// Late packets dropped.
        public var late = 0
        /// Concealment ticks produced.
        public var concealed = 0
        /// Packets dropped to bound latency.
        public var overflowDropped = 0
        /// Re-synchronisations (new SSRC or a large sequence jump).
        public var resynchronizations = 0
    }

    /// The configuration.
    public var configuration: Configuration
    /// Counters since creation.
    public private(set) var statistics = Statistics()

    private var packets: [UInt16: RTPPacket] = [:]
    private var ssrc: UInt32?
    private var nextSequence: UInt16?
    private var playing = false
    private var dtmf = DTMFDetector()

    /// Creates an empty buffer.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Packets currently queued.
    public var depth: Int { packets.count }

    /// Adds a received packet.
    public mutating func insert(_ packet: RTPPacket) -> InsertResult {
        if let eventType = configuration.telephoneEventPayloadType, packet.payloadType == eventType {
            return .dtmf(dtmf.receive(packet))
        }
        if let audioType = configuration.audioPayloadType, packet.payloadType != audioType { return .ignored }
        if let ssrc, ssrc != packet.ssrc {
            resynchronize()
            dtmf.reset()
        }
        ssrc = packet.ssrc
        if let nextSequence {
            let distance = Self.distance(from: nextSequence, to: packet.sequenceNumber)
            if distance > configuration.maximumJump || distance < -configuration.maximumJump {
                resynchronize()
            } else if distance < 0 {
                statistics.late += 1
                return .late
            }
        } else if let reference = packets.keys.first,
                  abs(Self.distance(from: reference, to: packet.sequenceNumber)) > configuration.maximumJump {
            resynchronize()
        }
        guard packets[packet.sequenceNumber] == nil else {
            statistics.duplicates += 1
            return .duplicate
        }
        packets[packet.sequenceNumber] = packet
        statistics.buffered += 1
        if packets.count > configuration.maximumDepth {
            while packets.count > configuration.targetDepth, let oldest = earliestSequence() {
                packets[oldest] = nil
                statistics.overflowDropped += 1
            }
            nextSequence = earliestSequence()
        }
        return .buffered
    }

    /// Takes what to play for the current 20 ms tick.
    public mutating func pop() -> Playout {
        if !playing {
            guard packets.count >= configuration.targetDepth, let earliest = earliestSequence() else { return .idle }
            playing = true
            nextSequence = earliest
        }
        guard !packets.isEmpty, let sequence = nextSequence else {
            playing = false
            return .idle
        }
        nextSequence = sequence &+ 1
        if let packet = packets.removeValue(forKey: sequence) { return .audio(packet) }
        statistics.concealed += 1
        return .concealment
    }

    /// Empties the buffer and forgets the stream (for example after a re-INVITE).
    public mutating func reset() {
        resynchronize()
        ssrc = nil
        dtmf.reset()
    }

    private mutating func resynchronize() {
        if ssrc != nil { statistics.resynchronizations += 1 }
        packets.removeAll()
        nextSequence = nil
        playing = false
    }

    private func earliestSequence() -> UInt16? {
        guard let reference = packets.keys.first else { return nil }
        return packets.keys.min { Self.distance(from: reference, to: $0) < Self.distance(from: reference, to: $1) }
    }

    /// Signed distance between sequence numbers, correct across the 65535 → 0 wrap.
    static func distance(from a: UInt16, to b: UInt16) -> Int {
        Int(Int16(bitPattern: b &- a))
    }
}
