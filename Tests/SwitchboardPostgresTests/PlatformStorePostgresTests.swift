import Foundation
import Logging
import PostgresNIO
import SwitchboardData
import SwitchboardPlatform
import SwitchboardPostgres
import SwitchboardTesting
import Testing

/// The platform store on PostgreSQL: the checks every platform store passes
/// (`PlatformStoreConformance`, also run on memory and SQLite in SwitchboardPlatformTests), the
/// same answers as the SQLite store to the same writes, its migrations, and replicas sharing it.
/// Each test gets a new database.
@Suite("Platform store: PostgreSQL", PostgresSuiteServer())
struct PlatformStorePostgresTests {
    static let options = PostgresBusinessData.Options(connectionTimeout: .seconds(10), maximumConnections: 4)
    static let logger = Logger(label: "switchboard.platform.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func connect(_ url: String) async throws -> PostgresPlatformStore {
        try await PostgresPlatformStore.connect(url: url, options: options, logger: logger)
    }

    /// Runs `body` on a connection of a pool of its own to `url`, past the store.
    static func withDatabase<T: Sendable>(_ url: String, _ body: @escaping @Sendable (BusinessConnection) async throws -> T) async throws -> T {
        let pool = BusinessConnectionPool.start(location: try PostgresURL(parsing: url), options: options, logger: logger)
        do {
            let value = try await pool.withConnection(body)
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    /// The migrations recorded, and how many rows `config_version` has.
    static func bookkeeping(_ url: String) async throws -> (migrations: [Int], versionRows: Int) {
        try await withDatabase(url) { connection in
            let migrations = try await connection.rows("SELECT version FROM switchboard_platform.schema_migrations ORDER BY version") {
                (row) throws(DataError) in try row.next(Int.self)
            }
            let rows = try await connection.rows("SELECT count(*) FROM switchboard_platform.config_version") { (row) throws(DataError) in
                try row.next(Int.self)
            }
            return (migrations, rows.first ?? -1)
        }
    }

    @Test("everything the memory and SQLite stores do")
    func conformance() async throws {
        let store = try await Self.connect(try await PostgresTestServer.current().createDatabase())
        do {
            try await PlatformStoreConformance.everything(store)
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

    @Test("kept across reconnecting, migrated once")
    func reconnecting() async throws {
        let url = try await PostgresTestServer.current().createDatabase()
        let store = try await Self.connect(url)
        try await PlatformStoreConformance.everything(store)
        let kept = Tenant(name: "Kept", packs: ["travel"], defaultAgent: "concierge", limits: TenantLimits(monthlySpend: 120.5))
        try await store.createTenant(kept)
        let version = try await store.version()
        await store.shutdown()
        let again = try await Self.connect(url)
        #expect(try await again.tenant(id: kept.id) == kept)
        #expect(try await again.version() == version, "reconnecting migrates nothing twice and writes nothing")
        await again.shutdown()
        let books = try await Self.bookkeeping(url)
        #expect(books.migrations == Array(1...PostgresPlatformStore.migrations.count))
        #expect(books.versionRows == 1)
    }

    @Test("six replicas connecting at once migrate once, and share what they write")
    func replicasConnectingTogether() async throws {
        let url = try await PostgresTestServer.current().createDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresPlatformStore.self) { group in
            for _ in 0..<6 { group.addTask { try await Self.connect(url) } }
            var stores: [PostgresPlatformStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        #expect(stores.count == 6)
        let books = try await Self.bookkeeping(url)
        #expect(books.migrations == Array(1...PostgresPlatformStore.migrations.count))
        #expect(books.versionRows == 1)
        #expect(try await stores[0].version() == 0)

        let tenant = Tenant(name: "Shared", packs: ["travel"], defaultAgent: "concierge")
        try await stores[0].createTenant(tenant)
        #expect(try await stores[5].tenant(id: tenant.id) == tenant)
        #expect(try await stores[5].version() == 1)
        for store in stores { await store.shutdown() }
    }

    @Test("replicas writing at once: each check holds until its write commits, and the version counts every write")
    func concurrentWrites() async throws {
        let url = try await PostgresTestServer.current().createDatabase()
        var stores: [PostgresPlatformStore] = []
        for _ in 0..<6 { stores.append(try await Self.connect(url)) }
        let replicas = stores
        do {
            // One name, six replicas: one gets it, the others are refused as the SQLite store refuses.
            let outcomes = await withTaskGroup(of: String.self) { group in
                for store in replicas {
                    group.addTask {
                        do {
                            try await store.createTenant(Tenant(name: "Race", packs: [], defaultAgent: "a"))
                            return "created"
                        } catch let error as PlatformError {
                            return "\(error.kind): \(error.message)"
                        } catch {
                            return "failed: \(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.sorted() == Array(repeating: "conflict: a tenant named Race exists already", count: 5) + ["created"])
            #expect(try await replicas[0].version() == 1, "refusals move nothing")
            let first = try await replicas[0].tenants().first
            let tenant = try #require(first)

            // Thirty numbers bound from six replicas at once: every write counts.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, store) in replicas.enumerated() {
                    group.addTask {
                        for number in 0..<5 {
                            try await store.bind(NumberBinding(number: "+1555010\(index)00\(number)", tenantID: tenant.id, agent: "a"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await replicas[3].numberCount() == 30)
            #expect(try await replicas[4].version() == 31)
        } catch {
            for store in stores { await store.shutdown() }
            throw error
        }
        for store in stores { await store.shutdown() }
    }

    @Test("a database migrated by a newer build is refused as corrupt")
    func newerSchema() async throws {
        let url = try await PostgresTestServer.current().createDatabase()
        await (try await Self.connect(url)).shutdown()
        try await Self.withDatabase(url) { connection in
            try await connection.execute("INSERT INTO switchboard_platform.schema_migrations (version, applied_at) VALUES (99, 0)")
        }
        let error = try await #require(throws: PlatformError.self) { try await Self.connect(url) }
        #expect(error.kind == .corrupt)
        #expect(error.message.contains("version 99"), "\(error.message)")
        #expect(!error.message.contains(PostgresTestServer.password))
    }

    @Test("a bad URL or a dead server is unavailable, and never shows the password")
    func unavailable() async throws {
        let bad = try await #require(throws: PlatformError.self) { try await Self.connect("postgres://nobody:hunter2@") }
        #expect(bad.kind == .unavailable)
        #expect(!bad.message.contains("hunter2"))
        let port = try PostgresTestServer.freePort()
        let quick = PostgresBusinessData.Options(connectionTimeout: .seconds(1), maximumConnections: 1)
        let dead = try await #require(throws: PlatformError.self) {
            try await PostgresPlatformStore.connect(url: "postgres://u:hunter2@127.0.0.1:\(port)/d?sslmode=disable", options: quick, logger: Self.logger)
        }
        #expect(dead.kind == .unavailable)
        #expect(!dead.message.contains("hunter2"))
    }

    @Test("the same writes get the same answers as from the SQLite store, lists in the same (byte) order")
    func sameAsSQLite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-platform-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sqlite = try await SQLitePlatformStore.open(path: SQLitePlatformStore.path(forDataPath: directory.appendingPathComponent("hub.sqlite").path))
        let expected = await Self.script(sqlite)
        await sqlite.shutdown()
        let postgres = try await Self.connect(try await PostgresTestServer.current().createDatabase())
        let got = await Self.script(postgres)
        await postgres.shutdown()

        #expect(got.count == expected.count)
        for (index, (line, sqliteLine)) in zip(got, expected).enumerated() {
            #expect(line == sqliteLine, "step \(index + 1)")
        }
        // Byte order, as SQLite's BINARY collation has it (not the database's locale).
        #expect(got.contains("tenants: ten_Z, ten_a, ten_b"))
        #expect(got.contains("secret names: B, _x, b, e, é"))
        #expect(got.contains("tools: B/y, a/Z, a/z, b/x"))
        #expect(got.contains("keys: key_A, key_b"))
    }

    @Test("text with a NUL is found nowhere, and a write of it is refused as invalid")
    func nulCharacters() async throws {
        let store = try await Self.connect(try await PostgresTestServer.current().createDatabase())
        do {
            let tenant = Tenant(id: "ten_a", name: "Acme", packs: ["travel"], defaultAgent: "concierge")
            try await store.createTenant(tenant)
            let version = try await store.version()
            #expect(try await store.tenant(id: "ten_a\u{0}x") == nil)
            #expect(try await store.binding(of: "+1555\u{0}") == nil)
            #expect(try await store.key(hash: "a\u{0}") == nil)
            #expect(try await store.secret(tenant: "ten_a", name: "x\u{0}") == nil)
            #expect(try await store.numbers(tenant: "ten_a\u{0}").isEmpty)
            let refusals: [@Sendable () async throws -> Void] = [
                { try await store.createTenant(Tenant(name: "Ac\u{0}me", packs: [], defaultAgent: "a")) },
                { try await store.bind(NumberBinding(number: "+1555\u{0}", tenantID: "ten_a", agent: "a")) },
                { try await store.setTool(ToolSetting(tenantID: "ten_a", agent: "a", tool: "t", enabled: true, settings: "{\"x\":\"\u{0}\"}")) },
                { try await store.setSecret(SealedSecret(tenantID: "ten_a", name: "n\u{0}", sealed: "v1:x", hint: "…x")) },
            ]
            for refusal in refusals {
                let error = try await #require(throws: PlatformError.self) { try await refusal() }
                #expect(error.kind == .invalid, "\(error.message)")
            }
            let missing = try await #require(throws: PlatformError.self) { try await store.deleteTenant(id: "ten_a\u{0}") }
            #expect(missing == PlatformError(.notFound, "no tenant ten_a\u{0}"))
            #expect(try await store.version() == version, "nothing was written")
            #expect(try await store.tenants() == [tenant])
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

    // MARK: The script both stores run

    /// What a store answers to a fixed run of writes and reads, one line a step: values, refusals
    /// (kind and message) and how far each step moved the version.
    static func script(_ store: any PlatformStore) async -> [String] {
        var transcript = Transcript(store: store)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000.5)
        let t1 = Date(timeIntervalSince1970: 1_790_000_100.25)
        let t2 = Date(timeIntervalSince1970: 1_790_000_200.75)

        // Tenants; three made at the same millisecond are ordered by id, bytewise.
        await transcript.write("create ten_b") { try await $0.createTenant(Tenant(id: "ten_b", name: "Bistro", packs: ["restaurant"], defaultAgent: "host", createdAt: t0)) }
        await transcript.write("create ten_a") {
            try await $0.createTenant(Tenant(id: "ten_a", name: "Acme", packs: ["travel", "shop"], defaultAgent: "concierge",
                                             limits: TenantLimits(concurrentCalls: 5), createdAt: t0))
        }
        await transcript.write("create ten_Z") { try await $0.createTenant(Tenant(id: "ten_Z", name: "Zed", packs: [], defaultAgent: "z", createdAt: t0)) }
        await transcript.write("create, name taken") { try await $0.createTenant(Tenant(id: "ten_c", name: "Acme", packs: [], defaultAgent: "x")) }
        await transcript.write("create, id taken") { try await $0.createTenant(Tenant(id: "ten_a", name: "Other", packs: [], defaultAgent: "x")) }
        await transcript.write("update to a name taken") { try await $0.updateTenant(Tenant(id: "ten_a", name: "Bistro", packs: [], defaultAgent: "x")) }
        await transcript.write("update a missing tenant") { try await $0.updateTenant(Tenant(id: "ten_missing", name: "Nobody", packs: [], defaultAgent: "x")) }
        await transcript.write("update ten_a") {
            try await $0.updateTenant(Tenant(id: "ten_a", name: "Acme Travel", packs: ["travel"], defaultAgent: "flight",
                                             limits: TenantLimits(concurrentCalls: 3, callsPerMinute: 30, monthlySpend: 120.5), createdAt: t2))
        }
        await transcript.read("tenant ten_a") { try await $0.tenant(id: "ten_a").map(describe) ?? "none" }
        await transcript.read("tenant ten_missing") { try await $0.tenant(id: "ten_missing").map(describe) ?? "none" }
        await transcript.read("tenants") { "tenants: " + (try await $0.tenants().map(\.id).joined(separator: ", ")) }

        // Numbers.
        for number in ["sip:desk@pbx.example.com", "+15550100002", "+15550100001"] {
            await transcript.write("bind \(number)") { try await $0.bind(NumberBinding(number: number, tenantID: "ten_a", agent: "flight", createdAt: t1)) }
        }
        await transcript.write("bind to ten_b") { try await $0.bind(NumberBinding(number: "+15550100003", tenantID: "ten_b", agent: "host", createdAt: t1)) }
        await transcript.write("bind a number taken") { try await $0.bind(NumberBinding(number: "+15550100001", tenantID: "ten_b", agent: "x")) }
        await transcript.write("bind to a missing tenant") { try await $0.bind(NumberBinding(number: "+15550100009", tenantID: "ten_missing", agent: "x")) }
        await transcript.write("unbind another's number") { try await $0.unbind("+15550100001", tenant: "ten_b") }
        await transcript.write("unbind a number nobody has") { try await $0.unbind("+15550100099", tenant: "ten_a") }
        await transcript.write("unbind the SIP address") { try await $0.unbind("sip:desk@pbx.example.com", tenant: "ten_a") }
        await transcript.read("numbers of ten_a") { (try await $0.numbers(tenant: "ten_a")).map(describe).joined(separator: "; ") }
        await transcript.read("binding") { try await $0.binding(of: "+15550100003").map(describe) ?? "none" }
        await transcript.read("number count") { "\(try await $0.numberCount())" }

        // Keys.
        let hashB = String(repeating: "b", count: 64), hashA = String(repeating: "a", count: 64)
        await transcript.write("add key_b") { try await $0.addKey(TenantKey(id: "key_b", tenantID: "ten_a", scope: .admin, hash: hashB, hint: "…bbbb", createdAt: t0)) }
        await transcript.write("add key_A") {
            try await $0.addKey(TenantKey(id: "key_A", tenantID: "ten_a", scope: .client, hash: hashA, hint: "…aaaa", createdAt: t0, revokedAt: t1))
        }
        await transcript.write("add a key, hash taken") { try await $0.addKey(TenantKey(id: "key_c", tenantID: "ten_b", scope: .server, hash: hashB, hint: "…bbbb")) }
        await transcript.write("add a key, id taken") {
            try await $0.addKey(TenantKey(id: "key_b", tenantID: "ten_a", scope: .server, hash: String(repeating: "c", count: 64), hint: "…cccc"))
        }
        await transcript.write("add a key to a missing tenant") {
            try await $0.addKey(TenantKey(id: "key_d", tenantID: "ten_missing", scope: .server, hash: String(repeating: "d", count: 64), hint: "…dddd"))
        }
        await transcript.write("revoke key_b") { try await $0.revokeKey(id: "key_b", tenant: "ten_a", at: t1) }
        await transcript.write("revoke key_b again") { try await $0.revokeKey(id: "key_b", tenant: "ten_a", at: t2) }
        await transcript.write("revoke another's key") { try await $0.revokeKey(id: "key_b", tenant: "ten_b", at: t2) }
        await transcript.read("keys of ten_a") { "keys: " + (try await $0.keys(tenant: "ten_a")).map(\.id).joined(separator: ", ") }
        await transcript.read("keys in full") { (try await $0.keys(tenant: "ten_a")).map(describe).joined(separator: "; ") }
        await transcript.read("key by hash") { try await $0.key(hash: hashB).map(describe) ?? "none" }
        await transcript.read("key by an unknown hash") { try await $0.key(hash: "e").map(describe) ?? "none" }

        // Tools.
        await transcript.write("set a tool of a missing tenant") { try await $0.setTool(ToolSetting(tenantID: "ten_missing", agent: "a", tool: "t", enabled: true)) }
        for (agent, tool) in [("b", "x"), ("B", "y"), ("a", "z"), ("a", "Z")] {
            await transcript.write("set \(agent)/\(tool)") {
                try await $0.setTool(ToolSetting(tenantID: "ten_a", agent: agent, tool: tool, enabled: true, settings: #"{"k":"v"}"#, updatedAt: t0))
            }
        }
        await transcript.write("set a/z again") {
            try await $0.setTool(ToolSetting(tenantID: "ten_a", agent: "a", tool: "z", enabled: false, settings: #"{"k":"w — ü"}"#, updatedAt: t1))
        }
        await transcript.read("tools of ten_a") { "tools: " + (try await $0.tools(tenant: "ten_a")).map { "\($0.agent)/\($0.tool)" }.joined(separator: ", ") }
        await transcript.read("tools in full") { (try await $0.tools(tenant: "ten_a")).map(describe).joined(separator: "; ") }
        await transcript.read("tools of ten_b") { (try await $0.tools(tenant: "ten_b")).map(describe).joined(separator: "; ") }

        // Secrets.
        await transcript.write("set a secret of a missing tenant") {
            try await $0.setSecret(SealedSecret(tenantID: "ten_missing", name: "n", sealed: "v1:x", hint: "…x"))
        }
        for name in ["b", "é", "B", "e", "_x"] {
            await transcript.write("set secret \(name)") { try await $0.setSecret(SealedSecret(tenantID: "ten_a", name: name, sealed: "v1:\(name)", hint: "…1", updatedAt: t0)) }
        }
        await transcript.write("set secret b again") { try await $0.setSecret(SealedSecret(tenantID: "ten_a", name: "b", sealed: "v1:new", hint: "…2", updatedAt: t1)) }
        await transcript.write("delete another's secret") { try await $0.deleteSecret(tenant: "ten_b", name: "b") }
        await transcript.write("delete secret e") { try await $0.deleteSecret(tenant: "ten_a", name: "e") }
        await transcript.read("secret names") {
            "secret names: " + (try await $0.secrets(tenant: "ten_a")).map(\.name).joined(separator: ", ")
        }
        await transcript.write("set secret e again") { try await $0.setSecret(SealedSecret(tenantID: "ten_a", name: "e", sealed: "v1:e", hint: "…1", updatedAt: t0)) }
        await transcript.read("secret names") { "secret names: " + (try await $0.secrets(tenant: "ten_a")).map(\.name).joined(separator: ", ") }
        await transcript.read("secrets in full") { (try await $0.secrets(tenant: "ten_a")).map(describe).joined(separator: "; ") }
        await transcript.read("secret b") { try await $0.secret(tenant: "ten_a", name: "b").map(describe) ?? "none" }
        await transcript.read("secret b of ten_b") { try await $0.secret(tenant: "ten_b", name: "b").map(describe) ?? "none" }

        // A tenant's end.
        await transcript.write("delete ten_a") { try await $0.deleteTenant(id: "ten_a") }
        await transcript.write("delete ten_a again") { try await $0.deleteTenant(id: "ten_a") }
        await transcript.read("after") {
            let tenants = try await $0.tenants().map(\.id), numbers = try await $0.numberCount(), keys = try await $0.keys(tenant: "ten_a").count
            let tools = try await $0.tools(tenant: "ten_a").count, secrets = try await $0.secrets(tenant: "ten_a").count
            let key = try await $0.key(hash: hashA) == nil ? "gone" : "kept"
            return "tenants \(tenants), numbers \(numbers), keys \(keys), tools \(tools), secrets \(secrets), key by hash \(key)"
        }
        return transcript.lines
    }

    struct Transcript {
        let store: any PlatformStore
        var lines: [String] = []

        mutating func write(_ step: String, _ body: (any PlatformStore) async throws -> Void) async {
            let before = try? await store.version()
            let outcome: String
            do {
                try await body(store)
                outcome = "done"
            } catch let error as PlatformError {
                outcome = "refused, \(error.kind): \(error.message)"
            } catch {
                outcome = "failed: \(error)"
            }
            let after = try? await store.version()
            let moved = before.flatMap { before in after.map { "\($0 - before)" } } ?? "?"
            lines.append("\(step): \(outcome) (version +\(moved))")
        }

        mutating func read(_ step: String, _ body: (any PlatformStore) async throws -> String) async {
            do {
                lines.append(try await body(store))
            } catch {
                lines.append("\(step): failed: \(error)")
            }
        }
    }

    static func milliseconds(_ date: Date) -> String { String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }

    static func describe(_ tenant: Tenant) -> String {
        "\(tenant.id) \(tenant.name) \(tenant.packs) \(tenant.defaultAgent) \(tenant.limits) \(milliseconds(tenant.createdAt))"
    }

    static func describe(_ binding: NumberBinding) -> String {
        "\(binding.number) \(binding.tenantID) \(binding.agent) \(milliseconds(binding.createdAt))"
    }

    static func describe(_ key: TenantKey) -> String {
        "\(key.id) \(key.tenantID) \(key.scope) \(key.hash.prefix(4)) \(key.hint) \(milliseconds(key.createdAt)) \(key.revokedAt.map(milliseconds) ?? "-")"
    }

    static func describe(_ setting: ToolSetting) -> String {
        "\(setting.tenantID) \(setting.agent) \(setting.tool) \(setting.enabled) \(setting.settings) \(milliseconds(setting.updatedAt))"
    }

    static func describe(_ secret: SealedSecret) -> String {
        "\(secret.tenantID) \(secret.name) \(secret.sealed) \(secret.hint) \(milliseconds(secret.updatedAt))"
    }
}
