/// The result of answering an SDP offer.
public enum SDPNegotiationResult: Sendable, Hashable {
    /// A codec was agreed: send `answer.text` in the 200 OK and use `answer.media`.
    case accepted(SDPAnswer)
    /// Nothing usable was offered; answer 488 Not Acceptable Here with this warning text.
    case notAcceptable(reason: String)
}

/// An SDP answer built for an offer (RFC 3264): G.711 only, 20 ms packets.
public struct SDPAnswer: Sendable, Hashable {
    /// The answer body (`application/sdp`).
    public var text: String
    /// The negotiated media, from Switchboard's point of view.
    public var media: SIPMedia

    /// Answers `offer` for local RTP at `local`.
    ///
    /// Picks PCMU or PCMA, whichever the offer lists first (or `preferredCodec` when offered, so a
    /// re-INVITE keeps the running codec), keeps telephone-event at 8 kHz with its offered payload
    /// type, mirrors the offered direction and rejects (port 0) every other media section.
    public static func negotiate(offer: SessionDescription, local: SIPEndpoint, sessionID: UInt64, sessionVersion: UInt64,
                                 preferredCodec: SIPAudioCodec? = nil) -> SDPNegotiationResult {
        var chosen: (index: Int, codec: SIPAudioCodec, payloadType: Int, telephoneEvent: Int?)?
        for (index, section) in offer.media.enumerated() where section.type.lowercased() == "audio" && section.port != 0 {
            guard section.proto.uppercased() == "RTP/AVP" else { continue }
            // The payload type is 7 bits on the wire (RFC 3550 §5.1): an offer of 300 or -1 is
            // refused with 488 rather than carried into the RTP stack.
            if let invalid = section.invalidPayloadTypes.first {
                return .notAcceptable(reason: "Invalid RTP payload type \(SessionDescription.excerpt(invalid)) (must be 0-127)")
            }
            let candidates = section.payloadTypes.compactMap { payloadType in
                codec(for: payloadType, in: section).map { (codec: $0, payloadType: payloadType) }
            }
            guard let pick = candidates.first(where: { $0.codec == preferredCodec }) ?? candidates.first else { continue }
            // Switchboard sends 20 ms packets; a peer that takes less cannot be served.
            if let maxptime = section.maxptime, maxptime < 20 {
                return .notAcceptable(reason: "Cannot send 20 ms packets (maxptime \(maxptime))")
            }
            let telephoneEvent = section.payloadTypes.first { payloadType in
                guard let map = section.rtpMaps[payloadType] else { return false }
                return map.encoding.lowercased() == "telephone-event" && map.clockRate == 8000
            }
            chosen = (index, pick.codec, pick.payloadType, telephoneEvent)
            break
        }
        guard let chosen else {
            let hasAudio = offer.media.contains { $0.type.lowercased() == "audio" && $0.port != 0 }
            return .notAcceptable(reason: hasAudio ? "Incompatible media format" : "No audio stream offered")
        }
        let section = offer.media[chosen.index]
        guard let remoteHost = offer.connectionAddress(for: section) else {
            return .notAcceptable(reason: "No connection address")
        }
        let offeredDirection = offer.direction(for: section)
        let localDirection = offeredDirection.mirrored

        var lines = sessionHeader(local: local, sessionID: sessionID, sessionVersion: sessionVersion)
        for (index, media) in offer.media.enumerated() {
            if index == chosen.index {
                var formats = [chosen.payloadType]
                if let event = chosen.telephoneEvent { formats.append(event) }
                lines.append("m=audio \(local.port) RTP/AVP " + formats.map(String.init).joined(separator: " "))
                lines.append("a=rtpmap:\(chosen.payloadType) \(chosen.codec.rawValue)/8000")
                if let event = chosen.telephoneEvent {
                    lines.append("a=rtpmap:\(event) telephone-event/8000")
                    lines.append("a=fmtp:\(event) " + echoedEvents(section.fmtp[event]))
                }
                lines.append("a=ptime:20")
                lines.append("a=" + localDirection.rawValue)
            } else {
                lines.append("m=\(token(media.type, or: "unknown")) 0 \(token(media.proto, or: "RTP/AVP")) "
                             + token(media.formats.first ?? "0", or: "0"))
            }
        }
        let remote = SIPEndpoint(host: remoteHost, port: section.port)
        let media = SIPMedia(remote: remote, codec: chosen.codec, payloadType: chosen.payloadType,
                             telephoneEventPayloadType: chosen.telephoneEvent, ptime: 20, direction: localDirection)
        return .accepted(SDPAnswer(text: lines.joined(separator: "\r\n") + "\r\n", media: media))
    }

