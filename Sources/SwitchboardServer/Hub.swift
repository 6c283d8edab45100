import Foundation
import Hummingbird
import HummingbirdCore
import LocalModel
import Logging
import NIOCore
import NIOPosix
import OpenAIRealtime
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardCore
import SwitchboardData
import SwitchboardPlatform
import SwitchboardPostgres
import SwitchboardRedis
import SwitchboardTools
import SwitchboardWyoming

/// Builds the hub: the realtime endpoint, operations routes, the browser client's files.
public enum Hub {
    /// Loads personas, picks the model and the store, and returns the application to run.
    public static func buildApplication(
        configuration: HubConfiguration, metrics: HubMetrics = HubMetrics(), logger: Logger,
        model: (any RealtimeModel)? = nil, store: (any SessionStore)? = nil, packs: HubPacks? = nil,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) async throws -> some ApplicationProtocol {
        try configuration.validate()
        try configuration.relay.validate()
        let (sessionStore, redis) = try await makeStore(configuration: configuration, given: store, logger: logger)
        var context = try await makeContext(configuration: configuration, metrics: metrics, logger: logger, model: model, store: sessionStore, packs: packs)
        let callStore = try await openCallStore(configuration: configuration, logger: logger)
        let dispatcher = configuration.webhookURL.map { url in
            WebhookDispatcher(store: callStore, secrets: [url: configuration.webhookSecret ?? ""],
                              configuration: .init(requestTimeout: configuration.webhookTimeout), logger: logger)
        }
        context.prices = try loadPrices(configuration)
        context.calls = CallLog(store: callStore, webhooks: configuration.webhooks, metrics: metrics, logger: logger, onEvents: { dispatcher?.notify() })
        context.platform = try await openPlatform(configuration: configuration, logger: logger)
        let sip = configuration.sipPort == nil ? nil : SIPBridge()
        context.sip = sip
        let hub = context
        let router = Router()
        addRoutes(to: router, hub: hub)
        OutboundCalls.addRoutes(to: router, hub: hub, sip: sip)
        CallsAPI.addRoutes(to: router, hub: hub)
        AdminAPI.addRoutes(to: router, hub: hub)
        var app = Application(
            router: router,
            server: HTTPServerBuilder { responder in RealtimeChannel(responder: responder, hub: hub) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
            onServerRunning: onServerRunning ?? { _ in },
            eventLoopGroupProvider: eventLoopGroup(configuration),
            logger: logger
        )
        if let opsPort = configuration.opsPort {
            // /metrics and /readyz on their own port, off the public one.
            let ops = Router()
            addOperationsRoutes(to: ops, hub: hub)
            app.addServices(Application(router: ops, configuration: .init(address: .hostname(configuration.host, port: opsPort), serverName: "switchboard-ops"),
                                        eventLoopGroupProvider: eventLoopGroup(configuration), logger: logger))
        }
        // Services stop in reverse order: the call log saves the last records after the
        // sessions end, and the store closes after everything that uses it.
        app.addServices(CallStoreService(store: callStore))
        if let dispatcher { app.addServices(dispatcher) }
        app.addServices(CallLogService(log: hub.calls))
        if packs == nil, let opened = hub.packs { app.addServices(PackDataService(packs: opened)) }
        app.addServices(SessionStoreService(store: hub.store, live: hub.live, replicaID: configuration.replicaID, redis: redis, logger: logger))
        app.addServices(LeaseRenewalService(renewer: hub.leases, store: hub.store, ttl: configuration.leaseTTL, logger: logger))
        if let sipPort = configuration.sipPort, let sip {
            let sipHost = configuration.sipHost ?? configuration.host
            app.addServices(SIPService(hub: hub, host: sipHost, port: sipPort, advertisedHost: configuration.sipPublicHost ?? sipHost, bridge: sip))
        }
        return app
    }

    /// The price table `--prices` names; none: nothing costs anything.
    static func loadPrices(_ configuration: HubConfiguration) throws -> CallPrices {
        guard let path = configuration.pricesFile else { return CallPrices() }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw ConfigurationError("--prices \(path): cannot read the file (at most 1 MiB)")
        }
        return try CallPrices(json: String(decoding: data, as: UTF8.self))
    }

