import Foundation

/// A business on the platform: its packs (by name), the agent a `/realtime` session of its keys
/// starts with, and its limits.
public struct Tenant: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The packs its agents come from (names of packs the hub serves).
    public var packs: [String]
    /// The agent its `/realtime` sessions start with (`pack/agent` or an agent of its first pack).
    public var defaultAgent: String
    public var limits: TenantLimits
    public var createdAt: Date

    public init(id: String = Tenant.newID(), name: String, packs: [String], defaultAgent: String, limits: TenantLimits = TenantLimits(),
                createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.packs = packs
        self.defaultAgent = defaultAgent
        self.limits = limits
        self.createdAt = PlatformTime.milliseconds(createdAt)
    }

    /// `ten_` and 24 hex digits.
    public static func newID() -> String { PlatformID.make("ten") }
}

/// What a tenant may use at once and over time; `nil`: no limit of its own.
public struct TenantLimits: Sendable, Equatable {
    public var concurrentCalls: Int?
    public var callsPerMinute: Int?
    /// Spend per calendar month, in the price table's currency.
    public var monthlySpend: Double?

    public init(concurrentCalls: Int? = nil, callsPerMinute: Int? = nil, monthlySpend: Double? = nil) {
        self.concurrentCalls = concurrentCalls
        self.callsPerMinute = callsPerMinute
        self.monthlySpend = monthlySpend
    }
}

/// A phone number (E.164) or SIP address bound to one tenant's agent: a call to it reaches
/// that agent. A number belongs to one tenant at most.
public struct NumberBinding: Sendable, Equatable {
    /// `+15551230000`, or a `sip:user@host` address (stored lowercased).
    public var number: String
    public var tenantID: String
    public var agent: String
    public var createdAt: Date

    public init(number: String, tenantID: String, agent: String, createdAt: Date = Date()) {
        self.number = number
        self.tenantID = tenantID
        self.agent = agent
        self.createdAt = PlatformTime.milliseconds(createdAt)
    }
}

/// An API key of a tenant. Only its SHA-256 is kept; the key itself is shown once, when made.
public struct TenantKey: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable, Comparable {
        case client, server, admin
        private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
        public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }
    }

    public var id: String
    public var tenantID: String
    public var scope: Scope
    /// Hex SHA-256 of the key.
    public var hash: String
    /// The key's last four characters, to tell keys apart in a list.
    public var hint: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String = PlatformID.make("key"), tenantID: String, scope: Scope, hash: String, hint: String, createdAt: Date = Date(),
                revokedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.scope = scope
        self.hash = hash
        self.hint = hint
        self.createdAt = PlatformTime.milliseconds(createdAt)
        self.revokedAt = revokedAt.map(PlatformTime.milliseconds)
    }
}

/// One tool of one agent as a tenant set it up: enabled or not, and its public settings (checked
/// against the settings schema its tool file declares). Secrets are kept apart (`SealedSecret`).
public struct ToolSetting: Sendable, Equatable {
    public var tenantID: String
    public var agent: String
    public var tool: String
    public var enabled: Bool
    /// The settings as a JSON object's text.
    public var settings: String
    public var updatedAt: Date

    public init(tenantID: String, agent: String, tool: String, enabled: Bool, settings: String = "{}", updatedAt: Date = Date()) {
        self.tenantID = tenantID
        self.agent = agent
        self.tool = tool
        self.enabled = enabled
        self.settings = settings
        self.updatedAt = PlatformTime.milliseconds(updatedAt)
    }
}

/// A tenant's secret as it is stored: sealed by `SecretBox`, with a hint of its last four
/// characters. The value itself is never stored or returned in the clear.
public struct SealedSecret: Sendable, Equatable {
    public var tenantID: String
    public var name: String
    public var sealed: String
    public var hint: String
    public var updatedAt: Date

    public init(tenantID: String, name: String, sealed: String, hint: String, updatedAt: Date = Date()) {
        self.tenantID = tenantID
        self.name = name
        self.sealed = sealed
        self.hint = hint
        self.updatedAt = PlatformTime.milliseconds(updatedAt)
    }
}

/// Ids: a prefix, `_`, and 24 random hex digits.
public enum PlatformID {
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return "\(prefix)_\(digits)"
    }

    /// Whether `text` is an id with `prefix`.
    public static func isValid(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix + "_") else { return false }
        let digits = text.dropFirst(prefix.count + 1)
        return digits.count == 24 && digits.allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }
}

/// Times are kept to the millisecond.
public enum PlatformTime {
    public static func milliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    static func integer(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
