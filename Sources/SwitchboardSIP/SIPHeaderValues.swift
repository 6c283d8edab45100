/// A Via header value (RFC 3261 §20.42, RFC 3581 `rport`).
public struct SIPVia: Sendable, Hashable, CustomStringConvertible {
    /// The transport, uppercased (`UDP`, `TCP`, `TLS`, …).
    public var transport: String
    /// The sent-by host.
    public var host: String
    /// The sent-by port, when given.
    public var port: Int?
    /// The parameters (`branch`, `received`, `rport`, …).
    public var parameters: SIPParameters

    /// Creates a Via.
    public init(transport: String = "UDP", host: String, port: Int?, branch: String, rport: Bool = false) {
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = SIPParameters()
        parameters.set("branch", branch)
        if rport { parameters.set("rport", nil) }
    }

    /// Parses a single Via value such as `SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776;rport`.
    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let value = text.trimmedSIP
        let pieces = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        // Remove white space around "/" and ":" so that "SIP / 2.0 / UDP host : 5060" reads cleanly.
        var compact = ""
        var pendingSpace = false
        for character in pieces[0] {
            if character.isSIPSpace {
                pendingSpace = true
                continue
            }
            if pendingSpace, character != "/", character != ":", compact.last != "/", compact.last != ":" {
                compact.append(" ")
            }
            pendingSpace = false
            compact.append(character)
        }
        let words = compact.split(separator: " ")
        guard words.count == 2 else { throw SIPParseError("Malformed Via") }
        let protocolParts = words[0].split(separator: "/")
        guard protocolParts.count == 3, protocolParts[0].uppercased() == "SIP", protocolParts[1] == "2.0" else {
            throw SIPParseError("Malformed Via protocol")
        }
        transport = protocolParts[2].uppercased()
        (host, port) = try SIPURI.parseHostPort(words[1])
        parameters = pieces.count > 1 ? SIPParameters(parsing: pieces[1]) : SIPParameters()
    }

    /// The branch parameter.
    public var branch: String? { parameters["branch"] }

    /// The `received` parameter (the source address a server saw).
    public var received: String? { parameters["received"] }

    /// True when `rport` is present (with or without a value).
    public var hasRPort: Bool { parameters.contains("rport") }

    /// The `rport` value once filled in by a server.
    public var rport: Int? { parameters["rport"].flatMap { DecimalNumber($0).value(in: 1...65535) } }

    /// The sent-by as text (`host:port`).
    public var sentBy: String {
        let hostText = host.contains(":") ? "[" + host + "]" : host
        return port.map { hostText + ":" + String($0) } ?? hostText
    }

    /// The value as text.
    public var description: String {
        "SIP/2.0/" + transport + " " + sentBy + parameters.serialized
    }
}

/// A name-addr or addr-spec header value: From, To, Contact, P-Asserted-Identity, Route.
public struct SIPNameAddress: Sendable, Hashable, CustomStringConvertible {
    /// The display name without quotes, if any.
    public var displayName: String?
    /// The URI text as written.
    public var uriText: String
    /// Header parameters after the URI (`tag`, `expires`, …).
    public var parameters: SIPParameters

    /// Creates a value.
    public init(displayName: String? = nil, uri: String, parameters: SIPParameters = SIPParameters()) {
        self.displayName = displayName
        self.uriText = uri
        self.parameters = parameters
    }

    /// Parses `"Alice" <sip:alice@example.com>;tag=1928`, `Bob <sip:bob@b>` or `sip:c@d;tag=5`.
    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let value = text.trimmedSIP
        guard !value.isEmpty else { throw SIPParseError("Empty address") }
        var rest = value
        displayName = nil
        if rest.first == "\"" {
            var index = rest.index(after: rest.startIndex)
            var escaped = false
            var closing: Substring.Index?
            while index < rest.endIndex {
                let character = rest[index]
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" {
                    closing = index
                    break
                }
                index = rest.index(after: index)
            }
            guard let closing else { throw SIPParseError("Unterminated display name") }
            displayName = unquoted(rest[rest.startIndex...closing])
            rest = rest[rest.index(after: closing)...].trimmedSIP
            guard rest.first == "<" else { throw SIPParseError("Display name without <URI>") }
        }
        if let open = rest.firstIndex(of: "<") {
            if displayName == nil {
                let name = rest[..<open].trimmedSIP
                if !name.isEmpty { displayName = String(name) }
            }
            guard let close = rest[open...].firstIndex(of: ">") else { throw SIPParseError("Unterminated <URI>") }
            uriText = String(rest[rest.index(after: open)..<close].trimmedSIP)
            let after = rest[rest.index(after: close)...].trimmedSIP
            if after.isEmpty {
                parameters = SIPParameters()
            } else {
                guard after.first == ";" else { throw SIPParseError("Malformed address parameters") }
                parameters = SIPParameters(parsing: after.dropFirst())
            }
        } else {
            let pieces = rest.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            uriText = String(pieces[0].trimmedSIP)
            parameters = pieces.count > 1 ? SIPParameters(parsing: pieces[1]) : SIPParameters()
        }
        guard !uriText.isEmpty else { throw SIPParseError("Empty URI") }
    }

    /// The parsed URI (nil for an unsupported scheme or `*`).
    public var uri: SIPURI? { try? SIPURI(parsing: uriText) }

    /// The `tag` parameter.
    public var tag: String? { parameters["tag"] }

    /// The value as text, always in name-addr form (`"Name" <uri>;params`).
    public var description: String {
        var text = ""
        if let displayName, !displayName.isEmpty {
            let escaped = displayName.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            text = "\"" + escaped + "\" "
        }
        return text + "<" + uriText + ">" + parameters.serialized
    }
}

/// A CSeq header value: sequence number and method.
public struct SIPCSeq: Sendable, Hashable, CustomStringConvertible {
    /// The sequence number.
    public var number: UInt32
    /// The method.
    public var method: String

    /// Creates a CSeq.
    public init(number: UInt32, method: String) {
        self.number = number
        self.method = method
    }

    /// The largest sequence number: RFC 3261 §8.1.1.5 requires CSeq to be below 2^31.
    public static let maximumNumber: UInt32 = 0x7FFF_FFFF

    /// Parses `314159 INVITE`; the number must be 0 ... 2^31 - 1 (§8.1.1.5).
    public init(parsing text: some StringProtocol) throws(SIPParseError) {
        let parts = text.split(whereSeparator: { $0.isSIPSpace })
        guard parts.count == 2 else { throw SIPParseError("Malformed CSeq") }
        switch DecimalNumber(parts[0]) {
        case .value(let value):
            guard let number = UInt32(exactly: value), number <= Self.maximumNumber else {
                throw SIPParseError("CSeq number out of range")
            }
            self.number = number
        case .outOfRange:
            throw SIPParseError("CSeq number out of range")
        case .malformed:
            throw SIPParseError("Malformed CSeq")
        }
        self.method = String(parts[1])
    }

    /// The value as text.
    public var description: String { String(number) + " " + method }
}

extension String {
    /// Replaces every occurrence of a character with a string.
    func replacingAll(_ character: Character, with replacement: String) -> String {
        var result = ""
        for element in self {
            if element == character { result += replacement } else { result.append(element) }
        }
        return result
    }
}
