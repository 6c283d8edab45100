import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A real PostgreSQL server started by the tests: `initdb` into a temporary directory, then
/// `postgres` on a free port of the loopback with its unix socket in that directory; `stop` and
/// `startAgain` play "the database went down and came back", `destroy` stops it and deletes
/// the directory. PostgreSQL refuses to run as root, so as root the server binaries run as the
/// `postgres` user (`runuser`) in a directory that user owns.
///
/// The server runs as a child of the test process rather than through `pg_ctl start`:
/// Foundation's `Process` on Linux notices an exit only when every process that inherited its
/// descriptors has gone, which a daemon started by `pg_ctl` never does.
///
/// The tests need the server binaries (Debian `postgresql`: `/usr/lib/postgresql/VERSION/bin`;
/// `POSTGRES_BIN_DIR` names another directory): without them they fail, they do not skip.
actor PostgresTestServer {
    /// The superuser `initdb` creates, who signs in with a password over TCP.
    static let user = "switchboard"
    static let password = "s3cret:p@ss/word"

    /// The server every test of the suite shares (set by the `.postgresServer` trait).
    @TaskLocal static var shared: PostgresTestServer?

    /// The server of the running suite.
    static func current() throws -> PostgresTestServer {
        guard let shared else { throw PostgresTestSetupError("no PostgreSQL server: the suite needs the .postgresServer trait") }
        return shared
    }

    nonisolated let root: URL
    nonisolated let port: Int
    private nonisolated let binaries: URL
    private var process: Process?
    private nonisolated var dataDirectory: URL { root.appendingPathComponent("data") }
    private nonisolated var logFile: URL { root.appendingPathComponent("server.log") }

    private init(root: URL, port: Int, binaries: URL) {
        self.root = root
        self.port = port
        self.binaries = binaries
    }

    /// Creates a cluster in a new temporary directory and starts it on a free port.
    static func start() async throws -> PostgresTestServer {
        let binaries = try binaryDirectory()
        let base = geteuid() == 0 ? URL(fileURLWithPath: "/tmp") : FileManager.default.temporaryDirectory
        let root = base.appendingPathComponent("switchboard-pg-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        do {
            let passwordFile = root.appendingPathComponent("password")
            try Data(password.utf8).write(to: passwordFile)
            try handOver(root)
            try handOver(passwordFile)
            try await run(binaries.appendingPathComponent("initdb").path, [
                "-D", root.appendingPathComponent("data").path, "-U", user, "--pwfile", passwordFile.path,
                "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync",
            ], asServerUser: geteuid() == 0, in: root)
            var lastError: (any Error)?
            for _ in 0..<3 {
                let server = PostgresTestServer(root: root, port: try freePort(), binaries: binaries)
                do {
                    try await server.startAgain()
                    return server
                } catch {
                    lastError = error
                }
            }
            throw lastError ?? PostgresTestSetupError("PostgreSQL did not start")
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw error
        }
    }

    /// `postgres://` URL of `database` on this server, with the user and (percent-encoded) password.
    nonisolated func url(database: String, password: String = PostgresTestServer.password) -> String {
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "postgres://\(Self.user):\(encoded)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Creates an empty database of its own and returns its URL.
    nonisolated func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await Self.run(binaries.appendingPathComponent("createdb").path,
                           ["-h", root.path, "-p", String(port), "-U", Self.user, name], asServerUser: false, in: root)
        return url(database: name)
    }

    /// Starts the (stopped) server on its port and waits until it accepts connections.
    func startAgain() async throws {
        guard process == nil else { return }
        let server = binaries.appendingPathComponent("postgres").path
        let arguments = [
            "-D", dataDirectory.path, "-p", String(port), "-k", root.path, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
        ]
        let process = Process()
        if geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: try Self.runuser())
            process.arguments = ["-u", "postgres", "--", server] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: server)
            process.arguments = arguments
        }
        process.currentDirectoryURL = root
        if !FileManager.default.fileExists(atPath: logFile.path) {
            FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        try log.seekToEnd()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if (try? await Self.run(binaries.appendingPathComponent("pg_isready").path,
                                    ["-q", "-h", root.path, "-p", String(port)], asServerUser: false, in: root)) != nil {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        try? await stop()
        throw PostgresTestSetupError("PostgreSQL did not accept connections on port \(port) within 30 s. Its log:\n\(text.suffix(2000))")
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits until it is gone.
    func stop() async throws {
        guard let process else { return }
        self.process = nil
        // The postmaster's pid is the first line of postmaster.pid (as root, runuser is between).
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        let postmaster = (try? String(contentsOf: pidFile, encoding: .utf8))?.split(separator: "\n").first.flatMap { Int32($0) }
        _ = kill(postmaster ?? process.processIdentifier, SIGINT)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                _ = kill(postmaster ?? process.processIdentifier, SIGQUIT)
                throw PostgresTestSetupError("PostgreSQL did not stop within 30 s")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the server if it runs and deletes its directory.
    func destroy() async {
        try? await stop()
        try? FileManager.default.removeItem(at: root)
    }

    // MARK: Running the binaries

    /// The directory of `initdb` and `pg_ctl`: `POSTGRES_BIN_DIR`, or the newest
    /// `/usr/lib/postgresql/VERSION/bin`.
    private static func binaryDirectory() throws -> URL {
        let hint = "the PostgreSQL tests need a real server: install it (apt-get install postgresql) or set POSTGRES_BIN_DIR"
        if let directory = ProcessInfo.processInfo.environment["POSTGRES_BIN_DIR"] {
            let url = URL(fileURLWithPath: directory)
            guard FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("initdb").path) else {
                throw PostgresTestSetupError("POSTGRES_BIN_DIR=\(directory) has no initdb; \(hint)")
            }
            return url
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted {
            (Int($0) ?? 0, $0) > (Int($1) ?? 0, $1)
        }
        for version in versions {
            let url = URL(fileURLWithPath: base).appendingPathComponent(version).appendingPathComponent("bin")
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("initdb").path)
                && FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("pg_ctl").path) {
                return url
            }
        }
        throw PostgresTestSetupError("no PostgreSQL server binaries (initdb, pg_ctl) under \(base)/*/bin; \(hint)")
    }

    /// `runuser`, to run the server binaries as `postgres` when this process is root.
    private static func runuser() throws -> String {
        guard let path = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { throw PostgresTestSetupError("running as root, but runuser is missing to run PostgreSQL as postgres") }
        return path
    }

    /// Runs a short-lived `executable` in `directory`, its output to a file there; throws with
    /// that output when it exits with a failure. (Never for a command that leaves a daemon: see
    /// the type's note.)
    private static func run(_ executable: String, _ arguments: [String], asServerUser: Bool, in directory: URL) async throws {
        let process = Process()
        if asServerUser {
            process.executableURL = URL(fileURLWithPath: try runuser())
            process.arguments = ["-u", "postgres", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        let output = directory.appendingPathComponent("command-\(UUID().uuidString.prefix(8)).out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: PostgresTestSetupError("cannot run \(executable): \(error)"))
            }
        }
        guard status == 0 else {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            let command = ([executable] + arguments).joined(separator: " ")
            throw PostgresTestSetupError("\(command) exited with \(status):\n\(text.suffix(2000))")
        }
    }

    /// Gives `url` to the `postgres` user when this process is root (the server must own its
    /// directory).
    private static func handOver(_ url: URL) throws {
        guard geteuid() == 0 else { return }
        guard let account = getpwnam("postgres") else {
            throw PostgresTestSetupError("running as root, but there is no postgres user to run the server as")
        }
        guard chown(url.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
            throw PostgresTestSetupError("cannot give \(url.path) to postgres: errno \(errno)")
        }
    }

    /// A TCP port nobody listens on right now: bind port 0 on the loopback, read it, close.
    static func freePort() throws -> Int {
        #if canImport(Darwin)
        let socketType = SOCK_STREAM
        #else
        let socketType = Int32(SOCK_STREAM.rawValue)
        #endif
        let descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw PostgresTestSetupError("socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw PostgresTestSetupError("bind() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The test server could not be set up: a failure of the environment, reported as such.
struct PostgresTestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Starts one PostgreSQL server for a suite (its tests reach it as `PostgresTestServer.current()`)
/// and deletes it afterwards.
struct PostgresSuiteServer: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await PostgresTestServer.start()
        do {
            try await PostgresTestServer.$shared.withValue(server) { try await function() }
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }
}

/// The engines the pack database suites run on, alike.
enum PackEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}
