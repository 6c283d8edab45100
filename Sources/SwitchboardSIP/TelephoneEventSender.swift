/// One key of a string pressed on a call: an RFC 4733 DTMF event, or a pause.
public enum DTMFKey: Sendable, Hashable {
    /// The event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`.
    case event(UInt8)
    /// `w`: half a second with no key.
    case pause

    /// The key for `character` (`0`–`9`, `*`, `#`, `A`–`D`, `w`), or nil.
    public init?(_ character: Character) {
        // By ASCII value: a Character range such as "0"..."9" also holds "1" with a combining
        // accent, which has no ASCII value.
        guard character.isASCII, character != "\r\n", let ascii = character.asciiValue else { return nil }
        switch ascii {
        case 48...57: self = .event(ascii - 48)
        case 42: self = .event(10)
        case 35: self = .event(11)
        case 65...68: self = .event(ascii - 65 + 12)
        case 119: self = .pause
        default: return nil
        }
    }

    /// Parses a key string: 1 to `limit` keys, every one valid; nothing is pressed otherwise.
    public static func parse(_ text: String, limit: Int = 32) throws(DTMFKeysError) -> [DTMFKey] {
        var keys: [DTMFKey] = []
        for character in text {
            guard keys.count < limit else { throw DTMFKeysError("at most \(limit) keys at once") }
            guard let key = DTMFKey(character) else {
                throw DTMFKeysError("\(Self.shown(character)) is not a key: use 0-9, *, #, A-D and w")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw DTMFKeysError("no keys to press") }
        return keys
    }
}

extension DTMFKey {
    /// A refused character as it can be shown: printable ASCII quoted, anything else as U+XXXX.
    static func shown(_ character: Character) -> String {
        if let ascii = character.asciiValue, character.isASCII, (32..<127).contains(ascii) { return "'" + String(character) + "'" }
        return character.unicodeScalars.prefix(4).map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
    }
}

/// Why a key string was refused.
public struct DTMFKeysError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Plays keys as RFC 4733 telephone events on an RTP stream, one 20 ms tick at a time, on the
/// stream's own SSRC, sequence numbers and timestamp clock.
///
/// Each key: five packets 20 ms apart carrying the event's start timestamp and a duration that
/// grows by 160 (marker bit on the first), then the end packet (E bit, duration 800 = 100 ms)
/// three times, then 100 ms with no event. `w` is 500 ms with no event. While the keys play the
/// owner sends no audio of its own; in the pauses (`.pause`) it sends its comfort silence.
public struct TelephoneEventSender: Sendable {
    /// What to send on one tick.
    public enum Tick: Sendable, Hashable {
        /// This telephone-event packet, instead of audio.
        case packet(RTPPacket)
        /// No event now: send silence (queued audio still waits for the keys).
        case pause
    }

    /// 20 ms ticks of growing tone, end packets, and the gap after a key; ticks of a `w`.
    public static let toneTicks = 5
    public static let endPackets = 3
    public static let gapTicks = 5
    public static let pauseTicks = 25
    /// Samples per 20 ms tick at 8 kHz.
    public static let samplesPerTick = 160

    /// The negotiated telephone-event payload type.
    public let payloadType: UInt8
    /// Tone volume in -dBm0 (0–63).
    public let volume: UInt8
    /// The keys, in order.
    public let keys: [DTMFKey]
    private var index = 0
    private var step = 0
    private var eventTimestamp: UInt32 = 0

    /// Plays `keys` with `payloadType`.
    public init(keys: [DTMFKey], payloadType: UInt8, volume: UInt8 = 10) {
        self.keys = keys
        self.payloadType = payloadType & 0x7F
        self.volume = volume & 0x3F
    }

    /// Plays the keys of `digits` (refused whole when any character is not a key).
    public init(digits: String, payloadType: UInt8, volume: UInt8 = 10) throws(DTMFKeysError) {
        self.init(keys: try DTMFKey.parse(digits), payloadType: payloadType, volume: volume)
    }

    /// True once every key has been played.
    public var isFinished: Bool { index >= keys.count }

    /// The next 20 ms: an event packet made with `sender`, or a pause; nil once finished.
    public mutating func next(using sender: inout RTPSender) -> Tick? {
        guard index < keys.count else { return nil }
        let tick: Tick
        let length: Int
        switch keys[index] {
        case .pause:
            length = Self.pauseTicks
            tick = .pause
        case .event(let code):
            length = Self.toneTicks + Self.endPackets + Self.gapTicks
            if step == 0 { eventTimestamp = sender.timestamp }
            if step < Self.toneTicks {
                let event = TelephoneEvent(event: code, isEnd: false, volume: volume, duration: UInt16((step + 1) * Self.samplesPerTick))
                tick = .packet(sender.next(payload: event.payload, payloadType: payloadType, timestamp: eventTimestamp,
                                           marker: step == 0, samples: Self.samplesPerTick))
            } else if step < Self.toneTicks + Self.endPackets {
                let event = TelephoneEvent(event: code, isEnd: true, volume: volume, duration: UInt16(Self.toneTicks * Self.samplesPerTick))
                tick = .packet(sender.next(payload: event.payload, payloadType: payloadType, timestamp: eventTimestamp,
                                           marker: false, samples: Self.samplesPerTick))
            } else {
                tick = .pause
            }
        }
        step += 1
        if step >= length {
            step = 0
            index += 1
        }
        return tick
    }
}
