/// An RFC 4733 telephone-event payload (DTMF).
public struct TelephoneEvent: Sendable, Hashable {
    /// The event code (0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`).
    public var event: UInt8
    /// The end bit: the event is over (sent three times).
    public var isEnd: Bool
    /// The tone volume in -dBm0.
    public var volume: UInt8
    /// The duration so far, in timestamp units.
    public var duration: UInt16

    /// Parses the first 4-byte event of a payload; nil when shorter.
    public init?(payload: some Collection<UInt8>) {
        let bytes = Array(payload.prefix(4))
        guard bytes.count == 4 else { return nil }
        event = bytes[0]
        isEnd = bytes[1] & 0x80 != 0
        volume = bytes[1] & 0x3F
        duration = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
    }

    /// Creates an event.
    public init(event: UInt8, isEnd: Bool, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// The payload bytes.
    public var payload: [UInt8] {
        [event, (isEnd ? 0x80 : 0) | (volume & 0x3F), UInt8(duration >> 8), UInt8(duration & 0xFF)]
    }

    /// The DTMF character for this event, or nil for non-DTMF events.
    public var digit: Character? {
        switch event {
        case 0...9: Character(String(event))
        case 10: "*"
        case 11: "#"
        case 12...15: Character(String(UnicodeScalar(UInt8(ascii: "A") + event - 12)))
        default: nil
        }
    }
}

/// A DTMF key press reported once per event.
public struct DTMFDigit: Sendable, Hashable {
    /// The key: `0`–`9`, `*`, `#`, `A`–`D`.
    public var digit: Character
    /// How long it was held, in timestamp units (8000 per second for telephone audio).
    public var duration: UInt16
    /// The event's RTP timestamp (identifies the event).
    public var timestamp: UInt32
}

/// Turns a stream of telephone-event packets into one `DTMFDigit` per key press.
///
/// An event is identified by its RTP timestamp: every packet of one key press carries the same
/// timestamp, and the end packet is sent three times. The digit is reported on the first end
/// packet; if the end packets are all lost, it is reported when the next event begins.
public struct DTMFDetector: Sendable {
    private var current: (timestamp: UInt32, event: TelephoneEvent)?
    private var lastReportedTimestamp: UInt32?

    /// Creates a detector.
    public init() {}

    /// Feeds one telephone-event packet; returns the digits completed by it (usually none or one).
    public mutating func receive(_ packet: RTPPacket) -> [DTMFDigit] {
        guard let event = TelephoneEvent(payload: packet.payload) else { return [] }
        var digits: [DTMFDigit] = []
        if let current, current.timestamp != packet.timestamp, current.timestamp != lastReportedTimestamp,
           let digit = current.event.digit {
            digits.append(DTMFDigit(digit: digit, duration: current.event.duration, timestamp: current.timestamp))
            lastReportedTimestamp = current.timestamp
        }
        current = (packet.timestamp, event)
        if event.isEnd, lastReportedTimestamp != packet.timestamp, let digit = event.digit {
            digits.append(DTMFDigit(digit: digit, duration: event.duration, timestamp: packet.timestamp))
            lastReportedTimestamp = packet.timestamp
        }
        return digits
    }

    /// Forgets the current event (new SSRC).
    public mutating func reset() {
        current = nil
        lastReportedTimestamp = nil
    }
}
