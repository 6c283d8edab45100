import SwitchboardRedis
import SwitchboardTesting
import Testing

@Suite("RedisConfiguration")
struct RedisConfigurationTests {
    @Test("a bare URL takes the defaults")
    func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal")
        #expect(configuration.host == "cache.internal" && configuration.port == 6379)
        #expect(configuration.password == nil && configuration.username == nil && configuration.database == 0)
        #expect(configuration.connectTimeout == .seconds(1) && configuration.poolSize == 4)
    }

    @Test("password, port and database")
    func full() throws {
        let configuration = try RedisConfiguration(url: "redis://:s%40cret@10.0.0.5:6380/3")
        #expect(configuration.host == "10.0.0.5" && configuration.port == 6380)
        #expect(configuration.password == "s@cret" && configuration.username == nil && configuration.database == 3)
    }

    @Test("user and password; IPv6 host")
    func userAndIPv6() throws {
        let configuration = try RedisConfiguration(url: "redis://hub:pw@[::1]:7000")
        #expect(configuration.username == "hub" && configuration.password == "pw")
        #expect(configuration.host == "::1" && configuration.port == 7000 && configuration.endpoint == "[::1]:7000")
    }

    @Test("bad URLs are refused with a reason, without showing the password",
          arguments: ["http://localhost", "redis://", "redis://localhost/zero", "redis://:secret@localhost:99999"])
    func invalid(url: String) {
        let error = #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error.map { "\($0)" }?.contains("invalid Redis URL") == true)
        #expect(error.map { "\($0)" }?.contains("secret") == false)
    }
}

@Suite("RedisScript")
struct RedisScriptTests {
    @Test("names scripts by their SHA-1")
    func sha1() {
        #expect(RedisScript("abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(RedisScript("").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(RedisScript(String(repeating: "a", count: 1000)).sha1 == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }
}

@Suite("RedisClient", .timeLimit(.minutes(1)))
struct RedisClientTests {
    @Test("replies are typed and arguments binary-safe")
    func typedReplies() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
                #expect(try await client.command([Array("SET".utf8), Array("bin".utf8), binary]) == .status("OK"))
                #expect(try await client.command([Array("GET".utf8), Array("bin".utf8)]) == .bytes(binary))
                #expect(try await client.command("GET", "missing") == .null)
                #expect(try await client.command("INCR", "counter") == .integer(1))
                _ = try await client.command("RPUSH", "list", "a", "b")
                #expect(try await client.command("LRANGE", "list", "0", "-1") == .array([.bytes(Array("a".utf8)), .bytes(Array("b".utf8))]))
                let error = await #expect(throws: RedisError.self) { try await client.command("INCR", "list") }
                #expect(error?.serverMessage?.hasPrefix("WRONGTYPE") == true)
                #expect(error?.isConnectionFailure == false)
                try await client.ping()
            }
        }
    }

    @Test("scripts run by SHA-1, and again after SCRIPT FLUSH")
    func scripts() async throws {
        try await withRedisServer { server in
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let script = RedisScript("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}")
                #expect(try await client.command("SCRIPT", "LOAD", script.source).string == script.sha1)
                let expected = RedisValue.array([.bytes(Array("k".utf8)), .bytes(Array("v".utf8)), .integer(42)])
                #expect(try await client.evaluate(script, keys: ["k"], arguments: [Array("v".utf8), Array("41".utf8)]) == expected)
                _ = try await client.command("SCRIPT", "FLUSH")
                #expect(try await client.evaluate(script, keys: ["k"], arguments: [Array("v".utf8), Array("41".utf8)]) == expected)
                #expect(try await client.command("SCRIPT", "EXISTS", script.sha1) == .array([.integer(1)]), "EVAL cached it again")
                let error = await #expect(throws: RedisError.self) {
                    try await client.evaluate(RedisScript("return redis.call('NOPE')"), keys: [], arguments: [])
                }
                #expect(error?.serverMessage != nil)
            }
        }
    }

    @Test("AUTH and SELECT on connect, from a URL")
    func authAndSelect() async throws {
        try await withRedisServer(extraArguments: ["--requirepass", "s3cret"]) { server in
            let url = "redis://:s3cret@127.0.0.1:\(server.port)/3"
            try await withRedisClient(try RedisConfiguration(url: url), logger: quietLogger) { client in
                _ = try await client.command("SET", "where", "db3")
            }
            try await withRedisClient(server.configuration(password: "s3cret"), logger: quietLogger) { client in
                #expect(try await client.command("GET", "where") == .null, "database 0 is untouched")
                _ = try await client.command("SELECT", "3")
                #expect(try await client.command("GET", "where").string == "db3")
            }
            try await withRedisClient(server.configuration(password: "wrong"), logger: quietLogger) { client in
                let error = await #expect(throws: RedisError.self) { try await client.ping() }
                #expect(error?.serverMessage?.hasPrefix("WRONGPASS") == true, "got \(String(describing: error))")
            }
            try await withRedisClient(server.configuration(), logger: quietLogger) { client in
                let error = await #expect(throws: RedisError.self) { try await client.ping() }
                #expect(error?.serverMessage?.hasPrefix("NOAUTH") == true, "got \(String(describing: error))")
            }
        }
    }

    @Test("the pool never opens more connections than its size")
    func poolBound() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration()
            configuration.poolSize = 2
            try await withRedisClient(configuration, logger: quietLogger) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<50 {
                        group.addTask { _ = try await client.command("SET", "k\(index)", "v") }
                    }
                    try await group.waitForAll()
                }
                let info = try #require(try await client.command("INFO", "clients").string)
                let line = try #require(info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("connected_clients:") })
                #expect(Int(line.dropFirst("connected_clients:".count)) ?? 0 <= 2, "\(line)")
            }
        }
    }

    @Test("commands after shutdown throw")
    func afterShutdown() async throws {
        try await withRedisServer { server in
            let client = RedisClient(configuration: server.configuration(), logger: quietLogger)
            try await client.ping()
            try await client.shutdown()
            let error = await #expect(throws: RedisError.self) { try await client.ping() }
            #expect(error?.isConnectionFailure == true)
            try await client.shutdown()  // twice is fine
        }
    }

    @Test("subscriptions receive what is published, and end with the client")
    func publishSubscribe() async throws {
        try await withRedisServer { server in
            let client = RedisClient(configuration: server.configuration(), logger: quietLogger)
            let messages = Collector(await client.subscribe(to: "news"))
            #expect(try await client.command("PUBLISH", "news", "hello") == .integer(1), "subscribed before returning")
            #expect(await eventually { messages.values == ["hello"] })
            messages.cancel()
            #expect(await eventually { (try? await client.command("PUBLISH", "news", "again")) == .integer(0) },
                    "cancelled streams unsubscribe")
            let late = await client.subscribe(to: "news")
            try await client.shutdown()
            var iterator = late.makeAsyncIterator()
            #expect(await iterator.next() == nil, "streams finish on shutdown")
        }
    }
}
