import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import SwitchboardAgents
import SwitchboardTools
import SwitchboardServer
import SwitchboardCore

/// `switchboard`: the realtime session hub.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A realtime WebSocket session hub for voice and text agents.",
        subcommands: [Serve.self, ModelServer.self, Packs.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by the servers. Each has an environment variable `SWITCHBOARD_…`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env SWITCHBOARD_HOST).")
    var host: String = env("HOST") ?? "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one (env SWITCHBOARD_PORT).")
    var port: Int = env("PORT").flatMap(Int.init) ?? 8080
    @Option(help: "local | openai | azure | a ws:// or wss:// realtime URL (env SWITCHBOARD_MODEL).")
    var model: String = env("MODEL") ?? "local"
    @Option(help: "API key for the model (env SWITCHBOARD_MODEL_API_KEY, or OPENAI_API_KEY / AZURE_OPENAI_API_KEY).")
    var modelAPIKey: String?
    @Option(help: "PEM file of certificate authorities trusted for a wss:// model besides the system's (env SWITCHBOARD_MODEL_CA_FILE).")
    var modelCAFile: String? = env("MODEL_CA_FILE")
    @Option(help: "OpenAI model or Azure deployment used when a client names none (env SWITCHBOARD_MODEL_DEPLOYMENT).")
    var modelDeployment: String?
    @Option(help: "Azure OpenAI endpoint, https://NAME.openai.azure.com (env SWITCHBOARD_AZURE_ENDPOINT).")
    var azureEndpoint: String?
    @Option(help: "Azure OpenAI api-version for beta sessions (env SWITCHBOARD_AZURE_API_VERSION).")
    var azureAPIVersion: String = env("AZURE_API_VERSION") ?? "2025-04-01-preview"
    @Option(help: "Session store: memory, or redis://[:password@]host:port[/db] for replicas (env SWITCHBOARD_SESSIONS).")
    var sessions: String = env("SESSIONS") ?? "memory"
    @Option(help: "Prefix of every Redis key and channel (env SWITCHBOARD_SESSIONS_PREFIX).")
    var sessionsPrefix: String = env("SESSIONS_PREFIX") ?? "switchboard:"
    @Option(help: "Seconds a session's state is kept after its last save (env SWITCHBOARD_SESSION_TTL).")
    var sessionTTL: Int = env("SESSION_TTL").flatMap(Int.init) ?? 24 * 3600
    @Option(help: "This replica's name in session leases; default host-pid-random (env SWITCHBOARD_REPLICA_ID).")
    var replicaID: String?
    @Option(name: [.customLong("packs"), .customLong("personas")],
            help: "Directory of packs: each folder with a pack.yaml is a business (env SWITCHBOARD_PACKS; --personas is the old name).")
    var packs: String = env("PACKS") ?? env("PERSONAS") ?? "Personas"
    @Option(help: "The pack /realtime serves; default the pack marked default: true, or the only one (env SWITCHBOARD_DEFAULT_PACK).")
    var defaultPack: String?
    @Option(help: "Business data: sqlite:PATH (each pack in PATH's folder, PATH's name plus the pack's) or postgres://… (a schema per pack); created and seeded on first start (env SWITCHBOARD_DATA).")
    var data: String = env("DATA") ?? "sqlite:data/switchboard.sqlite"
    @Option(help: "Folder of recorded calls (<call id>.wav, for packs with recording: on); default recordings beside the data (env SWITCHBOARD_RECORDINGS).")
    var recordings: String?
    @Option(help: "Customer id of sessions that name none (env SWITCHBOARD_DEMO_CUSTOMER).")
    var demoCustomer: String = env("DEMO_CUSTOMER") ?? "C-1001"
    @Option(help: "OpenAI-compatible API base whose chat model classifies utterances before the offline router, e.g. https://api.openai.com/v1 (env SWITCHBOARD_ROUTER_URL).")
    var routerURL: String?
    @Option(help: "Chat model the router asks (env SWITCHBOARD_ROUTER_MODEL).")
    var routerModel: String = env("ROUTER_MODEL") ?? "gpt-4o-mini"
    @Option(help: "Key for the router's endpoint (env SWITCHBOARD_ROUTER_API_KEY).")
    var routerAPIKey: String?
    @Option(help: "OpenAI-compatible API base whose chat model writes each ended call's analysis, e.g. https://api.openai.com/v1 (env SWITCHBOARD_ANALYSIS_URL). Without it the pack's rules do.")
    var analysisURL: String?
    @Option(help: "Chat model that analyses calls (env SWITCHBOARD_ANALYSIS_MODEL).")
    var analysisModel: String = env("ANALYSIS_MODEL") ?? "gpt-4o-mini"
    @Option(help: "Key for the analysis endpoint (env SWITCHBOARD_ANALYSIS_API_KEY).")
    var analysisAPIKey: String?
    @Option(help: "Wyoming speech-to-text server for what the embedded recognizer's grammar does not understand, e.g. wyoming://127.0.0.1:10300 (wyoming-faster-whisper; env SWITCHBOARD_STT). Without it the grammar alone hears.")
    var stt: String?
    @Option(help: "Seconds the speech server may take for one utterance (env SWITCHBOARD_STT_TIMEOUT).")
    var sttTimeout: Double = Double(env("STT_TIMEOUT") ?? "") ?? 10
    @Option(help: "Wyoming text-to-speech server the embedded model speaks with, e.g. wyoming://127.0.0.1:10200 (wyoming-piper; env SWITCHBOARD_TTS). flite speaks each sentence it fails; without it flite alone speaks.")
    var tts: String?
    @Option(help: "Voice asked of the text-to-speech server, e.g. en_US-joe-medium (env SWITCHBOARD_TTS_VOICE). Without it the server's default voice.")
    var ttsVoice: String?
    @Option(help: "Seconds the text-to-speech server may take for one sentence (env SWITCHBOARD_TTS_TIMEOUT).")
    var ttsTimeout: Double = Double(env("TTS_TIMEOUT") ?? "") ?? 10
    @Option(help: "Directory of the browser client served at / (env SWITCHBOARD_WEB).")
    var web: String = env("WEB") ?? "web-static"
    @Option(help: "Turns of history kept per session (env SWITCHBOARD_HISTORY_TURNS).")
    var historyTurns: Int = env("HISTORY_TURNS").flatMap(Int.init) ?? 3
    @Option(help: "A key clients must present; repeatable (env SWITCHBOARD_API_KEYS, comma-separated).")
    var apiKey: [String] = env("API_KEYS")?.split(separator: ",").map(String.init) ?? []
    @Option(help: "A server-scope key (mints client secrets, names customers, opens phone-number sessions); repeatable (env SWITCHBOARD_SERVER_KEYS, comma-separated).")
    var serverKey: [String] = env("SERVER_KEYS")?.split(separator: ",").map(String.init) ?? []
    @Option(help: "An admin-scope key (also POST /calls and admin routes); repeatable (env SWITCHBOARD_ADMIN_KEYS, comma-separated).")
    var adminKey: [String] = env("ADMIN_KEYS")?.split(separator: ",").map(String.init) ?? []
    @Option(help: "Key that signs client secrets, the same on every replica; needed off loopback or with Redis sessions (env SWITCHBOARD_SECRET_KEY).")
    var secretKey: String?
    @Option(help: "A page origin (https://app.example.com) allowed to open WebSockets besides the hub's own and --public-url's; repeatable (env SWITCHBOARD_ALLOWED_ORIGINS, comma-separated).")
    var allowedOrigin: [String] = env("ALLOWED_ORIGINS")?.split(separator: ",").map(String.init) ?? []
    @Option(help: "Serve /metrics and /readyz on this port instead of the main one (env SWITCHBOARD_OPS_PORT).")
    var opsPort: Int?
    @Option(help: "Sessions open at once per key, 0 no limit (env SWITCHBOARD_KEY_MAX_SESSIONS, default 500).")
    var keyMaxSessions: Int?
    @Option(help: "New sessions a second per key, 0 no limit (env SWITCHBOARD_KEY_SESSIONS_PER_SECOND, default 20).")
    var keySessionsPerSecond: Double?
    @Option(help: "Outbound calls a minute per admin key, 0 no limit (env SWITCHBOARD_KEY_CALLS_PER_MINUTE, default 30).")
    var keyCallsPerMinute: Double?
    @Option(help: "Largest event a client may send, in bytes (env SWITCHBOARD_MAX_EVENT_BYTES).")
    var maxEventBytes: Int = env("MAX_EVENT_BYTES").flatMap(Int.init) ?? 15 * 1024 * 1024
    @Option(help: "Client connections (HTTP and WebSocket) open at once; over it a connection is closed at accept; 0: no limit (env SWITCHBOARD_MAX_CONNECTIONS).")
    var maxConnections: Int = env("MAX_CONNECTIONS").flatMap(Int.init) ?? 4096
    @Option(name: .customLong("max-connections-per-ip"), help: "Client connections open at once from one IP address, closed at accept over it; behind a load balancer limit per client there instead; 0: no limit (env SWITCHBOARD_MAX_CONNECTIONS_PER_IP).")
    var maxConnectionsPerIP: Int = env("MAX_CONNECTIONS_PER_IP").flatMap(Int.init) ?? 64
    @Option(help: "Sessions live at once; a realtime connection over it gets error session_limit_reached and close 1013; 0: no limit (env SWITCHBOARD_MAX_SESSIONS).")
    var maxSessions: Int = env("MAX_SESSIONS").flatMap(Int.init) ?? 1000
    @Option(help: "Seconds a connection has to send a complete request head (WebSocket upgrade or HTTP request); 0: no limit (env SWITCHBOARD_HEADER_TIMEOUT).")
    var headerTimeout: Double = env("HEADER_TIMEOUT").flatMap(Double.init) ?? 10
    @Option(help: "Seconds a session may go without a frame from its client (the hub pings; a pong counts) before it is saved and closed; 0: never (env SWITCHBOARD_IDLE_TIMEOUT).")
    var idleTimeout: Double = env("IDLE_TIMEOUT").flatMap(Double.init) ?? 300
    @Option(help: "Seconds a session may last before it is saved and closed (error session_expired); 0: no limit (env SWITCHBOARD_MAX_SESSION_DURATION).")
    var maxSessionDuration: Double = env("MAX_SESSION_DURATION").flatMap(Double.init) ?? 7200
    @Option(help: "Bytes of text one conversation item may carry (a message, a function call's output); larger items get error string_above_max_length (env SWITCHBOARD_MAX_ITEM_BYTES).")
    var maxItemBytes: Int = env("MAX_ITEM_BYTES").flatMap(Int.init) ?? Conversation.defaultMaxItemBytes
    @Option(help: "Control events a client may have waiting for its session; past it the client is disconnected (error too_many_events); 0: no limit (env SWITCHBOARD_MAX_QUEUED_EVENTS).")
    var maxQueuedEvents: Int = env("MAX_QUEUED_EVENTS").flatMap(Int.init) ?? 256
    @Option(help: "Event loop threads; default one per core (env SWITCHBOARD_EVENT_LOOPS).")
    var eventLoops: Int?
    @Option(help: "The hub's public http(s) address, used in TwiML and Twilio signatures (env SWITCHBOARD_PUBLIC_URL).")
    var publicURL: String?
    @Option(help: "Twilio auth token: webhooks and media streams must be signed with it (env TWILIO_AUTH_TOKEN).")
    var twilioAuthToken: String?
    @Option(help: "URL the calls' lifecycle webhooks are POSTed to, signed with --webhook-secret (env SWITCHBOARD_WEBHOOK_URL).")
    var webhook: String?
    @Option(help: "Secret that signs webhooks (Switchboard-Signature: t=…,v1=HMAC-SHA256 of \"t.body\"), 16 characters or more (env SWITCHBOARD_WEBHOOK_SECRET).")
    var webhookSecret: String?
    @Option(help: "Comma-separated webhook events to send; default every one but tool.called (env SWITCHBOARD_WEBHOOK_EVENTS).")
    var webhookEvents: String?
    @Option(help: "Seconds a webhook endpoint has to answer (env SWITCHBOARD_WEBHOOK_TIMEOUT, default 10).")
    var webhookTimeout: Double?
    @Option(help: "JSON price table each call's cost is worked out with: telephony per minute, model tokens per million, speech (env SWITCHBOARD_PRICES).")
    var prices: String?
    @Option(help: "UDP port of the SIP bridge; off when not given, 0 picks a free port (env SWITCHBOARD_SIP_PORT).")
    var sipPort: Int?
    @Option(help: "Address the SIP and RTP sockets bind to; default --host (env SWITCHBOARD_SIP_HOST).")
    var sipHost: String?
    @Option(help: "IP callers send SIP and media to, put in SDP and Contact; default the SIP bind address (env SWITCHBOARD_SIP_PUBLIC_HOST).")
    var sipPublicHost: String?
    @Option(help: "host:port where SIP calls to numbers are sent (a trunk or PBX) (env SWITCHBOARD_SIP_TRUNK).")
    var sipTrunk: String?
    @Option(help: "User part of From on calls the hub places over SIP (env SWITCHBOARD_SIP_CALLER_ID).")
    var sipCallerID: String?
    @Option(help: "SIP calls in progress at most; more get 503 with Retry-After (env SWITCHBOARD_SIP_MAX_CALLS, default 100).")
    var sipMaxCalls: Int?
    @Option(help: "New SIP INVITEs a second from one source IP, 0 for no limit; more get 503 (env SWITCHBOARD_SIP_INVITES_PER_SECOND, default 5).")
    var sipInvitesPerSecond: Double?
    @Option(help: "Seconds without RTP from a SIP caller before the call is hung up with BYE, 0 never (env SWITCHBOARD_RTP_TIMEOUT, default 30).")
    var rtpTimeout: Int?
    @Flag(help: "Send RTP to the SDP c= address even when it is not the SIP source IP, and take RTP from any address (env SWITCHBOARD_SIP_MEDIA_ANY_ADDRESS=1).")
    var sipMediaAnyAddress = false
    @Option(help: "An address or CIDR prefix (IPv4 or IPv6) whose SIP INVITEs need no credentials and whose P-Asserted-Identity is believed; repeatable; default 127.0.0.0/8 and ::1 (env SWITCHBOARD_SIP_TRUST, comma-separated).")
    var sipTrust: [String] = env("SIP_TRUST")?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } ?? []
    @Option(help: "SIP digest realm; default the SIP public host (env SWITCHBOARD_SIP_REALM).")
    var sipRealm: String?
    @Option(help: "Users file for SIP digest authentication from untrusted addresses: user:password:+E164 or user:ha1:HEX:+E164 a line, # comments; without it untrusted INVITEs get 403 (env SWITCHBOARD_SIP_USERS).")
    var sipUsers: String?
    @Option(help: "Digest algorithms offered to untrusted SIP callers, in order, comma-separated: MD5, SHA-256 (env SWITCHBOARD_SIP_DIGEST_ALGORITHMS, default MD5,SHA-256).")
    var sipDigestAlgorithms: String?
    @Option(help: "Twilio account SID for outbound calls (env TWILIO_ACCOUNT_SID).")
    var twilioAccountSID: String?
    @Option(help: "Twilio number outbound calls come from (env TWILIO_FROM).")
    var twilioFrom: String?
    @Option(name: .customLong("twilio-api-url"), help: "Twilio REST API base (env SWITCHBOARD_TWILIO_API_URL).")
    var twilioAPIURL: String?
    @Option(help: "Seconds a shutdown waits for sessions to save and connections to close before it closes them (env SWITCHBOARD_SHUTDOWN_TIMEOUT).")
    var shutdownTimeout: Int = env("SHUTDOWN_TIMEOUT").flatMap(Int.init) ?? 10
    @Option(help: "Log level: trace, debug, info, notice, warning, error (env SWITCHBOARD_LOG_LEVEL).")
    var logLevel: String = env("LOG_LEVEL") ?? "info"

    var hubConfiguration: HubConfiguration {
        var c = HubConfiguration()
        c.host = host
        c.port = port
        c.model = model
        c.modelCAFile = modelCAFile
        c.modelAPIKey = modelAPIKey ?? env("MODEL_API_KEY") ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"]
            ?? ProcessInfo.processInfo.environment["AZURE_OPENAI_API_KEY"]
        c.modelDeployment = modelDeployment ?? env("MODEL_DEPLOYMENT")
        c.azureEndpoint = azureEndpoint ?? env("AZURE_ENDPOINT")
        c.azureAPIVersion = azureAPIVersion
        c.sessions = sessions
        c.sessionsPrefix = sessionsPrefix
        c.sessionTTL = .seconds(sessionTTL)
        if let id = replicaID ?? env("REPLICA_ID") { c.replicaID = id }
        c.packsDirectory = packs
        c.defaultPack = defaultPack ?? env("DEFAULT_PACK")
        c.data = data
        c.recordings = recordings ?? env("RECORDINGS")
        c.demoCustomerID = demoCustomer
        c.routerURL = routerURL ?? env("ROUTER_URL")
        c.stt = stt ?? env("STT")
        // Out of range (or not a number): zero, which the configuration refuses with the reason.
        c.sttTimeout = sttTimeout.isFinite && sttTimeout > 0 && sttTimeout <= 600 ? .milliseconds(Int((sttTimeout * 1000).rounded())) : .zero
        c.tts = tts ?? env("TTS")
        c.ttsVoice = ttsVoice ?? env("TTS_VOICE")
        c.ttsTimeout = ttsTimeout.isFinite && ttsTimeout > 0 && ttsTimeout <= 600 ? .milliseconds(Int((ttsTimeout * 1000).rounded())) : .zero
        c.routerModel = routerModel
        c.routerAPIKey = routerAPIKey ?? env("ROUTER_API_KEY")
        c.analysisURL = analysisURL ?? env("ANALYSIS_URL")
        c.analysisModel = analysisModel
        c.analysisAPIKey = analysisAPIKey ?? env("ANALYSIS_API_KEY")
        // From the environment only: a key on the command line would show in the process list.
        c.masterKey = env("MASTER_KEY")
        c.webDirectory = web
        c.historyTurns = historyTurns
        c.apiKeys = apiKey
        c.serverKeys = serverKey
        c.adminKeys = adminKey
        c.secretKey = secretKey ?? env("SECRET_KEY")
        c.allowedOrigins = allowedOrigin
        c.opsPort = opsPort ?? env("OPS_PORT").flatMap(Int.init)
        if let limit = keyMaxSessions ?? env("KEY_MAX_SESSIONS").flatMap(Int.init) { c.keyMaxSessions = limit }
        if let rate = keySessionsPerSecond ?? env("KEY_SESSIONS_PER_SECOND").flatMap(Double.init) { c.keySessionsPerSecond = rate }
        if let rate = keyCallsPerMinute ?? env("KEY_CALLS_PER_MINUTE").flatMap(Double.init) { c.keyCallsPerMinute = rate }
        c.relay.maxEventBytes = maxEventBytes
        c.maxItemBytes = maxItemBytes
        c.relay.setLimits(maxConnections: maxConnections, maxConnectionsPerIP: maxConnectionsPerIP, maxSessions: maxSessions,
                          maxQueuedEvents: maxQueuedEvents, headerTimeout: headerTimeout, idleTimeout: idleTimeout,
                          maxSessionDuration: maxSessionDuration)
        c.eventLoopThreads = eventLoops ?? env("EVENT_LOOPS").flatMap(Int.init)
        c.publicURL = publicURL ?? env("PUBLIC_URL")
        c.pricesFile = prices ?? env("PRICES")
        c.webhookURL = webhook ?? env("WEBHOOK_URL")
        c.webhookSecret = webhookSecret ?? env("WEBHOOK_SECRET")
        if let names = webhookEvents ?? env("WEBHOOK_EVENTS") {
            c.webhookEvents = names.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let seconds = webhookTimeout ?? env("WEBHOOK_TIMEOUT").flatMap(Double.init) {
            // Checked by validate(); a value no Duration holds becomes one it refuses.
            c.webhookTimeout = seconds.isFinite && abs(seconds) < 1e9 ? .milliseconds(Int64((seconds * 1000).rounded())) : .seconds(0)
        }
        c.sipPort = sipPort ?? env("SIP_PORT").flatMap(Int.init)
        c.sipHost = sipHost ?? env("SIP_HOST")
        c.sipPublicHost = sipPublicHost ?? env("SIP_PUBLIC_HOST")
        c.sipTrunk = sipTrunk ?? env("SIP_TRUNK")
        if let id = sipCallerID ?? env("SIP_CALLER_ID") { c.sipCallerID = id }
        if let calls = sipMaxCalls ?? env("SIP_MAX_CALLS").flatMap(Int.init) { c.sipMaxCalls = calls }
        if let rate = sipInvitesPerSecond ?? env("SIP_INVITES_PER_SECOND").flatMap(Double.init) { c.sipInvitesPerSecond = rate }
        if let seconds = rtpTimeout ?? env("RTP_TIMEOUT").flatMap(Int.init) { c.rtpTimeout = seconds > 0 ? .seconds(seconds) : nil }
        c.sipMediaAnyAddress = sipMediaAnyAddress || ["1", "true", "yes"].contains(env("SIP_MEDIA_ANY_ADDRESS")?.lowercased() ?? "")
        if !sipTrust.isEmpty { c.sipTrust = sipTrust }
        c.sipRealm = sipRealm ?? env("SIP_REALM")
        c.sipUsersFile = sipUsers ?? env("SIP_USERS")
        if let names = sipDigestAlgorithms ?? env("SIP_DIGEST_ALGORITHMS") {
            c.sipDigestAlgorithms = names.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        c.twilioAccountSID = twilioAccountSID ?? ProcessInfo.processInfo.environment["TWILIO_ACCOUNT_SID"]
        c.twilioFrom = twilioFrom ?? ProcessInfo.processInfo.environment["TWILIO_FROM"]
        if let url = twilioAPIURL ?? env("TWILIO_API_URL") { c.twilioAPIURL = url }
        c.twilioAuthToken = twilioAuthToken ?? ProcessInfo.processInfo.environment["TWILIO_AUTH_TOKEN"]
        return c
    }

    func makeLogger(_ label: String) -> Logger {
        // Every log line goes through the redacting handler, which hides the configured secrets.
        _ = redactingLogs
        Redacted.register(hubConfiguration.secretValues)
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Installs ``Redacted/LogHandler`` in front of the standard error stream, once per process.
private let redactingLogs: Void = LoggingSystem.bootstrap { label in Redacted.LogHandler(StreamLogHandler.standardError(label: label)) }

private func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment["SWITCHBOARD_" + name].flatMap { $0.isEmpty ? nil : $0 }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the hub.")
    @OptionGroup var options: ServerOptions
    @Option(name: .customLong("secret"),
            help: "A secret the packs' http tools send in headers ({{secret.NAME}}), as NAME=VALUE; repeatable (env SWITCHBOARD_SECRET_<NAME>, NAME in upper case). Never logged.")
    var secret: [String] = []

    func run() async throws {
        var adjusted = options.hubConfiguration
        adjusted.secrets = try Self.packSecrets(options: secret, environment: ProcessInfo.processInfo.environment)
        let configuration = adjusted
        let logger = options.makeLogger("switchboard")
        Redacted.register(configuration.secretValues)
        // Libraries that count through swift-metrics (the webhook dispatcher) count into the
        // hub's registry, so /metrics shows them too.
        let metrics = HubMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let app: any ApplicationProtocol
        do {
            app = try await Hub.buildApplication(configuration: configuration, metrics: metrics, logger: logger, onServerRunning: { channel in
                logger.notice("switchboard listening on \(channel.localAddress?.description ?? "?") (model: \(Redacted.url(configuration.model)))")
            })
        } catch {
            throw ValidationError(Redacted.scrub("\(error)"))
        }
        try await runUntilSignalled(app, options: options, logger: logger)
    }

    /// The packs' secrets: `SWITCHBOARD_SECRET_<NAME>` variables (but `SWITCHBOARD_SECRET_KEY`,
    /// which is `--secret-key`), then `--secret NAME=VALUE` options over them; names in lower
    /// case. A malformed option is refused without showing its value.
    static func packSecrets(options: [String], environment: [String: String]) throws -> [String: String] {
        var secrets: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("SWITCHBOARD_SECRET_") && name != "SWITCHBOARD_SECRET_KEY" && !value.isEmpty {
            secrets[String(name.dropFirst("SWITCHBOARD_SECRET_".count)).lowercased()] = value
        }
        for option in options {
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw ValidationError("--secret takes NAME=VALUE (a secret for the packs' http tools)")
            }
            let name = option[..<equals].lowercased()
            guard name.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) != nil else {
                throw ValidationError("--secret NAME=VALUE: the name must be letters, digits and '_', starting with a letter")
            }
            secrets[name] = String(option[option.index(after: equals)...])
        }
        return secrets
    }
}

