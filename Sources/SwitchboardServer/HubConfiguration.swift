import Foundation
import NIOCore
import SwitchboardCore
import SwitchboardPlatform
import SwitchboardWyoming

/// Everything `switchboard serve` can be told. Defaults are the embedded ones.
public struct HubConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// `local`, `openai`, `azure` or a `ws://` / `wss://` URL.
    public var model = "local"
    /// Key for `openai` / `azure` / a URL that needs one.
    public var modelAPIKey: String?
    /// A PEM file of certificate authorities trusted for a wss:// model besides the system's.
    public var modelCAFile: String?
    /// Azure: `https://NAME.openai.azure.com`.
    public var azureEndpoint: String?
    /// Azure deployment (or the OpenAI model used when the client names none).
    public var modelDeployment: String?
    public var azureAPIVersion = "2025-04-01-preview"
    /// `memory`, or `redis://[:password@]host:port[/db]` for replicas sharing sessions.
    public var sessions = "memory"
    /// Prepended to every Redis key and channel.
    public var sessionsPrefix = "switchboard:"
    /// How long a session's state is kept after its last save.
    public var sessionTTL: Duration = .seconds(24 * 3600)
    /// How long a session's lease lasts without renewal (it is renewed every third of it): the
    /// longest a crashed replica can keep a session before another takes it over unasked.
    public var leaseTTL: Duration = .seconds(6)
    /// This replica's name in leases and takeover notices; unique per process.
    public var replicaID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    /// The packs: every folder under it with a `pack.yaml` (docs/packs.md).
    public var packsDirectory = "Personas"
    /// The pack `/realtime` serves; `nil`: the pack marked `default: true`, or the only one.
    public var defaultPack: String?
    /// Business data: `sqlite:PATH` (each pack in its own file beside PATH) or `postgres://…`
    /// (each pack in its own schema), created and seeded on first start.
    public var data = "sqlite:data/switchboard.sqlite"
    /// Where recorded calls are kept (`<call id>.wav`); `nil`: `recordings` beside the data
    /// (the SQLite file's folder, or the working directory for PostgreSQL).
    public var recordings: String?

    /// The folder of recorded calls, absolute (it names the files in call records).
    public var recordingsDirectory: String {
        var folder = recordings
        if folder == nil {
            let lowered = data.lowercased()
            if lowered.hasPrefix("sqlite:") {
                var path = Substring(data.dropFirst("sqlite:".count))
                if path.hasPrefix("//") { path = path.dropFirst(2) }
                let parent = (String(path) as NSString).deletingLastPathComponent
                folder = parent.isEmpty ? "recordings" : parent + "/recordings"
            } else {
                folder = "recordings"
            }
        }
        let url = URL(fileURLWithPath: folder ?? "recordings", relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
        return url.standardizedFileURL.path
    }
    /// The customer a session belongs to when the client names none.
    public var demoCustomerID = "C-1001"
    /// An OpenAI-compatible API base (`https://api.openai.com/v1`) whose chat-completions model
    /// classifies utterances ahead of the offline router; `nil`: the offline router alone.
    public var routerURL: String?
    /// The chat model the router asks.
    public var routerModel = "gpt-4o-mini"
    /// A Wyoming speech-to-text server (`wyoming://HOST:PORT`) the embedded model sends the
    /// utterances its grammar does not understand; `nil`: the grammar alone.
    public var stt: String?
    /// How long the speech server may take for one utterance.
    public var sttTimeout: Duration = .seconds(10)
    /// A Wyoming text-to-speech server (`wyoming://HOST:PORT`) the embedded model speaks with,
    /// flite taking over for each sentence it fails; `nil`: flite alone.
    public var tts: String?
    /// The voice asked of the text-to-speech server (`en_US-joe-medium`); `nil`: its default.
    public var ttsVoice: String?
    /// How long the text-to-speech server may take for one sentence.
    public var ttsTimeout: Duration = .seconds(10)
    /// The router endpoint's key.
    public var routerAPIKey: String?
    /// An OpenAI-compatible API base whose chat model writes each ended call's analysis (the
    /// pack's `analysis:` plan); `nil`: the rules do.
    public var analysisURL: String?
    /// The chat model that analyses calls.
    public var analysisModel = "gpt-4o-mini"
    /// The analysis endpoint's key.
    public var analysisAPIKey: String?
    /// `SWITCHBOARD_MASTER_KEY`: 32 random bytes in base64, under which tenants' secrets are
    /// sealed; without it the platform stores no secret. Never logged.
    public var masterKey: String?
    /// How long an ending session keeps trying to save its state when the store is unreachable.
    public var finalSaveTimeout: Duration = .seconds(5)
    /// How long a new connection waits for the one it takes over to save and close.
    public var takeoverTimeout: Duration = .seconds(3)
    /// How long the router waits for the classifier before the offline router decides.
    public var routerTimeout: Duration = .milliseconds(1500)
    public var webDirectory = "web-static"
    public var historyTurns = 3
    /// Keys clients must present (`Authorization: Bearer`, `api-key`, or the
    /// `openai-insecure-api-key.` subprotocol). Empty: no authentication (loopback only).
    public var apiKeys: [String] = []
    /// Server-scope keys (`--server-key`): mint client secrets, name customers, open phone-number sessions.
    public var serverKeys: [String] = []
    /// Admin-scope keys (`--admin-key`): everything, `POST /calls` included.
    public var adminKeys: [String] = []
    /// Signs client secrets; every replica needs the same one. `nil`: a random per-process key
    /// (only on a loopback hub with the memory store).
    public var secretKey: String?
    /// Page origins allowed to open WebSockets besides the hub's own and `publicURL`'s.
    public var allowedOrigins: [String] = []
    /// A separate port for `/metrics` and `/readyz` (they leave the main port); `nil`: the main port.
    public var opsPort: Int?
    /// Per key: sessions open at once, new sessions a second, outbound calls a minute (0: no limit).
    public var keyMaxSessions = 500
    public var keySessionsPerSecond: Double = 20
    public var keyCallsPerMinute: Double = 30
    public var relay = RelayConfiguration()
    /// Bytes of text one conversation item from a client may carry.
    public var maxItemBytes = Conversation.defaultMaxItemBytes
    /// The hub's address as the outside world reaches it (`https://hub.example.com`): the phone
    /// bridges put it in the TwiML they answer and Twilio signs requests with it. `nil`: taken
    /// from each request's `Host` and `X-Forwarded-Proto`.
    public var publicURL: String?
    /// The Twilio account's auth token: webhooks and media streams must carry a valid
    /// `X-Twilio-Signature`. Without one, the Twilio routes only answer on a loopback address.
    public var twilioAuthToken: String?
    /// Where the calls' lifecycle webhooks go (`call.started`, `call.ended`, …), signed with
    /// `webhookSecret`; `nil`: none are sent (calls are still recorded).
    public var webhookURL: String?
    /// The secret that signs webhooks (`Switchboard-Signature`, HMAC-SHA256).
    public var webhookSecret: String?
    /// A JSON price table (`--prices FILE`) the calls' cost is worked out with.
    public var pricesFile: String?
    /// The event types sent; `nil`: every type but `tool.called`.
    public var webhookEvents: [String]?
    /// Seconds a webhook endpoint has to answer one delivery.
    public var webhookTimeout: Duration = .seconds(10)
    /// The SIP bridge's UDP port (`nil`: no SIP bridge; 0 picks a free port).
    public var sipPort: Int?
    /// The address the SIP and RTP sockets bind to; default the hub's `host`.
    public var sipHost: String?
    /// The address put in SDP and Contact headers, as callers reach this machine; default the
    /// bind address (which must then be a concrete IP, not 0.0.0.0).
    public var sipPublicHost: String?
    /// Where SIP calls to numbers go (`host:port` of a trunk or PBX); calls to `sip:` URIs go
    /// straight to their host.
    public var sipTrunk: String?
    /// The user part of `From` on calls the hub places over SIP.
    public var sipCallerID = "switchboard"
    /// SIP calls in progress at most (inbound and placed); a new INVITE beyond it gets 503
    /// Service Unavailable with Retry-After, a `POST /calls` 503.
    public var sipMaxCalls = 100
    /// New SIP INVITEs a second accepted from one source IP (token bucket, bursts of twice the
    /// rate); more get 503 with Retry-After. 0: no limit.
    public var sipInvitesPerSecond: Double = 5
    /// A SIP call with no RTP or RTCP from the caller for this long (while not on hold) is hung
    /// up with BYE, like Asterisk's `rtptimeout`. nil: never.
    public var rtpTimeout: Duration? = .seconds(30)
    /// Send RTP to the SDP `c=` address even when it is not the SIP signalling source IP, and
    /// accept RTP from any address. Off: media goes only to (and comes only from) the IP the
    /// SIP came from, so a forged `c=` cannot aim the hub's audio at a third party.
    public var sipMediaAnyAddress = false
    /// Addresses (IPv4/IPv6 CIDR prefixes or plain addresses) whose SIP INVITEs are accepted
    /// without credentials and whose `P-Asserted-Identity` is believed (`--sip-trust`).
    public var sipTrust: [String] = ["127.0.0.0/8", "::1"]
    /// The SIP digest realm; default the SIP public host.
    public var sipRealm: String?
    /// The users file (`user:password:+E164` or `user:ha1:HEX:+E164` a line) of callers who may
    /// call from untrusted addresses after digest authentication; `nil`: such INVITEs get 403.
    public var sipUsersFile: String?
    /// Digest algorithms offered to untrusted callers, in order (`MD5`, `SHA-256`): one
    /// `WWW-Authenticate` each. Old clients (baresip 1.x) refuse a challenge set naming SHA-256.
    public var sipDigestAlgorithms = ["MD5", "SHA-256"]
    /// Twilio account for outbound calls (`POST /calls`), with `twilioAuthToken` and `twilioFrom`.
    public var twilioAccountSID: String?
    /// The Twilio number outbound calls come from.
    public var twilioFrom: String?
    /// Twilio's REST API base.
    public var twilioAPIURL = "https://api.twilio.com"
    /// Event loop threads (each session's client and model connections share one). `nil`: one per core.
    public var eventLoopThreads: Int?
    /// Secrets the packs' http tools put in request headers (`{{secret.NAME}}`), by name:
    /// `--secret NAME=VALUE` or `SWITCHBOARD_SECRET_<NAME>`. Never logged (``secretValues``).
    public var secrets: [String: String] = [:]

    public init() {}

    /// Whether `host` only listens on this machine.
    public var isLoopback: Bool {
        ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.")
    }

    /// Refuses settings that would be unsafe or cannot work.
    public func validate() throws(ConfigurationError) {
        try validateIdentity()
        if let publicURL, URL(string: publicURL)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
            throw ConfigurationError("--public-url must be the hub's http(s) address as callers reach it (got '\(Redacted.url(publicURL))')")
        }
        if twilioAuthToken != nil, publicURL == nil {
            throw ConfigurationError("--twilio-auth-token needs --public-url: Twilio signs its requests with the hub's public address (e.g. --public-url https://hub.example.com)")
        }
        try validateWebhooks()
        if let sipPort, !(0...65535).contains(sipPort) { throw ConfigurationError("--sip-port must be 0-65535") }
        if !(1...100_000).contains(sipMaxCalls) { throw ConfigurationError("--sip-max-calls must be 1-100000") }
        if !sipInvitesPerSecond.isFinite || !(0...10_000).contains(sipInvitesPerSecond) || (sipInvitesPerSecond > 0 && sipInvitesPerSecond < 0.01) {
            throw ConfigurationError("--sip-invites-per-second must be 0 (no limit) or 0.01-10000")
        }
        if let rtpTimeout, !(Duration.seconds(1)...Duration.seconds(86_400)).contains(rtpTimeout) {
            throw ConfigurationError("--rtp-timeout must be 1-86400 seconds, or 0 for none")
        }
        if sipPort != nil { _ = try sipAuthentication(advertisedHost: sipPublicHost ?? sipHost ?? host) }
        if sipPort != nil, sipPublicHost == nil, ["0.0.0.0", "::"].contains(sipHost ?? host) {
            throw ConfigurationError("--sip-public-host is needed when SIP listens on every address: callers must be told one IP to send media to")
        }
        guard (0...65535).contains(port) else { throw ConfigurationError("--port must be 0-65535") }
        for name in secrets.keys.sorted() where name.range(of: "^[a-z][a-z0-9_]{0,63}$", options: .regularExpression) == nil {
            throw ConfigurationError("--secret \(name)=…: a secret's name is lowercase letters, digits and '_', starting with a letter")
        }
        if let threads = eventLoopThreads, !(1...256).contains(threads) { throw ConfigurationError("--event-loops must be 1-256") }
        guard maxItemBytes >= 1 else { throw ConfigurationError("--max-item-bytes must be at least 1") }
        guard historyTurns >= 0 && historyTurns <= 100 else { throw ConfigurationError("--history-turns must be 0-100") }
        if let routerURL, URL(string: routerURL)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
            throw ConfigurationError("--router-url must be an http(s) URL of an OpenAI-compatible API (got '\(Redacted.url(routerURL))')")
        }
        if let masterKey {
            do {
                _ = try SecretBox(masterKey: masterKey)
            } catch {
                throw ConfigurationError(error.message)
            }
        }
        if let analysisURL, URL(string: analysisURL)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
            throw ConfigurationError("--analysis-url must be an http(s) URL of an OpenAI-compatible API (got '\(Redacted.url(analysisURL))')")
        }
        guard sttTimeout > .zero, sttTimeout <= .seconds(600) else { throw ConfigurationError("--stt-timeout must be more than 0 and at most 600 seconds") }
        if let stt, WyomingTranscriber(url: stt) == nil {
            throw ConfigurationError("--stt must be wyoming://HOST:PORT (a Wyoming speech-to-text server; got '\(Redacted.url(stt))')")
        }
        guard ttsTimeout > .zero, ttsTimeout <= .seconds(600) else { throw ConfigurationError("--tts-timeout must be more than 0 and at most 600 seconds") }
        if let tts, WyomingSynthesizer(url: tts) == nil {
            throw ConfigurationError("--tts must be wyoming://HOST:PORT (a Wyoming text-to-speech server; got '\(Redacted.url(tts))')")
        }
        if let ttsVoice {
            guard tts != nil else { throw ConfigurationError("--tts-voice needs --tts") }
            guard (1...200).contains(ttsVoice.count), !ttsVoice.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue ?? 32) < 32 }) else {
                throw ConfigurationError("--tts-voice must be a voice's name: 1-200 characters, no spaces (got '\(ttsVoice.prefix(200))')")
            }
        }
        guard sessions == "memory" || sessions.hasPrefix("redis://") else {
            throw ConfigurationError("--sessions must be memory or redis://host:port[/db] (got '\(Redacted.url(sessions))')")
        }
        switch model {
        case "local": break
        case "openai":
            if modelAPIKey == nil { throw ConfigurationError("--model openai needs --model-api-key (or OPENAI_API_KEY)") }
        case "azure":
            if modelAPIKey == nil || azureEndpoint == nil || modelDeployment == nil {
                throw ConfigurationError("--model azure needs --model-api-key, --azure-endpoint and --model-deployment")
            }
        default:
            if !(model.hasPrefix("ws://") || model.hasPrefix("wss://")) {
                throw ConfigurationError("--model must be local, openai, azure or a ws:// or wss:// URL (got '\(Redacted.url(model))')")
            }
        }
    }
}

/// A setting that cannot be used.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
