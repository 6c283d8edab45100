/// Media direction attributes (RFC 3264 §5.1).
public enum SDPDirection: String, Sendable, Hashable {
    /// Send and receive (the default).
    case sendrecv
    /// Send only.
    case sendonly
    /// Receive only.
    case recvonly
    /// Neither (media paused).
    case inactive

    /// The direction an answer takes for this offered direction.
    public var mirrored: SDPDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }
}

/// An `a=rtpmap` entry.
public struct SDPRTPMap: Sendable, Hashable {
    /// The encoding name as written (`PCMU`, `telephone-event`, `opus`).
    public var encoding: String
    /// The clock rate in Hz.
    public var clockRate: Int
    /// The channel count, when given.
    public var channels: Int?
}

/// One `m=` section of a session description.
public struct SDPMediaDescription: Sendable, Hashable {
    /// The media type (`audio`, `video`, …).
    public var type: String
    /// The port (0 means the stream is rejected or disabled).
    public var port: Int
    /// The transport protocol (`RTP/AVP`, `RTP/SAVP`, …).
    public var proto: String
    /// The formats in preference order (payload type numbers for RTP).
    public var formats: [String]
    /// The media-level connection address, if any.
    public var connectionAddress: String?
    /// Payload type → rtpmap.
    public var rtpMaps: [Int: SDPRTPMap] = [:]
    /// Payload type → fmtp parameters.
    public var fmtp: [Int: String] = [:]
    /// `a=ptime` in milliseconds.
    public var ptime: Int?
    /// `a=maxptime` in milliseconds: the longest packets the remote party can take.
    public var maxptime: Int?
    /// The media-level direction attribute, if any.
    public var direction: SDPDirection?

    /// The valid RTP payload types (0–127, RFC 3550 §5.1) among the formats, in order; anything
    /// else (`300`, `-1`, `2^64`, `abc`) is left out, see `invalidPayloadTypes`.
    public var payloadTypes: [Int] { formats.compactMap { DecimalNumber($0).value(in: Self.payloadTypeRange) } }

    /// Formats that are not an RTP payload type 0–127, as written.
    public var invalidPayloadTypes: [String] { formats.filter { DecimalNumber($0).value(in: Self.payloadTypeRange) == nil } }

    /// The 7-bit RTP payload type field's range.
    public static let payloadTypeRange = 0...127
}

/// A parsed SDP session description (RFC 4566), the subset a telephone call needs.
public struct SessionDescription: Sendable, Hashable {
    /// The `o=` line fields.
    public struct Origin: Sendable, Hashable {
        /// User name.
        public var username: String
        /// Session id.
        public var sessionID: String
        /// Session version.
        public var sessionVersion: String
        /// Network type (`IN`).
        public var networkType: String
        /// Address type (`IP4`/`IP6`).
        public var addressType: String
        /// Address.
        public var address: String
    }

    /// `v=` (always 0).
    public var version: Int
    /// `o=`.
    public var origin: Origin?
    /// `s=`.
    public var sessionName: String
    /// Session-level `c=` address.
    public var connectionAddress: String?
    /// `t=` as written.
    public var timing: String?
    /// Session-level direction attribute.
    public var direction: SDPDirection?
    /// The media sections in order.
    public var media: [SDPMediaDescription]

    /// The most `m=` sections accepted: a telephone call needs one; a datagram of thousands
    /// would make an answer larger than a datagram.
    public static let maximumMediaSections = 16
    /// `a=ptime` values accepted, in milliseconds (telephony uses 10–60; 200 ms of G.711 still
    /// fits an RTP datagram).
    public static let ptimeRange = 1...200
    /// `a=maxptime` values accepted, in milliseconds (AMR peers announce up to 240 or more).
    public static let maxptimeRange = 1...1000
    /// RTP clock rates accepted in `a=rtpmap` (1 Hz … 192 kHz); the hub itself uses 8000.
    public static let clockRateRange = 1...192_000

