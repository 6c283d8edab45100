import Foundation
import Hummingbird
import Logging
import NIOCore
import SwitchboardCore
import SwitchboardData
import SwitchboardServer
import SwitchboardTesting
import SwitchboardTools

/// The repository's root, for its `Personas/`.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func testConfiguration(_ adjust: (inout HubConfiguration) -> Void = { _ in }) -> HubConfiguration {
    var configuration = HubConfiguration()
    configuration.port = 0
    configuration.packsDirectory = repositoryRoot.appendingPathComponent("Personas").path
    configuration.webDirectory = repositoryRoot.appendingPathComponent("web-static").path
    configuration.data = "sqlite:" + FileManager.default.temporaryDirectory
        .appendingPathComponent("switchboard-test-\(UUID().uuidString)").appendingPathComponent("data.sqlite").path
    adjust(&configuration)
    return configuration
}

/// Opens the packs and data a test hub uses, to check what its tools wrote.
func openTestData(_ configuration: HubConfiguration) async throws -> HubPacks {
    try await HubPacks.open(configuration: configuration, logger: Logger(label: "test"))
}

extension HubPacks {
    /// The rows of `sql` (no parameters) in the default pack's data.
    func rows(_ sql: String) async throws -> [SQLRow] {
        let statement = try NamedStatement(sql)
        return try await main.database!.read { try await $0.rows(statement, [:]) }
    }
}

/// Runs the real hub on a free loopback port for the duration of `body`.
func withHub<T: Sendable>(
    _ configuration: HubConfiguration = testConfiguration(), model: (any RealtimeModel)? = nil, store: (any SessionStore)? = nil,
    packs: HubPacks? = nil, metrics: HubMetrics = HubMetrics(), _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    try await withApplication(body) { logger, onRunning in
        try await Hub.buildApplication(configuration: configuration, metrics: metrics, logger: logger, model: model, store: store,
                                       packs: packs, onServerRunning: onRunning)
    }
}

/// Runs `switchboard model-server` in-process on a free port for the duration of `body`.
func withModelServer<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
    try await withApplication(body) { logger, onRunning in
        try Hub.buildModelServer(configuration: testConfiguration(), logger: logger, onServerRunning: onRunning)
    }
}

/// Builds an application, runs it until `body` is done, and gives `body` its port.
private func withApplication<T: Sendable, App: ApplicationProtocol>(
    _ body: @Sendable (Int) async throws -> T,
    build: (Logger, @escaping @Sendable (any Channel) async -> Void) async throws -> App
) async throws -> T {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "test.server")
    logger.logLevel = .warning
    let app = try await build(logger) { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            // A server that stops (or fails to start) ends the wait for its port.
            defer { portContinuation.finish() }
            try await app.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await group.next()
            throw ServerDidNotStart()
        }
        let result = try await body(port)
        group.cancelAll()
        return result
    }
}

struct ServerDidNotStart: Error {}

let textTurn: [String] = [
    #"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#,
    #"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello, what can you help me with?"}]}}"#,
    #"{"type":"response.create"}"#,
]
