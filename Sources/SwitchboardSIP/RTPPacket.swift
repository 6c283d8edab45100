/// Why bytes are not an RTP packet.
public enum RTPParseError: Error, Sendable, Hashable {
    /// Fewer than 12 bytes, or shorter than the CSRC list / extension / padding it declares.
    case tooShort
    /// The version field is not 2.
    case wrongVersion(Int)
    /// The padding count is zero or larger than the payload.
    case badPadding
}

/// An RTP packet (RFC 3550 §5.1).
public struct RTPPacket: Sendable, Hashable {
    /// A header extension (RFC 3550 §5.3.1).
    public struct Extension: Sendable, Hashable {
        /// The profile-defined 16-bit identifier.
        public var profile: UInt16
        /// The extension data (a multiple of 4 bytes).
        public var data: [UInt8]

        /// Creates an extension.
        public init(profile: UInt16, data: [UInt8]) {
            self.profile = profile
            self.data = data
        }
    }

    /// The marker bit (start of a talkspurt for audio; end of an RFC 4733 event segment).
    public var marker: Bool
    /// The payload type (7 bits).
    public var payloadType: UInt8
    /// The sequence number.
    public var sequenceNumber: UInt16
    /// The media timestamp.
    public var timestamp: UInt32
    /// The synchronisation source.
    public var ssrc: UInt32
    /// Contributing sources.
    public var csrcs: [UInt32]
    /// The header extension, if any.
    public var headerExtension: Extension?
    /// The payload without padding.
    public var payload: [UInt8]
    /// Padding bytes to append when serialising (0 for none).
    public var paddingLength: UInt8

    /// Creates a packet.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                csrcs: [UInt32] = [], headerExtension: Extension? = nil, payload: [UInt8], paddingLength: UInt8 = 0) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = Array(csrcs.prefix(15))
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// Parses a datagram.
    public init(parsing bytes: some Collection<UInt8>) throws(RTPParseError) {
        let data = Array(bytes)
        guard data.count >= 12 else { throw .tooShort }
        let version = Int(data[0] >> 6)
        guard version == 2 else { throw .wrongVersion(version) }
        let hasPadding = data[0] & 0x20 != 0
        let hasExtension = data[0] & 0x10 != 0
        let csrcCount = Int(data[0] & 0x0F)
        marker = data[1] & 0x80 != 0
        payloadType = data[1] & 0x7F
        sequenceNumber = UInt16(data[2]) << 8 | UInt16(data[3])
        timestamp = Self.readUInt32(data, at: 4)
        ssrc = Self.readUInt32(data, at: 8)
        var offset = 12
        // csrcCount ≤ 15 and the extension length ≤ 65535 words: no sum below can overflow.
        guard data.count - offset >= 4 * csrcCount else { throw .tooShort }
        csrcs = (0..<csrcCount).map { Self.readUInt32(data, at: 12 + 4 * $0) }
        offset += 4 * csrcCount
        headerExtension = nil
        if hasExtension {
            guard data.count - offset >= 4 else { throw .tooShort }
            let profile = UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
            let words = Int(UInt16(data[offset + 2]) << 8 | UInt16(data[offset + 3]))
            offset += 4
            guard data.count - offset >= 4 * words else { throw .tooShort }
            headerExtension = Extension(profile: profile, data: Array(data[offset..<(offset + 4 * words)]))
            offset += 4 * words
        }
        var end = data.count
        paddingLength = 0
        if hasPadding {
            let padding = Int(data[data.count - 1])
            guard padding > 0, padding <= end - offset else { throw .badPadding }
            end -= padding
            paddingLength = UInt8(truncatingIfNeeded: padding)
        }
        payload = Array(data[offset..<end])
    }

    /// The packet as bytes.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + 4 * csrcs.count + payload.count + Int(paddingLength) + (headerExtension.map { 4 + $0.data.count } ?? 0))
        var first: UInt8 = 2 << 6 | UInt8(csrcs.count & 0x0F)
        if paddingLength > 0 { first |= 0x20 }
        if headerExtension != nil { first |= 0x10 }
        bytes.append(first)
        bytes.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        bytes.append(UInt8(sequenceNumber >> 8))
        bytes.append(UInt8(sequenceNumber & 0xFF))
        Self.append(timestamp, to: &bytes)
        Self.append(ssrc, to: &bytes)
        for csrc in csrcs { Self.append(csrc, to: &bytes) }
        if let headerExtension {
            // The length field is 16 bits of 32-bit words: longer data is cut, never trapped on.
            let data = headerExtension.data.prefix(4 * Int(UInt16.max))
            let padded = Array(data) + [UInt8](repeating: 0, count: (4 - data.count % 4) % 4)
            bytes.append(UInt8(headerExtension.profile >> 8))
            bytes.append(UInt8(headerExtension.profile & 0xFF))
            let words = UInt16(truncatingIfNeeded: padded.count / 4)
            bytes.append(UInt8(words >> 8))
            bytes.append(UInt8(words & 0xFF))
            bytes.append(contentsOf: padded)
        }
        bytes.append(contentsOf: payload)
        if paddingLength > 0 {
            bytes.append(contentsOf: [UInt8](repeating: 0, count: Int(paddingLength) - 1))
            bytes.append(paddingLength)
        }
        return bytes
    }

    /// True when bytes look like RTCP rather than RTP (RFC 5761 §4: payload type 64–95 with the
    /// marker bit folded in, i.e. RTCP packet types 192–223), useful when RTP and RTCP share a port.
    public static func looksLikeRTCP(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= 2 else { return false }
        let secondByte = bytes[bytes.index(after: bytes.startIndex)]
        return (192...223).contains(secondByte)
    }

    private static func readUInt32(_ data: [UInt8], at offset: Int) -> UInt32 {
        UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3])
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }
}