    /// Parses SDP text (CRLF or LF line endings).
    ///
    /// Malformed text throws `.malformed`; well-formed numbers outside what RTP allows (a port
    /// above 65535, a payload type in `a=rtpmap`/`a=fmtp` that does not fit 7 bits, a clock rate,
    /// ptime or channel count out of range, more than `maximumMediaSections` streams) throw
    /// `.unacceptable`. Payload types in the `m=` format list are checked by negotiation.
    public init(parsing text: String) throws(SDPParseError) {
        version = -1
        origin = nil
        sessionName = ""
        connectionAddress = nil
        timing = nil
        direction = nil
        media = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            line = line.trimmedSIP
            guard !line.isEmpty else { continue }
            lineNumber += 1
            guard line.count >= 2, line[line.index(after: line.startIndex)] == "=" else {
                throw SDPParseError("Malformed SDP line \(lineNumber)")
            }
            let kind = line.first!
            let value = line.dropFirst(2)
            if lineNumber == 1 && kind != "v" { throw SDPParseError("SDP must start with v=") }
            switch kind {
            case "v":
                guard case .value(let number) = DecimalNumber(value.trimmedSIP) else { throw SDPParseError("Malformed v= line") }
                version = number
            case "o":
                let fields = value.split(separator: " ")
                guard fields.count == 6 else { throw SDPParseError("Malformed o= line") }
                origin = Origin(username: String(fields[0]), sessionID: String(fields[1]), sessionVersion: String(fields[2]),
                                networkType: String(fields[3]), addressType: String(fields[4]), address: String(fields[5]))
            case "s":
                sessionName = String(value)
            case "c":
                let fields = value.split(separator: " ")
                guard fields.count == 3 else { throw SDPParseError("Malformed c= line") }
                // Multicast TTL/count suffixes (`/127`) are not part of the address.
                let address = String(fields[2].split(separator: "/").first ?? fields[2])
                if media.isEmpty { connectionAddress = address } else { media[media.count - 1].connectionAddress = address }
            case "t":
                timing = String(value)
            case "m":
                let fields = value.split(separator: " ")
                guard fields.count >= 4 else { throw SDPParseError("Malformed m= line") }
                guard media.count < Self.maximumMediaSections else {
                    throw .unacceptable("Too many media streams (at most \(Self.maximumMediaSections))")
                }
                let portParts = fields[1].split(separator: "/", omittingEmptySubsequences: false)
                let portText = portParts.first ?? fields[1]
                if portParts.count > 1 {
                    // `port/number of ports`: only the first port is used, but the count must be sane.
                    guard portParts.count == 2, DecimalNumber(portParts[1]).value(in: 1...65535) != nil else {
                        throw .unacceptable("Invalid media port count \(Self.excerpt(fields[1]))")
                    }
                }
                let port: Int
                switch DecimalNumber(portText) {
                case .value(let value) where value <= 65535: port = value
                case .value, .outOfRange: throw .unacceptable("Invalid media port \(Self.excerpt(portText)) (must be 0-65535)")
                case .malformed: throw SDPParseError("Malformed m= port")
                }
                media.append(SDPMediaDescription(type: String(fields[0]), port: port, proto: String(fields[2]),
                                                 formats: fields.dropFirst(3).map(String.init)))
            case "a":
                try parseAttribute(value)
            default:
                continue
            }
        }
        guard version == 0 else { throw SDPParseError("Missing or unsupported v= line") }
    }

    private mutating func parseAttribute(_ value: Substring) throws(SDPParseError) {
        let nameAndValue = value.split(separator: ":", maxSplits: 1)
        let name = nameAndValue.first.map(String.init) ?? ""
        let argument = nameAndValue.count > 1 ? nameAndValue[1] : ""
        if let direction = SDPDirection(rawValue: name) {
            if media.isEmpty { self.direction = direction } else { media[media.count - 1].direction = direction }
            return
        }
        guard !media.isEmpty else { return }
        let index = media.count - 1
        switch name {
        case "rtpmap":
            let parts = argument.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { throw SDPParseError("Malformed a=rtpmap") }
            let payloadType = try Self.payloadType(parts[0], attribute: "a=rtpmap")
            let encodingParts = parts[1].trimmedSIP.split(separator: "/")
            guard encodingParts.count >= 2 else {
                throw SDPParseError("Malformed a=rtpmap")
            }
            let clockRate = try Self.number(encodingParts[1], in: Self.clockRateRange, what: "clock rate", attribute: "a=rtpmap")
            let channels = encodingParts.count > 2
                ? try Self.number(encodingParts[2], in: 1...255, what: "channel count", attribute: "a=rtpmap") : nil
            media[index].rtpMaps[payloadType] = SDPRTPMap(encoding: String(encodingParts[0]), clockRate: clockRate, channels: channels)
        case "fmtp":
            let parts = argument.split(separator: " ", maxSplits: 1)
            guard let first = parts.first else { throw SDPParseError("Malformed a=fmtp") }
            let payloadType = try Self.payloadType(first, attribute: "a=fmtp")
            media[index].fmtp[payloadType] = parts.count > 1 ? String(parts[1].trimmedSIP) : ""
        case "ptime":
            media[index].ptime = try Self.milliseconds(argument, attribute: "ptime", in: Self.ptimeRange)
        case "maxptime":
            media[index].maxptime = try Self.milliseconds(argument, attribute: "maxptime", in: Self.maxptimeRange)
        default:
            return
        }
    }

    /// A packet time: milliseconds, possibly with a fraction (`20.0`, `22.5`, read as whole
    /// milliseconds); anything else (`0`, `-1`, `1e19`, `2^64`, `abc`) cannot be honoured: 488.
    private static func milliseconds(_ argument: Substring, attribute: String, in range: ClosedRange<Int>) throws(SDPParseError) -> Int {
        let text = argument.trimmedSIP
        let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fractionIsDigits = whole.count < 2 || (!whole[1].isEmpty && whole[1].utf8.allSatisfy { $0 >= 48 && $0 <= 57 })
        guard fractionIsDigits, let value = DecimalNumber(whole[0]).value(in: range) else {
            throw .unacceptable("Unsupported \(attribute) \(excerpt(text)) (must be \(range.lowerBound)-\(range.upperBound) ms)")
        }
        return value
    }

    /// A payload type in an attribute: 0–127, else unacceptable (out of range) or malformed.
    private static func payloadType(_ text: Substring, attribute: String) throws(SDPParseError) -> Int {
        try number(text, in: SDPMediaDescription.payloadTypeRange, what: "RTP payload type", attribute: attribute)
    }

    /// A number in `range`: well-formed but out of range is unacceptable, anything else malformed.
    private static func number(_ text: Substring, in range: ClosedRange<Int>, what: String,
                               attribute: String) throws(SDPParseError) -> Int {
        switch DecimalNumber(text.trimmedSIP) {
        case .value(let value) where range.contains(value): return value
        case .value, .outOfRange:
            throw .unacceptable("Invalid \(what) \(excerpt(text)) in \(attribute) (must be \(range.lowerBound)-\(range.upperBound))")
        case .malformed: throw SDPParseError("Malformed \(attribute)")
        }
    }

    /// Untrusted text quoted in a Warning: printable ASCII without quotes, at most 24 characters.
    static func excerpt(_ text: some StringProtocol) -> String {
        let cleaned = text.prefix(24).map { $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "\\" && ($0.asciiValue ?? 0) >= 32 ? $0 : "?" }
        return String(cleaned) + (text.count > 24 ? "..." : "")
    }

    /// The connection address that applies to a media section.
    public func connectionAddress(for media: SDPMediaDescription) -> String? {
        media.connectionAddress ?? connectionAddress
    }

    /// The direction that applies to a media section (media level, then session level, then sendrecv).
    public func direction(for media: SDPMediaDescription) -> SDPDirection {
        media.direction ?? direction ?? .sendrecv
    }
}
