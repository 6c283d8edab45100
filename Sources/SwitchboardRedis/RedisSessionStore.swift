import Logging
import SwitchboardCore

/// Session state, leases and takeover notices in Redis, shared by every replica.
///
/// Keys, with `prefix` = `Configuration.keyPrefix`:
/// - `<prefix>session:<key>`: the state as JSON (ISO 8601 dates), expiring `timeToLive` after the
///   last save;
/// - `<prefix>lease:<key>`: the current lease, a hash of `owner` and `token`, expiring with the lease;
/// - `<prefix>fence:<key>`: the newest fencing token (`INCR`), kept as long as the state (or the
///   lease, if longer) and refreshed by every acquisition, renewal and fenced save.
///
/// Takeover notices are published on `<prefix>takeover:<owner>` with the session key as the message.
///
/// Every write is one Lua script, so it is atomic; refusals throw `SessionStoreError` as the
/// memory store does, and Redis failures throw `RedisError` (quickly while Redis is down: see
/// `RedisClient`). Multi-key scripts need every key of a session on one server: Redis Cluster is
/// not supported (Sentinel or a single primary is).
///
/// Durability is Redis' own: with persistence off, a Redis restart forgets every session; the
/// store then starts afresh and restores fencing tokens from the owners' next writes.
public struct RedisSessionStore: SessionStore {
    /// How the store names and keeps its keys.
    public struct Configuration: Sendable, Equatable {
        /// Prepended to every key and channel, to share one Redis between deployments.
        public var keyPrefix: String
        /// How long a session's state is kept after its last save.
        public var timeToLive: Duration

        public init(keyPrefix: String = "switchboard:", timeToLive: Duration = .seconds(24 * 3600)) {
            self.keyPrefix = keyPrefix
            self.timeToLive = timeToLive
        }
    }

    /// The client the store talks through; whoever made it shuts it down.
    public let client: RedisClient
    public let configuration: Configuration
    private let logger: Logger

    public init(client: RedisClient, configuration: Configuration = Configuration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Checks that Redis answers: for readiness probes.
    public func ping() async throws {
        try await client.ping()
    }

    public func load(_ key: String) async throws -> SessionState? {
        switch try await client.command([Array("GET".utf8), Array(stateKey(key).utf8)]) {
        case .null:
            return nil
        case .bytes(let json):
            do {
                return try SessionStateCoding.decode(json)
            } catch {
                throw RedisError(.unexpectedReply("the stored session state cannot be read: \(error)"),
                                 endpoint: client.configuration.endpoint)
            }
        case let other:
            throw unexpected("GET", other)
        }
    }

    public func save(_ state: SessionState, fence: SessionLease?) async throws {
        if let fence { precondition(fence.key == state.key, "a save must be fenced with a lease on the same key") }
        let json = try SessionStateCoding.encode(state)
        let reply = try await client.evaluate(
            Scripts.save, keys: [stateKey(state.key), tokenKey(state.key)],
            arguments: [
                text(state.version), json, text(configuration.timeToLive.wholeMilliseconds),
                fence.map { text($0.token) } ?? [], text(tokenTimeToLive(fence?.ttl).wholeMilliseconds),
            ])
        guard let parts = reply.array, parts.count == 2, let outcome = parts[0].string else { throw unexpected("save", reply) }
        switch (outcome, parts[1].integer) {
        case ("saved", _):
            return
        case ("version", let stored?):
            throw SessionStoreError.versionConflict(stored: Int(stored), attempted: state.version)
        case ("fence", let newest?):
            throw SessionStoreError.staleFence(current: Int(newest), attempted: fence?.token ?? 0)
        default:
            throw unexpected("save", reply)
        }
    }

    public func delete(_ key: String) async throws {
        _ = try await client.command([Array("DEL".utf8), Array(stateKey(key).utf8)])
    }

    public func acquireLease(key: String, owner: String, ttl: Duration) async throws -> SessionLease {
        precondition(ttl > .zero, "a lease needs a positive time to live")
        let reply = try await client.evaluate(
            Scripts.acquire, keys: [leaseKey(key), tokenKey(key)],
            arguments: [
                Array(owner.utf8), text(ttl.wholeMilliseconds), text(tokenTimeToLive(ttl).wholeMilliseconds),
                Array(channelPrefix.utf8), Array(key.utf8),
            ])
        guard let parts = reply.array, parts.count >= 1, let token = parts[0].integer else { throw unexpected("acquire", reply) }
        let previous = parts.count > 1 ? parts[1].string : nil
        let listeners = parts.count > 2 ? (parts[2].integer ?? 0) : 0
        return SessionLease(key: key, owner: owner, token: Int(token), previousOwner: previous, ttl: ttl,
                            previousOwnerNotified: listeners > 0)
    }

    public func renewLease(_ lease: SessionLease) async throws {
        let reply = try await client.evaluate(
            Scripts.renew, keys: [leaseKey(lease.key), tokenKey(lease.key)],
            arguments: [
                Array(lease.owner.utf8), text(lease.token), text(lease.ttl.wholeMilliseconds),
                text(tokenTimeToLive(lease.ttl).wholeMilliseconds),
            ])
        guard let parts = reply.array, parts.count >= 1, let outcome = parts[0].string else { throw unexpected("renew", reply) }
        switch outcome {
        case "renewed": return
        case "lost": throw SessionStoreError.leaseLost(holder: parts.count > 1 ? parts[1].string : nil)
        default: throw unexpected("renew", reply)
        }
    }

    @discardableResult
    public func releaseLease(_ lease: SessionLease) async throws -> Bool {
        let reply = try await client.evaluate(
            Scripts.release, keys: [leaseKey(lease.key)], arguments: [Array(lease.owner.utf8), text(lease.token)])
        guard let released = reply.integer else { throw unexpected("release", reply) }
        return released == 1
    }

    public func takeovers(owner: String) async -> AsyncStream<String> {
        await client.subscribe(to: channelPrefix + owner)
    }

    // MARK: Names

    func stateKey(_ key: String) -> String { configuration.keyPrefix + "session:" + key }
    func leaseKey(_ key: String) -> String { configuration.keyPrefix + "lease:" + key }
    func tokenKey(_ key: String) -> String { configuration.keyPrefix + "fence:" + key }
    var channelPrefix: String { configuration.keyPrefix + "takeover:" }

    /// Tokens outlive both the state and the lease, so a returning stale owner is still fenced out.
    private func tokenTimeToLive(_ leaseTTL: Duration?) -> Duration {
        max(configuration.timeToLive, leaseTTL ?? .zero)
    }

    private func text(_ number: some BinaryInteger) -> [UInt8] { Array(String(number).utf8) }

    private func unexpected(_ what: String, _ reply: RedisValue) -> RedisError {
        RedisError(.unexpectedReply("\(what) answered \(reply)"), endpoint: client.configuration.endpoint)
    }
}
