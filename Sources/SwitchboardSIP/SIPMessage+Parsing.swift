extension SIPMessage {
    /// Parses one UDP datagram.
    ///
    /// Leading CRLFs are skipped. Header names are case-insensitive, compact forms are expanded,
    /// folded continuation lines are joined, and list headers are split into one field per value.
    /// The body is `Content-Length` bytes after the blank line; without Content-Length it is the
    /// rest of the datagram. A Content-Length longer than the datagram is an error; extra bytes
    /// after the declared length are discarded (RFC 3261 §18.3).
    public init(parsing datagram: [UInt8]) throws(SIPParseError) {
        var start = 0
        while start < datagram.count, datagram[start] == 13 || datagram[start] == 10 { start += 1 }
        guard start < datagram.count else { throw SIPParseError("Empty message") }

        let (headerEnd, bodyStart) = Self.headerBoundary(datagram, from: start)
        guard let headerText = String(validating: datagram[start..<headerEnd], as: UTF8.self) else {
            throw SIPParseError("Message header is not valid UTF-8")
        }
        var lines = Self.unfoldedLines(headerText)
        guard !lines.isEmpty else { throw SIPParseError("Empty message") }
        let startLine = try Self.parseStartLine(lines.removeFirst())

        var headers = SIPHeaders()
        var firstError: String?
        // A datagram of tiny header lines would otherwise cost every later header lookup a scan
        // of thousands of fields; no real request comes near this.
        if lines.count > Self.maximumHeaderFields {
            lines.removeSubrange(Self.maximumHeaderFields...)
            firstError = "Too many header fields (at most \(Self.maximumHeaderFields))"
        }
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                firstError = firstError ?? "Malformed header line (no colon)"
                continue
            }
            let name = line[..<colon].trimmedSIP
            guard !name.isEmpty, !name.contains(where: { $0.isSIPSpace }) else {
                firstError = firstError ?? "Malformed header name"
                continue
            }
            let value = line[line.index(after: colon)...].trimmedSIP
            let fullName = SIPHeaders.expandedName(String(name))
            if SIPHeaders.listHeaders.contains(fullName.lowercased()) {
                let elements = splitOutsideQuotes(value, separator: ",").map { $0.trimmedSIP }.filter { !$0.isEmpty }
                // An empty list (`Supported:`) is kept as one empty field.
                if elements.isEmpty { headers.add(fullName, "") }
                for element in elements {
                    // One line can list thousands of values (`Via: a,a,a,…`): the same bound applies.
                    guard headers.fields.count < Self.maximumHeaderFields else {
                        firstError = firstError ?? "Too many header fields (at most \(Self.maximumHeaderFields))"
                        break
                    }
                    headers.add(fullName, String(element))
                }
            } else {
                headers.add(fullName, String(value))
            }
        }
        var partial = SIPMessage(startLine: startLine, headers: headers, body: [])
        if let firstError { throw SIPParseError(firstError, partial: partial) }

        let available = bodyStart.map { datagram.count - $0 } ?? 0
        let lengths = Set(headers.values("Content-Length").map { $0.trimmedSIP })
        var bodyLength = available
        if !lengths.isEmpty {
            guard lengths.count == 1, let text = lengths.first else {
                throw SIPParseError("Conflicting Content-Length headers", partial: partial)
            }
            let length: Int
            switch DecimalNumber(text) {
            case .value(let value): length = value
            case .outOfRange: throw SIPParseError("Content-Length out of range", partial: partial)
            case .malformed: throw SIPParseError("Invalid Content-Length", partial: partial)
            }
            guard length <= available else {
                throw SIPParseError("Content-Length exceeds datagram", partial: partial)
            }
            bodyLength = length
        }
        if let bodyStart, bodyLength > 0, bodyStart <= datagram.count - bodyLength {
            partial.body = Array(datagram[bodyStart..<(bodyStart + bodyLength)])
        }
        self = partial
    }

    /// The most header fields (lines, before list headers are split) a message may have.
    public static let maximumHeaderFields = 256

    /// Finds the end of the header section and the start of the body (nil when there is no
    /// blank line, i.e. a message truncated inside its headers or without a body separator).
    private static func headerBoundary(_ bytes: [UInt8], from start: Int) -> (Int, Int?) {
        var index = start
        while index < bytes.count {
            if bytes[index] == 10 {
                // LF LF or LF CR LF ends the header section.
                if index + 1 < bytes.count, bytes[index + 1] == 10 { return (index, index + 2) }
                if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 {
                    return (index, index + 3)
                }
            }
            index += 1
        }
        return (bytes.count, nil)
    }

    /// Splits the header text into lines (CRLF or bare LF) and joins folded continuations.
    private static func unfoldedLines(_ text: String) -> [Substring] {
        var result: [String] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = rawLine
            if line.last == "\r" { line = line.dropLast() }
            if let first = line.first, first.isSIPSpace, !result.isEmpty {
                result[result.count - 1] += " " + line.trimmedSIP
            } else if !line.isEmpty {
                result.append(String(line))
            }
        }
        return result.map { Substring($0) }
    }

    /// Parses a request line or status line.
    private static func parseStartLine(_ line: Substring) throws(SIPParseError) -> StartLine {
        let parts = line.split(whereSeparator: { $0.isSIPSpace })
        guard let first = parts.first else { throw SIPParseError("Empty start line") }
        if first.uppercased().hasPrefix("SIP/") {
            guard first.uppercased() == "SIP/2.0" else { throw SIPParseError("Unsupported SIP version") }
            guard parts.count >= 2, parts[1].count == 3, let status = DecimalNumber(parts[1]).value(in: 100...699) else {
                throw SIPParseError("Malformed status line")
            }
            let reason = parts.dropFirst(2).joined(separator: " ")
            return .response(status: status, reason: reason)
        }
        guard parts.count == 3 else { throw SIPParseError("Malformed request line") }
        guard parts[2].uppercased() == "SIP/2.0" else { throw SIPParseError("Unsupported SIP version") }
        let method = parts[0]
        guard method.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.!%*_+`'~".contains($0)) }) else {
            throw SIPParseError("Malformed method")
        }
        return .request(method: String(method), uri: String(parts[1]))
    }
}
