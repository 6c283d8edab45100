extension SIPMessage {
    /// The message as bytes: CRLF line endings and a Content-Length matching the body.
    public func serialized() -> [UInt8] {
        var text: String
        switch startLine {
        case .request(let method, let uri):
            text = method + " " + uri + " SIP/2.0\r\n"
        case .response(let status, let reason):
            text = "SIP/2.0 " + String(status) + " " + reason + "\r\n"
        }
        for field in headers where field.name.lowercased() != "content-length" {
            text += field.name + ": " + field.value + "\r\n"
        }
        text += "Content-Length: " + String(body.count) + "\r\n\r\n"
        return Array(text.utf8) + body
    }

    /// The body decoded as UTF-8 text (invalid sequences are replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
