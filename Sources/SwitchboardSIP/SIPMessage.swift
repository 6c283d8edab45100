/// A SIP request or response (RFC 3261 §7).
public struct SIPMessage: Sendable, Hashable {
    /// The first line of a message.
    public enum StartLine: Sendable, Hashable {
        /// `METHOD request-URI SIP/2.0`.
        case request(method: String, uri: String)
        /// `SIP/2.0 status reason`.
        case response(status: Int, reason: String)
    }

    /// The request or status line.
    public var startLine: StartLine
    /// The header fields (Content-Length is recomputed when serialized).
    public var headers: SIPHeaders
    /// The message body (usually SDP).
    public var body: [UInt8]

    /// Creates a message.
    public init(startLine: StartLine, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
    }

    /// Creates a request.
    public static func request(method: String, uri: String, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) -> SIPMessage {
        SIPMessage(startLine: .request(method: method, uri: uri), headers: headers, body: body)
    }

    /// True for requests.
    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    /// The request method (nil for responses).
    public var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    /// The request URI as written (nil for responses).
    public var requestURIText: String? {
        if case .request(_, let uri) = startLine { return uri }
        return nil
    }

    /// The parsed request URI (nil for responses or an unparseable URI).
    public var requestURI: SIPURI? { requestURIText.flatMap { try? SIPURI(parsing: $0) } }

    /// The status code (nil for requests).
    public var statusCode: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }

    /// The reason phrase (nil for requests).
    public var reasonPhrase: String? {
        if case .response(_, let reason) = startLine { return reason }
        return nil
    }

    /// Every Via in order (unparseable values are skipped).
    public var vias: [SIPVia] { headers.values("Via").compactMap { try? SIPVia(parsing: $0) } }

    /// The top Via, the one that says where responses go.
    public var topVia: SIPVia? { headers["Via"].flatMap { try? SIPVia(parsing: $0) } }

    /// The From header.
    public var from: SIPNameAddress? { headers["From"].flatMap { try? SIPNameAddress(parsing: $0) } }

    /// The To header.
    public var to: SIPNameAddress? { headers["To"].flatMap { try? SIPNameAddress(parsing: $0) } }

    /// The Call-ID.
    public var callID: String? { headers["Call-ID"] }

    /// The CSeq header.
    public var cseq: SIPCSeq? { headers["CSeq"].flatMap { try? SIPCSeq(parsing: $0) } }

    /// The first Contact.
    public var contact: SIPNameAddress? { headers["Contact"].flatMap { try? SIPNameAddress(parsing: $0) } }

    /// Max-Forwards, when present and a number in 0–255 (RFC 3261 §20.22 allows 1*DIGIT; 70 is
    /// the recommended start, and anything above 255 is garbage).
    public var maxForwards: Int? { headers["Max-Forwards"].flatMap { DecimalNumber($0).value(in: Self.maxForwardsRange) } }

    /// The Max-Forwards values accepted.
    public static let maxForwardsRange = 0...255

    /// The media type of the body without parameters, lowercased (e.g. `application/sdp`).
    public var contentType: String? {
        guard let value = headers["Content-Type"] else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmedSIP } ?? ""
        return type.lowercased()
    }

    /// Every P-Asserted-Identity value (RFC 3325), in order.
    public var pAssertedIdentities: [SIPNameAddress] {
        headers.values("P-Asserted-Identity").compactMap { try? SIPNameAddress(parsing: $0) }
    }

    /// The first P-Asserted-Identity.
    public var pAssertedIdentity: SIPNameAddress? { pAssertedIdentities.first }
}
