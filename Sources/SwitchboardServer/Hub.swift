import Foundation
import Hummingbird
import HummingbirdCore
import LocalModel
import Logging
import NIOCore
import NIOPosix
import OpenAIRealtime
import SwitchboardAgents
import SwitchboardCore
import SwitchboardData
import SwitchboardTools

/// Builds the hub: the realtime endpoint, operations routes, the browser client's files.
public enum Hub {
    /// Loads personas, picks the model and the store, and returns the application to run.
    public static func buildApplication(
        configuration: HubConfiguration, metrics: HubMetrics = HubMetrics(), logger: Logger,
        model: (any RealtimeModel)? = nil, store: (any SessionStore)? = nil, data: (any BusinessData)? = nil,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) async throws -> some ApplicationProtocol {
        try configuration.validate()
        let hub = try await makeContext(configuration: configuration, metrics: metrics, logger: logger, model: model, store: store, data: data)
        let router = Router()
        addRoutes(to: router, hub: hub)
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in RealtimeChannel(responder: responder, hub: hub) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
            onServerRunning: onServerRunning ?? { _ in },
            eventLoopGroupProvider: eventLoopGroup(configuration),
            logger: logger
        )
    }

    /// Opens the business data, loads the knowledge documents, the tools and the personas
    /// (checked against the tools), and picks the model and the store.
    static func makeContext(
        configuration: HubConfiguration, metrics: HubMetrics, logger: Logger,
        model: (any RealtimeModel)?, store: (any SessionStore)?, data: (any BusinessData)?
    ) async throws -> HubContext {
        let businessData: any BusinessData
        if let data {
            businessData = data
        } else {
            businessData = try await openData(configuration.data)
        }
        let knowledgeDirectory = configuration.knowledgeDirectory
            ?? URL(fileURLWithPath: configuration.personasDirectory).appendingPathComponent("knowledge").path
        let knowledge = try KnowledgeBase.load(directory: knowledgeDirectory)
        let tools = ToolRegistry.standard(data: businessData, knowledge: knowledge)
        let catalog = try PersonaCatalog.load(directory: configuration.personasDirectory, knownTools: tools.names)
        return HubContext(
            configuration: configuration, catalog: catalog,
            model: try model ?? makeModel(configuration: configuration, catalog: catalog),
            store: store ?? MemorySessionStore(), metrics: metrics, logger: logger,
            tools: tools, router: IntentRouter(catalog: catalog), data: businessData,
            classifier: makeClassifier(configuration: configuration, catalog: catalog, logger: logger)
        )
    }

    /// The chat-completions classifier `--router-url` names, over the catalog's domain agents.
    static func makeClassifier(configuration: HubConfiguration, catalog: PersonaCatalog, logger: Logger) -> (any UtteranceClassifier)? {
        guard let text = configuration.routerURL, let url = URL(string: text) else { return nil }
        let agents = catalog.agents.map {
            ChatCompletionsClassifier.Agent(name: $0.name, description: $0.description, examples: $0.routingExamples)
        }
        return ChatCompletionsClassifier(
            baseURL: url, model: configuration.routerModel, apiKey: configuration.routerAPIKey, agents: agents,
            timeout: configuration.routerTimeout, hasContent: { IntentRouter.hasContent($0) }, logger: logger
        )
    }

    /// Opens the business data a `--data` location names.
    static func openData(_ location: String) async throws -> any BusinessData {
        do {
            return try await DataLocation(parsing: location).open()
        } catch {
            throw ConfigurationError("--data \(location): \(error)")
        }
    }

    /// Builds `switchboard model-server`: the configured model (by default the local one) served
    /// alone at `/v1/realtime`, with `/healthz`.
    public static func buildModelServer(
        configuration: HubConfiguration, metrics: HubMetrics = HubMetrics(), logger: Logger,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) throws -> some ApplicationProtocol {
        let catalog = try PersonaCatalog.load(directory: configuration.personasDirectory)
        let hub = HubContext(configuration: configuration, catalog: catalog, model: try makeModel(configuration: configuration, catalog: catalog),
                             store: MemorySessionStore(), metrics: metrics, logger: logger,
                             tools: ToolRegistry(tools: []), router: IntentRouter(catalog: catalog), data: nil)
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in RealtimeChannel(responder: responder, hub: hub, mode: .modelServer) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard-model"),
            onServerRunning: onServerRunning ?? { _ in },
            eventLoopGroupProvider: eventLoopGroup(configuration),
            logger: logger
        )
    }

    /// The event loops: NIO's shared group (one thread per core) unless a count is configured.
    static func eventLoopGroup(_ configuration: HubConfiguration) -> EventLoopGroupProvider {
        guard let threads = configuration.eventLoopThreads else { return .singleton }
        return .shared(MultiThreadedEventLoopGroup(numberOfThreads: threads))
    }

    /// The model the configuration names.
    public static func makeModel(configuration: HubConfiguration, catalog: PersonaCatalog) throws -> any RealtimeModel {
        let frameLimit = max(configuration.relay.maxEventBytes, 16 * 1024 * 1024)
        switch configuration.model {
        case "local":
            return LocalRealtimeModel(catalog: catalog)
        case "openai":
            guard let key = configuration.modelAPIKey else { throw ConfigurationError("--model openai needs --model-api-key") }
            return WebSocketRealtimeModel(endpoint: .openAI(apiKey: key, model: configuration.modelDeployment ?? "gpt-realtime"),
                                          maxFrameSize: frameLimit)
        case "azure":
            guard let key = configuration.modelAPIKey, let endpoint = configuration.azureEndpoint, let deployment = configuration.modelDeployment else {
                throw ConfigurationError("--model azure needs --model-api-key, --azure-endpoint and --model-deployment")
            }
            let target = try RealtimeEndpoint.azure(endpoint: endpoint, deployment: deployment, apiKey: key, apiVersion: configuration.azureAPIVersion)
            return WebSocketRealtimeModel(endpoint: target, maxFrameSize: frameLimit)
        default:
            do {
                return WebSocketRealtimeModel(endpoint: try .url(configuration.model, apiKey: configuration.modelAPIKey), maxFrameSize: frameLimit)
            } catch {
                throw ConfigurationError(error.description)
            }
        }
    }

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in
            "ready: model=\(hub.model.name) personas=\(hub.catalog.personas.count)\n"
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: hub.metrics.exposition())))
        }
        for path in ["/realtime", "/v1/realtime"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                Response(status: .upgradeRequired, headers: [.upgrade: "websocket", .contentType: "text/plain; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: "Connect with a WebSocket client (OpenAI Realtime protocol).\n")))
            }
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: hub.configuration.webDirectory, isDirectory: &isDirectory), isDirectory.boolValue {
            router.add(middleware: FileMiddleware(hub.configuration.webDirectory, searchForIndexHtml: true, logger: hub.logger))
        }
    }
}