    /// Builds Switchboard's offer for an outbound call: PCMU, PCMA and telephone-event 101.
    public static func offer(local: SIPEndpoint, sessionID: UInt64, sessionVersion: UInt64) -> String {
        var lines = sessionHeader(local: local, sessionID: sessionID, sessionVersion: sessionVersion)
        lines.append("m=audio \(local.port) RTP/AVP 0 8 101")
        lines.append("a=rtpmap:0 PCMU/8000")
        lines.append("a=rtpmap:8 PCMA/8000")
        lines.append("a=rtpmap:101 telephone-event/8000")
        lines.append("a=fmtp:101 0-16")
        lines.append("a=ptime:20")
        lines.append("a=sendrecv")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Reads the remote media from an answer to Switchboard's offer (first G.711 format wins).
    public static func media(fromAnswer answer: SessionDescription) -> SIPMedia? {
        for section in answer.media where section.type.lowercased() == "audio" && section.port != 0 {
            guard let host = answer.connectionAddress(for: section) else { continue }
            for payloadType in section.payloadTypes {
                guard let codec = codec(for: payloadType, in: section) else { continue }
                let telephoneEvent = section.payloadTypes.first { section.rtpMaps[$0]?.encoding.lowercased() == "telephone-event" }
                return SIPMedia(remote: SIPEndpoint(host: host, port: section.port), codec: codec, payloadType: payloadType,
                                telephoneEventPayloadType: telephoneEvent, ptime: 20,
                                direction: answer.direction(for: section).mirrored)
            }
        }
        return nil
    }

    /// The G.711 codec a payload type stands for: its rtpmap when present, else the static table.
    static func codec(for payloadType: Int, in section: SDPMediaDescription) -> SIPAudioCodec? {
        if let map = section.rtpMaps[payloadType] {
            guard map.clockRate == 8000, map.channels ?? 1 == 1 else { return nil }
            return SIPAudioCodec(rawValue: map.encoding.uppercased())
        }
        switch payloadType {
        case 0: return .pcmu
        case 8: return .pcma
        default: return nil
        }
    }

    /// An offered token echoed in a rejected `m=` line, when it is short, printable ASCII.
    private static func token(_ text: String, or fallback: String) -> String {
        let safe = !text.isEmpty && text.utf8.count <= 32
            && text.utf8.allSatisfy { $0 > 32 && $0 < 127 }
        return safe ? text : fallback
    }

    /// The telephone-event list to answer: the offered one when it is a plain list of events
    /// and ranges of events 0–255 (`0-15`, `0-16,32`), else `0-16`.
    private static func echoedEvents(_ offered: String?) -> String {
        guard let offered, !offered.isEmpty, offered.utf8.count <= 64 else { return "0-16" }
        let valid = offered.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { element in
            let bounds = element.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count) else { return false }
            let values = bounds.compactMap { DecimalNumber($0).value(in: 0...255) }
            return values.count == bounds.count && values == values.sorted()
        }
        return valid ? offered : "0-16"
    }

    private static func sessionHeader(local: SIPEndpoint, sessionID: UInt64, sessionVersion: UInt64) -> [String] {
        let addressType = local.host.contains(":") ? "IP6" : "IP4"
        return [
            "v=0",
            "o=switchboard \(sessionID) \(sessionVersion) IN \(addressType) \(local.host)",
            "s=Switchboard",
            "c=IN \(addressType) \(local.host)",
            "t=0 0",
        ]
    }
}