    /// The call records' store at the `--data` location: a SQLite file beside the packs' (or
    /// the packs' PostgreSQL database, in its own schema).
    /// The platform store beside the packs' data: `<name>.platform.sqlite`, or the
    /// `switchboard_platform` schema of the PostgreSQL database every replica shares.
    static func openPlatform(configuration: HubConfiguration, logger: Logger) async throws -> PlatformContext? {
        let secrets = try configuration.masterKey.map { (key) throws -> SecretBox in try SecretBox(masterKey: key) }
        do {
            switch try DataLocation(parsing: configuration.data) {
            case .sqlite(let path):
                let store = try await SQLitePlatformStore.open(path: SQLitePlatformStore.path(forDataPath: path))
                if secrets == nil { logger.notice("no SWITCHBOARD_MASTER_KEY: tenants' secrets cannot be stored") }
                return PlatformContext(store: store, secrets: secrets, directory: NumberDirectory(store: store, logger: logger))
            case .postgres(let url):
                let store = try await PostgresPlatformStore.connect(url: url, logger: logger)
                if secrets == nil { logger.notice("no SWITCHBOARD_MASTER_KEY: tenants' secrets cannot be stored") }
                return PlatformContext(store: store, secrets: secrets, directory: NumberDirectory(store: store, logger: logger))
            }
        } catch {
            throw ConfigurationError("--data \(DataLocation.redacted(configuration.data)): the platform store could not be opened: \(error)")
        }
    }

    static func openCallStore(configuration: HubConfiguration, logger: Logger) async throws -> any CallStore {
        do {
            switch try DataLocation(parsing: configuration.data) {
            case .sqlite(let path):
                return try await SQLiteCallStore.open(path: SQLiteCallStore.path(forDataPath: path))
            case .postgres(let url):
                return try await PostgresCallStore.connect(url: url, logger: logger)
            }
        } catch {
            throw ConfigurationError("--data \(DataLocation.redacted(configuration.data)): the call records could not be opened: \(error)")
        }
    }

    /// The session store `--sessions` names: in memory, or Redis (checked at start: a hub that
    /// cannot reach its Redis refuses to start rather than run with sessions no replica can see).
    static func makeStore(configuration: HubConfiguration, given: (any SessionStore)?, logger: Logger) async throws
        -> (any SessionStore, RedisClient?) {
        if let given { return (given, nil) }
        guard configuration.sessions.hasPrefix("redis://") else { return (MemorySessionStore(), nil) }
        let redisConfiguration: RedisConfiguration
        do {
            redisConfiguration = try RedisConfiguration(url: configuration.sessions)
        } catch {
            throw ConfigurationError("--sessions \(Redacted.url(configuration.sessions)): \(error)")
        }
        let client = RedisClient(configuration: redisConfiguration, logger: logger)
        let store = RedisSessionStore(client: client, configuration: .init(keyPrefix: configuration.sessionsPrefix, timeToLive: configuration.sessionTTL),
                                      logger: logger)
        do {
            try await store.ping()
        } catch {
            try? await client.shutdown()
            throw ConfigurationError("cannot reach Redis at \(redisConfiguration.endpoint): \(error)")
        }
        return (store, client)
    }

