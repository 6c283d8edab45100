extension SIPMessage {
    /// Builds a response to this request as RFC 3261 §8.2.6 describes.
    ///
    /// Copies every Via, From, To, Call-ID and CSeq. Adds `toTag` to To when To has no tag and the
    /// status is not 100. When `source` is given, the top Via gets `received` if the source host
    /// differs from its sent-by host, and a requested `rport` is filled with the source port
    /// (RFC 3581).
    public func response(status: Int, reason: String, toTag: String? = nil, source: SIPEndpoint? = nil) -> SIPMessage {
        var headers = SIPHeaders()
        var vias = self.headers.values("Via")
        if let source, let first = vias.first, var top = try? SIPVia(parsing: first) {
            top.stampReceived(from: source)
            vias[0] = top.description
        }
        for via in vias { headers.add("Via", via) }
        if let from = self.headers["From"] { headers.add("From", from) }
        if let to = self.headers["To"] {
            if status != 100, let toTag, var address = try? SIPNameAddress(parsing: to), address.tag == nil {
                address.parameters.set("tag", toTag)
                headers.add("To", address.description)
            } else {
                headers.add("To", to)
            }
        }
        if let callID = self.headers["Call-ID"] { headers.add("Call-ID", callID) }
        if let cseq = self.headers["CSeq"] { headers.add("CSeq", cseq) }
        return SIPMessage(startLine: .response(status: status, reason: reason), headers: headers)
    }

    /// Where a response to this request goes over UDP (RFC 3261 §18.2.2, RFC 3581): the source
    /// address when the sent-by host differs or `rport` was requested, the source port when
    /// `rport` was requested, otherwise the sent-by port (5060 by default).
    public func responseDestination(source: SIPEndpoint) -> SIPEndpoint? {
        guard let via = topVia else { return nil }
        let port = via.hasRPort ? source.port : (via.port ?? 5060)
        // `Via: …:0` names no port anyone listens on: answer where the request came from.
        return SIPEndpoint(host: source.host, port: (1...65535).contains(port) ? port : source.port)
    }
}

extension SIPVia {
    /// Adds `received` when the source differs from sent-by, and fills a requested `rport`.
    mutating func stampReceived(from source: SIPEndpoint) {
        if source.host != host { parameters.set("received", source.host) }
        if hasRPort { parameters.set("rport", String(source.port)) }
    }
}
