/// An audio format of the realtime protocol.
public enum AudioFormat: String, Sendable, Hashable, CaseIterable {
    /// 16-bit little-endian mono PCM at 24 kHz (beta `pcm16`, GA `{type:"audio/pcm", rate:24000}`).
    case pcm16
    /// G.711 μ-law at 8 kHz (beta `g711_ulaw`, GA `{type:"audio/pcmu"}`).
    case g711ulaw = "g711_ulaw"
    /// G.711 A-law at 8 kHz (beta `g711_alaw`, GA `{type:"audio/pcma"}`).
    case g711alaw = "g711_alaw"

    /// Samples per second.
    public var sampleRate: Int { self == .pcm16 ? 24_000 : 8_000 }
    /// Bytes per sample.
    public var bytesPerSample: Int { self == .pcm16 ? 2 : 1 }

    /// The format as written in `dialect`.
    public func json(in dialect: Dialect) -> JSONValue {
        switch dialect {
        case .beta: return .string(rawValue)
        case .ga:
            switch self {
            case .pcm16: return .object(["type": .string("audio/pcm"), "rate": .int(24_000)])
            case .g711ulaw: return .object(["type": .string("audio/pcmu")])
            case .g711alaw: return .object(["type": .string("audio/pcma")])
            }
        }
    }

    /// Reads a format in either dialect's shape; `nil` when it is not one the protocol has.
    public init?(json: JSONValue) {
        if let name = json.stringValue {
            guard let format = AudioFormat(rawValue: name) else { return nil }
            self = format
            return
        }
        guard let object = json.objectValue, let type = object["type"]?.stringValue else { return nil }
        switch type {
        case "audio/pcm":
            if let rate = object["rate"], rate.intValue != 24_000 { return nil }
            self = .pcm16
        case "audio/pcmu": self = .g711ulaw
        case "audio/pcma": self = .g711alaw
        default: return nil
        }
    }
}
