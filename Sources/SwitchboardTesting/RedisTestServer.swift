import Foundation
import SwitchboardRedis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real redis-server started by a test, on a free port of the loopback, without persistence
/// (`--save "" --appendonly no`). It can be killed and started again on the same port to play
/// "Redis lost mid-session". `withRedisServer` always terminates it.
///
/// The tests need `/usr/bin/redis-server` (Debian `redis-server`; `REDIS_SERVER` names another
/// binary): without it they fail, they do not skip.
public actor RedisTestServer {
    public static let executable = ProcessInfo.processInfo.environment["REDIS_SERVER"] ?? "/usr/bin/redis-server"

    public nonisolated let port: Int
    private let extraArguments: [String]
    private let logFile: URL
    private var process: Process?

    private init(port: Int, extraArguments: [String]) {
        self.port = port
        self.extraArguments = extraArguments
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-redis-\(port)-\(UUID().uuidString).log")
    }

    /// Starts a server on a free port (trying another port if the chosen one was taken meanwhile).
    public static func start(extraArguments: [String] = []) async throws -> RedisTestServer {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw RedisTestSetupError(
                "redis-server not found at \(executable): the Redis tests need a real server. Install it "
                    + "(apt-get install redis-server) or set REDIS_SERVER to its path.")
        }
        var lastError: (any Error)?
        for _ in 0..<5 {
            let server = RedisTestServer(port: try Sockets.freePort(), extraArguments: extraArguments)
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
            }
        }
        throw lastError ?? RedisTestSetupError("redis-server did not start")
    }

    /// A client configuration for this server, with short timeouts for tests.
    public nonisolated func configuration(password: String? = nil, database: Int = 0) -> RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, password: password, database: database,
                           connectTimeout: .seconds(1), commandTimeout: .seconds(2), poolSize: 4,
                           reconnectBackoff: .milliseconds(20), maxReconnectBackoff: .milliseconds(200))
    }

    /// Kills the server at once (`SIGKILL`), as a crash would, and waits for it to be gone.
    public func kill() async {
        guard let process, process.isRunning else { return }
        _ = sendSignal(process.processIdentifier, SIGKILL)
        await waitForExit(process)
        self.process = nil
    }

    /// Starts the server again on the same port, empty (nothing is persisted).
    public func restart() async throws {
        await kill()
        try await launch()
    }

    /// Stops the server and removes its log. `SIGKILL`, because a child spawned by `Process` from
    /// a Swift concurrency thread inherits that thread's signal mask, where `SIGTERM` is blocked;
    /// nothing is persisted, so nothing is lost.
    public func stop() async {
        await kill()
        try? FileManager.default.removeItem(at: logFile)
    }

    private func launch() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning", "--logfile", logFile.path,
        ] + extraArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning { break }
            if Sockets.answersPing(port: port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        await stop()
        throw RedisTestSetupError("redis-server did not answer PING on port \(port) within 30 s. Its log:\n\(log)")
    }

    /// Waits (at most 5 s) for the process to be gone. Bounded, because a cancelled task's
    /// sleeps return at once.
    private func waitForExit(_ process: Process) async {
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

public struct RedisTestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh redis-server, stopped afterwards whatever happens.
public func withRedisServer<Result: Sendable>(
    extraArguments: [String] = [], _ body: (RedisTestServer) async throws -> Result
) async throws -> Result {
    let server = try await RedisTestServer.start(extraArguments: extraArguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}


/// `kill(2)`, named so it does not clash with `RedisTestServer.kill()`.
private func sendSignal(_ pid: Int32, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}
