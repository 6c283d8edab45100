/// Addresses whose SIP requests are believed without authentication (a PBX, an SBC, a carrier
/// trunk), as IPv4 and IPv6 prefixes: `10.0.0.0/8`, `2001:db8::/32`, or a plain address.
///
/// Only these peers' INVITEs are accepted without digest credentials, and only their
/// `P-Asserted-Identity` is honoured (RFC 3325 §5: the identity is asserted within a trust
/// domain, and a UAS must ignore it from anyone outside it).
public struct SIPTrustedNetworks: Sendable, Hashable, CustomStringConvertible {
    /// One prefix: the address bytes (4 or 16) and how many leading bits must match.
    public struct Prefix: Sendable, Hashable, CustomStringConvertible {
        var bytes: [UInt8]
        var length: Int
        let text: String

        /// Parses `address` or `address/length` (IPv4 dotted quad or IPv6 text).
        public init(parsing text: String) throws(SIPTrustError) {
            let trimmed = String(text.trimmedSIP)
            let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = parts.first.flatMap({ SIPTrustedNetworks.addressBytes(String($0)) }) else {
                throw SIPTrustError("'\(text)' is not an IPv4 or IPv6 address or CIDR prefix")
            }
            let maximum = address.count * 8
            var length = maximum
            if parts.count == 2 {
                guard let value = DecimalNumber(String(parts[1])).value(in: 0...maximum) else {
                    throw SIPTrustError("'\(text)': the prefix length must be 0-\(maximum)")
                }
                length = value
            }
            // The host bits are cleared, so `10.1.2.3/8` means `10.0.0.0/8`.
            bytes = SIPTrustedNetworks.masked(address, length: length)
            self.length = length
            self.text = trimmed
        }

        /// True when `address` (bytes of the same family) lies in the prefix.
        func contains(_ address: [UInt8]) -> Bool {
            address.count == bytes.count && SIPTrustedNetworks.masked(address, length: length) == bytes
        }

        /// The prefix as configured.
        public var description: String { text }
    }

    /// The prefixes.
    public var prefixes: [Prefix]

    /// Parses each entry (see `Prefix`).
    public init(parsing entries: [String]) throws(SIPTrustError) {
        var prefixes: [Prefix] = []
        for entry in entries { prefixes.append(try Prefix(parsing: entry)) }
        self.prefixes = prefixes
    }

    /// Loopback only: `127.0.0.0/8` and `::1`.
    public static let loopback = try! SIPTrustedNetworks(parsing: ["127.0.0.0/8", "::1"])

    /// Every address (IPv4 and IPv6): no authentication at all.
    public static let everyone = try! SIPTrustedNetworks(parsing: ["0.0.0.0/0", "::/0"])

    /// True when `host` (an IP literal, as a socket reports it) is trusted. An IPv4-mapped IPv6
    /// address (`::ffff:127.0.0.1`) is matched as its IPv4 address; anything that is not an IP
    /// literal is not trusted.
    public func contains(host: String) -> Bool {
        guard let address = Self.addressBytes(host) else { return false }
        if address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            let mapped = Array(address[12...])
            if prefixes.contains(where: { $0.contains(mapped) }) { return true }
        }
        return prefixes.contains { $0.contains(address) }
    }

    /// The prefixes, comma-separated.
    public var description: String { prefixes.map(\.description).joined(separator: ", ") }

    // MARK: - Address text

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal (brackets and an IPv6 zone are ignored).
    static func addressBytes(_ text: String) -> [UInt8]? {
        var host = Substring(text)
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if let percent = host.firstIndex(of: "%") { host = host[..<percent] }
        if host.contains(":") { return ipv6Bytes(host) }
        return ipv4Bytes(host)
    }

    private static func ipv4Bytes(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // 1-3 digits; no signs, no octal or hex forms.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(part), value <= 255 else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    private static func ipv6Bytes(_ text: Substring) -> [UInt8]? {
        var halves = [String(text)]
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
            // One `::` at most, and not `:::`.
            guard !halves[1].contains("::"), !halves[1].hasPrefix(":"), !halves[0].hasSuffix(":") else { return nil }
        }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard let tail = ipv4Bytes(piece) else { return nil }
                    bytes += tail
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        if halves.count == 1 {
            guard let bytes = groups(halves[0], allowIPv4Tail: true), bytes.count == 16 else { return nil }
            return bytes
        }
        guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    private static func masked(_ address: [UInt8], length: Int) -> [UInt8] {
        var result = address
        for index in result.indices {
            let bitsHere = max(0, min(8, length - index * 8))
            result[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        return result
    }
}

/// A `--sip-trust` entry that cannot be read.
public struct SIPTrustError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
