import Foundation

extension HubConfiguration {
    /// Whether any API key of any scope is configured.
    public var hasKeys: Bool { !(apiKeys.isEmpty && serverKeys.isEmpty && adminKeys.isEmpty) }

    /// A loopback hub with no keys (the embedded defaults): sessions need no credential and
    /// belong to the demo customer; minting client secrets and `POST /calls` need no key.
    public var isOpen: Bool { isLoopback && !hasKeys }

    func validateIdentity() throws(ConfigurationError) {
        if !isLoopback && !hasKeys {
            throw ConfigurationError("refusing to listen on \(host) without --api-key, --server-key or --admin-key: anyone could use the hub; give at least one key or listen on 127.0.0.1")
        }
        if secretKey == nil && (!isLoopback || sessions != "memory") {
            throw ConfigurationError("--secret-key is needed when the hub is not on loopback or shares sessions in Redis: every replica must sign and accept the same client secrets")
        }
        if let secretKey, secretKey.utf8.count < 16 {
            throw ConfigurationError("--secret-key must be at least 16 bytes (32 random bytes recommended)")
        }
        if let opsPort, !(0...65535).contains(opsPort) { throw ConfigurationError("--ops-port must be 0-65535") }
        if let opsPort, opsPort != 0, opsPort == port { throw ConfigurationError("--ops-port must differ from --port") }
        if keyMaxSessions < 0 { throw ConfigurationError("--key-max-sessions must be 0 (no limit) or more") }
        for (name, value) in [("--key-sessions-per-second", keySessionsPerSecond), ("--key-calls-per-minute", keyCallsPerMinute)]
        where !value.isFinite || value < 0 || value > 1_000_000 {
            throw ConfigurationError("\(name) must be 0 (no limit) or a positive number")
        }
        for origin in allowedOrigins where OriginPolicy.origin(of: origin) == nil {
            throw ConfigurationError("--allowed-origin must be an origin like https://app.example.com (got '\(origin.prefix(100))')")
        }
    }
}
