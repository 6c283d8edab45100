/// The SIP users who may call from untrusted addresses (`--sip-users FILE`), each with the
/// number their calls are from.
///
/// One user a line, either with the password or with its HA1 (`H(user:realm:password)`, which
/// ties the entry to one realm and one algorithm: 32 hex digits for MD5, 64 for SHA-256):
///
///     # comment
///     alice:correct horse:+15551230001
///     bob:ha1:939e7578ed9e3c518a452acee763bce9:+15551230002
///
/// The user name is everything before the first `:`, the number everything after the last (E.164,
/// with its `+`), the password everything between (it may contain `:`, but not begin with `ha1:`).
/// Blank lines and lines starting with `#` are ignored.
public struct SIPDigestUsers: Sendable, Hashable {
    /// One user.
    public struct User: Sendable, Hashable {
        /// The digest user name.
        public var name: String
        /// The caller's number (E.164) for calls this user authenticates.
        public var number: String
        /// The password, when the file gives it.
        var password: String?
        /// The stored HA1 (lowercase hex; its length says the algorithm), when the file gives it instead.
        var ha1Hex: String?

        /// A user with a password.
        public init(name: String, password: String, number: String) {
            self.name = name
            self.password = password
            self.number = number
        }

        /// A user with a stored HA1 (32 or 64 lowercase hex digits).
        public init(name: String, ha1 hex: String, number: String) {
            self.name = name
            self.number = number
            self.ha1Hex = hex.lowercased()
        }

        /// `H(user:realm:password)` for `algorithm`, or nil when only another algorithm's HA1 is stored.
        public func ha1(realm: String, algorithm: SIPDigest.Algorithm) -> String? {
            if let password { return SIPDigest.ha1(username: name, realm: realm, password: password, algorithm: algorithm) }
            guard let ha1Hex, ha1Hex.count == algorithm.hexLength else { return nil }
            return ha1Hex
        }
    }

    /// The users by name.
    public private(set) var users: [String: User] = [:]

    /// A directory of `users`.
    public init(_ users: [User]) {
        for user in users { self.users[user.name] = user }
    }

    /// Parses a users file; `file` names it in errors (`file:line: what is wrong`).
    public init(parsing text: String, file: String) throws(SIPUsersFileError) {
        var lineNumbers: [String: Int] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.trimmedSIP
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ message: String) -> SIPUsersFileError { SIPUsersFileError("\(file):\(number): \(message)") }
            guard let firstColon = trimmed.firstIndex(of: ":"), let lastColon = trimmed.lastIndex(of: ":"), firstColon < lastColon else {
                throw fail("expected user:password:+E164number or user:ha1:HEX:+E164number")
            }
            let name = String(trimmed[..<firstColon])
            let secret = String(trimmed[trimmed.index(after: firstColon)..<lastColon])
            let numberText = String(trimmed[trimmed.index(after: lastColon)...])
            guard !name.isEmpty else { throw fail("the user name is empty") }
            guard name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 && $0 != "\"" && $0 != "\\" }) else {
                throw fail("user name '\(name)' may only hold printable ASCII without spaces, quotes or backslashes")
            }
            guard numberText.hasPrefix("+"), let e164 = e164Number(numberText), e164 == numberText else {
                throw fail("'\(numberText)' is not an E.164 number (+ then 7-15 digits, the first not 0)")
            }
            if let first = lineNumbers[name] { throw fail("user '\(name)' is already listed on line \(first)") }
            let user: User
            if secret.hasPrefix("ha1:") {
                let hex = String(secret.dropFirst(4))
                guard [32, 64].contains(hex.count), hex.allSatisfy(\.isHexDigit) else {
                    throw fail("ha1: must be followed by 32 (MD5) or 64 (SHA-256) hex digits")
                }
                user = User(name: name, ha1: hex, number: e164)
            } else {
                guard !secret.isEmpty else { throw fail("the password for '\(name)' is empty") }
                user = User(name: name, password: secret, number: e164)
            }
            lineNumbers[name] = number
            users[name] = user
        }
        if users.isEmpty { throw SIPUsersFileError("\(file): no users (expected lines user:password:+E164number)") }
    }

    /// The user with this name.
    public subscript(name: String) -> User? { users[name] }
}

/// A users file that cannot be used: `file:line: what is wrong`.
public struct SIPUsersFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message, with the file and line.
    public var message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
