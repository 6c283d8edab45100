import Foundation
import SwitchboardCore
import SwitchboardRedis
import SwitchboardTesting
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What only the Redis store has to show: its keys and format, and how it lives through Redis
/// being down, killed and restarted.
@Suite("RedisSessionStore", .timeLimit(.minutes(1)))
struct RedisSessionStoreTests {
    @Test("state is JSON with ISO dates under <prefix>session:<key>, with its time to live")
    func storedFormat() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(client: client, configuration: .init(timeToLive: .seconds(600)), logger: quietLogger)
                let key = "+15551234567"
                let started = ContinuousClock.now
                let lease = try await store.acquireLease(key: key, owner: "replica-a/1", ttl: .seconds(30))
                try await store.save(sampleState(key: key, version: 1), fence: lease)

                let raw = try #require(try await client.command("GET", "switchboard:session:\(key)").string)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
                #expect(json["version"] as? Int == 1)
                #expect(json["key"] as? String == key)
                let created = try #require(json["createdAt"] as? String)
                #expect(created.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "got \(created)")

                let ttl = try #require(try await client.command("PTTL", "switchboard:session:\(key)").integer)
                // What is left is the whole time to live less the time since (the machine may be busy).
                let elapsed = { Int64((ContinuousClock.now - started).components.seconds * 1000) + 1000 }
                #expect(ttl > 600_000 - elapsed() && ttl <= 600_000)
                let holder = try await client.command("HGET", "switchboard:lease:\(key)", "owner")
                #expect(holder.string == "replica-a/1")
                let leaseTTL = try #require(try await client.command("PTTL", "switchboard:lease:\(key)").integer)
                #expect(leaseTTL > 30_000 - elapsed() && leaseTTL <= 30_000)
                #expect(try await client.command("GET", "switchboard:fence:\(key)").integer == Int64(lease.token))
                let tokenTTL = try #require(try await client.command("PTTL", "switchboard:fence:\(key)").integer)
                #expect(tokenTTL > 600_000 - elapsed(), "tokens outlive the state's time to live")
            }
        }
    }

    @Test("scripts still run after Redis forgets them (NOSCRIPT falls back to EVAL)")
    func noScriptFallback() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(client: client, logger: quietLogger)
                let key = freshKey()
                try await store.save(sampleState(key: key, version: 1))
                #expect(try await client.command("SCRIPT", "FLUSH") == .status("OK"))
                try await store.save(sampleState(key: key, version: 2))
                #expect(try await store.load(key)?.version == 2)
            }
        }
    }

    @Test("Redis down at start: a clear error within the connect timeout, then quick failures while backing off")
    func downAtStart() async throws {
        let port = try Sockets.freePort()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(1),
                                               reconnectBackoff: .seconds(5), maxReconnectBackoff: .seconds(5))
        try await withRedisClient(configuration, logger: quietLogger) { client in
            let store = RedisSessionStore(client: client, logger: quietLogger)
            let error = await #expect(throws: RedisError.self) { try await store.load("k") }
            #expect(error?.isConnectionRefused == true)
            #expect(error?.isConnectionFailure == true)
            #expect(error.map { "\($0)" } == "Redis 127.0.0.1:\(port): connection refused (is redis-server running?)")

            // No new attempt during the backoff: the error says when the next one is due.
            let backingOff = await #expect(throws: RedisError.self) { try await store.ping() }
            #expect(backingOff?.isConnectionRefused == true && backingOff?.retryIn != nil)
            #expect(backingOff.map { "\($0)" }?.contains("next connection attempt in") == true)
        }
    }

    @Test("a server that never answers: a timeout error within the command timeout")
    func unresponsiveServer() async throws {
        let (socket, port) = try Sockets.silentListener()
        defer { close(socket) }
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(1),
                                               commandTimeout: .milliseconds(300))
        try await withRedisClient(configuration, logger: quietLogger) { client in
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await client.ping() }
            #expect(ContinuousClock.now - started < .seconds(20), "a server that never answers times out (300 ms) instead of hanging")
            #expect(error?.isTimeout == true, "got \(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains("command timed out after 300 ms") == true)
        }
    }

    @Test("Redis killed mid-session: operations fail fast, then the client reconnects when it is back")
    func killedAndRestarted() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(client: client, logger: quietLogger)
                let key = freshKey()
                let notices = Collector(await store.takeovers(owner: "old"))
                let lease = try await store.acquireLease(key: key, owner: "old", ttl: .seconds(30))
                try await store.save(sampleState(key: key, version: 1), fence: lease)

                await server.kill()
                let started = ContinuousClock.now
                let error = await #expect(throws: RedisError.self) {
                    try await store.save(sampleState(key: key, version: 2), fence: lease)
                }
                #expect(error?.isConnectionFailure == true, "got \(String(describing: error))")
                #expect(ContinuousClock.now - started < .seconds(8))

                try await server.restart()
                // The same connections, pooled and subscribed, must notice and reconnect.
                let recovered = await eventually(within: .seconds(5)) {
                    (try? await store.save(sampleState(key: key, version: 2), fence: lease)) != nil
                }
                #expect(recovered, "a save succeeds once Redis is back")
                // Started without persistence, Redis forgot everything; the fenced save above
                // restored the token counter from the lease, so the next owner still gets a newer token.
                #expect(try await store.load(key)?.version == 2)
                let taker = try await store.acquireLease(key: key, owner: "new", ttl: .seconds(30))
                #expect(taker.token > lease.token)
                await #expect(throws: SessionStoreError.staleFence(current: taker.token, attempted: lease.token)) {
                    try await store.save(sampleState(key: key, version: 3), fence: lease)
                }
                // The subscriber reconnected and subscribed again: the takeover reaches the old owner.
                let told = await eventually(within: .seconds(5)) {
                    if notices.values.contains(key) { return true }
                    _ = try? await store.acquireLease(key: key, owner: "old", ttl: .seconds(30))
                    _ = try? await store.acquireLease(key: key, owner: "new", ttl: .seconds(30))
                    return false
                }
                #expect(told, "takeover notices flow again after the restart")
                notices.cancel()
            }
        }
    }

    @Test("readiness: ping answers while Redis is up and throws while it is down")
    func readiness() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let store = RedisSessionStore(client: client, logger: quietLogger)
                try await store.ping()
                await server.kill()
                await #expect(throws: RedisError.self) { try await store.ping() }
                try await server.restart()
                #expect(await eventually(within: .seconds(5)) { (try? await store.ping()) != nil })
            }
        }
    }
}