/// Runs `app` until SIGTERM or SIGINT, then shuts down gracefully: new connections are refused,
/// sessions save and close; connections still open after the shutdown timeout (an idle client
/// that never sent a request) are closed then.
func runUntilSignalled(_ app: any ApplicationProtocol, options: ServerOptions, logger: Logger) async throws {
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
    configuration.maximumGracefulShutdownDuration = .seconds(max(1, options.shutdownTimeout))
    try await ServiceGroup(configuration: configuration).run()
}

struct ModelServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-server", abstract: "Serve the local model alone as a realtime endpoint at /v1/realtime.")
    @OptionGroup var options: ServerOptions

    func run() async throws {
        let logger = options.makeLogger("switchboard.model-server")
        let app = try Hub.buildModelServer(configuration: options.hubConfiguration, logger: logger, onServerRunning: { channel in
            logger.notice("model server listening on \(channel.localAddress?.description ?? "?")")
        })
        try await runUntilSignalled(app, options: options, logger: logger)
    }
}

struct Packs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with packs (a business's agents, tools, data and knowledge as files).", subcommands: [Check.self, Prompt.self], aliases: ["personas"]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every pack under DIR: prints file:line: problem and exits non-zero on any. The hub refuses to start on the same problems."
        )
        @Argument(help: "The packs directory.")
        var directory: String = "Personas"

        func run() async throws {
            do {
                let packs = try await HubPacks.check(directory: directory)
                for pack in packs {
                    print("\(pack.name): \(pack.catalog.personas.count) agent(s), \(pack.tools.count) tool(s), \(pack.knowledge.chunks.count) knowledge section(s) OK")
                }
            } catch let error as PersonaCatalogError {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Prompt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a pack's words for a neural recognizer's initial prompt (scripts/whisper-server.sh --initial-prompt): its title, codes and vocabularies."
        )
        @Argument(help: "The packs directory.")
        var directory: String = "Personas"
        @Option(help: "The pack; default the pack marked default: true, or the only one (env SWITCHBOARD_DEFAULT_PACK).")
        var pack: String?

        func run() async throws {
            do {
                print(try await HubPacks.recognizerPrompt(directory: directory, pack: pack ?? ProcessInfo.processInfo.environment["SWITCHBOARD_DEFAULT_PACK"]))
            } catch let error as PersonaCatalogError {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }
}
