/// The sending side of one RTP stream: SSRC, sequence numbers, timestamps and the marker bit.
///
/// SSRC, initial sequence number and initial timestamp are random unless given (RFC 3550 §5.1).
public struct RTPSender: Sendable, Hashable {
    /// The synchronisation source of this stream.
    public let ssrc: UInt32
    /// The payload type of audio packets.
    public var payloadType: UInt8
    /// The sequence number the next packet gets.
    public private(set) var sequenceNumber: UInt16
    /// The timestamp the next packet gets.
    public private(set) var timestamp: UInt32
    /// True when the next packet starts a talkspurt and carries the marker bit.
    public private(set) var markerPending = true

    /// Creates a sender; omitted values are random.
    public init(payloadType: UInt8, ssrc: UInt32? = nil, initialSequenceNumber: UInt16? = nil, initialTimestamp: UInt32? = nil) {
        var generator = SystemRandomNumberGenerator()
        self.payloadType = payloadType
        self.ssrc = ssrc ?? UInt32.random(in: .min ... .max, using: &generator)
        self.sequenceNumber = initialSequenceNumber ?? UInt16.random(in: .min ... .max, using: &generator)
        self.timestamp = initialTimestamp ?? UInt32.random(in: .min ... .max, using: &generator)
    }

    /// The next packet for `payload`; advances the sequence number by 1 and the timestamp by
    /// `samples` (defaults to the payload length, which is the sample count for G.711:
    /// 160 per 20 ms at 8 kHz).
    public mutating func next(payload: [UInt8], samples: Int? = nil) -> RTPPacket {
        let packet = RTPPacket(marker: markerPending, payloadType: payloadType, sequenceNumber: sequenceNumber,
                               timestamp: timestamp, ssrc: ssrc, payload: payload)
        markerPending = false
        sequenceNumber &+= 1
        timestamp &+= UInt32(truncatingIfNeeded: samples ?? payload.count)
        return packet
    }

    /// A packet of another payload format on this stream (an RFC 4733 telephone event): same
    /// SSRC, the next sequence number, the given `timestamp` (an event's start) and marker. The
    /// stream's own clock still advances by `samples`, and the audio after it starts a talkspurt.
    public mutating func next(payload: [UInt8], payloadType: UInt8, timestamp eventTimestamp: UInt32, marker: Bool,
                              samples: Int) -> RTPPacket {
        let packet = RTPPacket(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber,
                               timestamp: eventTimestamp, ssrc: ssrc, payload: payload)
        markerPending = true
        sequenceNumber &+= 1
        timestamp &+= UInt32(truncatingIfNeeded: samples)
        return packet
    }

    /// Accounts for time in which nothing was sent (silence, hold, a cleared buffer): the
    /// timestamp keeps pace with the clock and the next packet carries the marker bit.
    public mutating func skip(samples: Int) {
        timestamp &+= UInt32(truncatingIfNeeded: samples)
        markerPending = true
    }

    /// Marks the next packet as the start of a talkspurt (after silence or a barge-in clear).
    public mutating func markTalkspurt() {
        markerPending = true
    }
}
