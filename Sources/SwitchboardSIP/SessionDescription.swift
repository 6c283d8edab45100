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
    /// The media-level direction attribute, if any.
    public var direction: SDPDirection?

    /// The numeric payload types, in order.
    public var payloadTypes: [Int] { formats.compactMap { Int($0) } }
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

    /// Parses SDP text (CRLF or LF line endings).
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
                guard let number = Int(value) else { throw SDPParseError("Malformed v= line") }
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
                let portText = fields[1].split(separator: "/").first ?? fields[1]
                guard let port = Int(portText), (0...65535).contains(port) else { throw SDPParseError("Malformed m= port") }
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
            guard parts.count == 2, let payloadType = Int(parts[0]) else { throw SDPParseError("Malformed a=rtpmap") }
            let encodingParts = parts[1].trimmedSIP.split(separator: "/")
            guard encodingParts.count >= 2, let clockRate = Int(encodingParts[1]) else {
                throw SDPParseError("Malformed a=rtpmap")
            }
            let channels = encodingParts.count > 2 ? Int(encodingParts[2]) : nil
            media[index].rtpMaps[payloadType] = SDPRTPMap(encoding: String(encodingParts[0]), clockRate: clockRate, channels: channels)
        case "fmtp":
            let parts = argument.split(separator: " ", maxSplits: 1)
            guard let first = parts.first, let payloadType = Int(first) else { throw SDPParseError("Malformed a=fmtp") }
            media[index].fmtp[payloadType] = parts.count > 1 ? String(parts[1].trimmedSIP) : ""
        case "ptime":
            media[index].ptime = Int(argument.trimmedSIP)
        default:
            return
        }
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