    /// Loads and checks the packs, opens their data, and picks the model and the store.
    static func makeContext(
        configuration: HubConfiguration, metrics: HubMetrics, logger: Logger,
        model: (any RealtimeModel)?, store: (any SessionStore)?, packs given: HubPacks?
    ) async throws -> HubContext {
        let packs: HubPacks
        if let given {
            packs = given
        } else {
            packs = try await HubPacks.open(configuration: configuration, logger: logger)
        }
        let catalog = packs.main.pack.catalog
        return HubContext(
            configuration: configuration, catalog: catalog,
            model: try model ?? makeModel(configuration: configuration, catalog: catalog, logger: logger),
            store: store ?? MemorySessionStore(), metrics: metrics, logger: logger,
            tools: packs.main.tools, router: IntentRouter(catalog: catalog, parameters: { packs.main.tools.spec(named: $0)?.parameters }), packs: packs,
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

    /// Builds `switchboard model-server`: the configured model (by default the local one) served
    /// alone at `/v1/realtime`, with `/healthz`.
    public static func buildModelServer(
        configuration: HubConfiguration, metrics: HubMetrics = HubMetrics(), logger: Logger,
        onServerRunning: (@Sendable (any Channel) async -> Void)? = nil
    ) throws -> some ApplicationProtocol {
        // Like `serve`: no listening beyond loopback without keys. It mints no client secrets,
        // so it needs no --secret-key.
        var configuration = configuration
        if configuration.secretKey == nil { configuration.secretKey = UUID().uuidString + UUID().uuidString }
        try configuration.validate()
        try configuration.relay.validate()
        let packs = try Pack.loadAll(directory: configuration.packsDirectory)
        let catalog = try HubPacks.pickDefault(packs, named: configuration.defaultPack).catalog
        let hub = HubContext(configuration: configuration, catalog: catalog, model: try makeModel(configuration: configuration, catalog: catalog, logger: logger),
                             store: MemorySessionStore(), metrics: metrics, logger: logger,
                             tools: ToolRegistry(tools: []), router: IntentRouter(catalog: catalog), packs: nil)
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
    /// The embedded model's second recognizer, `--stt`: a Wyoming server that hears what the
    /// grammar did not understand. A failure is logged and leaves the grammar's outcome.
    static func speechFallback(configuration: HubConfiguration, logger: Logger) throws -> LocalRealtimeModel.FallbackTranscriber? {
        guard let url = configuration.stt else {
            logger.notice("speech recognition: the pack's grammar only (no --stt); utterances outside it are not understood")
            return nil
        }
        guard let transcriber = WyomingTranscriber(url: url, timeout: configuration.sttTimeout) else {
            throw ConfigurationError("--stt must be wyoming://HOST:PORT (got '\(Redacted.url(url))')")
        }
        logger.notice("speech recognition: the pack's grammar, then the Wyoming server at \(transcriber.host):\(transcriber.port) for what it does not understand")
        return { samples, sampleRate in
            do {
                return try await transcriber.transcribe(samples, sampleRate: sampleRate)
            } catch {
                logger.warning("the speech server did not transcribe an utterance; the grammar's result stands", metadata: ["error": "\(error)"])
                throw error
            }
        }
    }

    /// The embedded model's voice, `--tts`: a Wyoming server that speaks each sentence, flite
    /// taking over for any sentence it fails (the model logs when that starts and stops).
    static func speechVoice(configuration: HubConfiguration, logger: Logger) throws -> LocalRealtimeModel.ExternalVoice? {
        guard let url = configuration.tts else {
            logger.notice("speech synthesis: flite (no --tts)")
            return nil
        }
        guard let synthesizer = WyomingSynthesizer(url: url, voice: configuration.ttsVoice, timeout: configuration.ttsTimeout) else {
            throw ConfigurationError("--tts must be wyoming://HOST:PORT (got '\(Redacted.url(url))')")
        }
        let voice = synthesizer.voice.map { "the voice \($0)" } ?? "the default voice"
        logger.notice("speech synthesis: \(voice) of the Wyoming server at \(synthesizer.host):\(synthesizer.port); flite for any sentence it fails")
        if let wanted = synthesizer.voice {
            // A misspelt voice shows at start-up rather than as flite on every sentence.
            Task {
                do {
                    let offered = try await synthesizer.voices()
                    if !offered.isEmpty, !offered.contains(wanted) {
                        // Its voices of the same language (`en_US` of `en_US-joe-medium`), else the first few.
                        let language = wanted.prefix { $0 != "-" }
                        let alike = offered.filter { $0.hasPrefix(language) }
                        logger.warning("the Wyoming voice server does not list the voice \(wanted)",
                                       metadata: ["voices": "\((alike.isEmpty ? offered : alike).prefix(20).joined(separator: ", "))"])
                    }
                } catch {
                    logger.warning("the Wyoming voice server did not describe itself; flite speaks until it answers", metadata: ["error": "\(error)"])
                }
            }
        }
        return { sentence, audio in
            for try await chunk in synthesizer.synthesize(sentence) {
                try audio(chunk.samples, chunk.sampleRate)
            }
        }
    }

    public static func makeModel(configuration: HubConfiguration, catalog: PersonaCatalog, logger: Logger = Logger(label: "switchboard")) throws -> any RealtimeModel {
        let frameLimit = max(configuration.relay.maxEventBytes, 16 * 1024 * 1024)
        let trust = configuration.modelCAFile.map { [$0] } ?? []
        switch configuration.model {
        case "local":
            return LocalRealtimeModel(catalog: catalog, fallback: try speechFallback(configuration: configuration, logger: logger),
                                      voice: try speechVoice(configuration: configuration, logger: logger), logger: logger)
        case "openai":
            guard let key = configuration.modelAPIKey else { throw ConfigurationError("--model openai needs --model-api-key") }
            return WebSocketRealtimeModel(endpoint: .openAI(apiKey: key, model: configuration.modelDeployment ?? "gpt-realtime"),
                                          maxFrameSize: frameLimit, additionalTrustRoots: trust)
        case "azure":
            guard let key = configuration.modelAPIKey, let endpoint = configuration.azureEndpoint, let deployment = configuration.modelDeployment else {
                throw ConfigurationError("--model azure needs --model-api-key, --azure-endpoint and --model-deployment")
            }
            let target = try RealtimeEndpoint.azure(endpoint: endpoint, deployment: deployment, apiKey: key, apiVersion: configuration.azureAPIVersion)
            return WebSocketRealtimeModel(endpoint: target, maxFrameSize: frameLimit, additionalTrustRoots: trust)
        default:
            do {
                return WebSocketRealtimeModel(endpoint: try .url(configuration.model, apiKey: configuration.modelAPIKey), maxFrameSize: frameLimit,
                                              additionalTrustRoots: trust)
            } catch {
                throw ConfigurationError(error.description)
            }
        }
    }

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.get("/healthz") { _, _ in "ok\n" }
        if hub.configuration.opsPort == nil { addOperationsRoutes(to: router, hub: hub) }
        ClientSecretRoute.addRoutes(to: router, hub: hub)
        for path in ["/realtime", "/v1/realtime"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                Response(status: .upgradeRequired, headers: [.upgrade: "websocket", .contentType: "text/plain; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: "Connect with a WebSocket client (OpenAI Realtime protocol).\n")))
            }
        }
        TwilioWebhook.addRoutes(to: router, hub: hub)
        TwilioCallbacks.addRoutes(to: router, hub: hub)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: hub.configuration.webDirectory, isDirectory: &isDirectory), isDirectory.boolValue {
            router.add(middleware: FileMiddleware(hub.configuration.webDirectory, searchForIndexHtml: true, logger: hub.logger))
        }
    }

    /// `/readyz` and `/metrics`: on the main port, or alone on `--ops-port`.
    static func addOperationsRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.get("/readyz") { _, _ -> Response in
            var store = "memory"
            if let redis = hub.store as? RedisSessionStore {
                do {
                    try await redis.ping()
                    store = "redis"
                } catch {
                    return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: "not ready: session store unreachable: \(error)\n")))
                }
            }
            let text = "ready: model=\(hub.model.name) personas=\(hub.catalog.personas.count) sessions=\(store) replica=\(hub.configuration.replicaID)\n"
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: hub.metrics.exposition())))
        }
    }
}
