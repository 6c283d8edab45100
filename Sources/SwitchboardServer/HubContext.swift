import Foundation
import Logging
import OpenAIRealtime
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardCore
import SwitchboardData
import SwitchboardTools

/// What every session shares: settings, agents, tools and their data, the model, the store,
/// metrics.
public struct HubContext: Sendable {
    public let configuration: HubConfiguration
    public let catalog: PersonaCatalog
    public let model: any RealtimeModel
    public let store: any SessionStore
    public let metrics: HubMetrics
    public let logger: Logger
    /// The tools agents call, loaded once: every session sees the same snapshot.
    public let tools: ToolRegistry
    /// Picks the agent for each utterance.
    public let router: any UtteranceRouter
    /// The packs with their data; none when serving the model alone.
    public let packs: HubPacks?
    /// A model that classifies utterances ahead of the offline router, when configured.
    public let classifier: (any UtteranceClassifier)?
    /// The sessions live on this replica.
    let live = LiveSessions()
    /// The phone calls live on this replica that clients can follow.
    let feeds = CallFeeds()
    /// Twilio's answering machine detection results for calls live here.
    let machineReports = MachineReports()
    /// The leases of the sessions live here, renewed together.
    let leases = LeaseRenewer()
    /// Client connections open, against `--max-connections` and `--max-connections-per-ip`.
    let connections: ConnectionLimiter
    /// Sessions live here, against `--max-sessions`.
    let sessionSlots: SessionSlots
    /// API keys and client secrets: who a connection is.
    let identity: IdentityPolicy
    /// Which web pages may open WebSockets.
    let origins: OriginPolicy
    /// Sessions and calls per key.
    let keyLimits: KeyRateLimiter
    /// The call records and their webhooks; in memory until the hub opens its call store.
    var calls: CallLog
    /// What calls cost (`--prices`); nothing by default.
    var prices = CallPrices()
    /// The running SIP bridge (`--sip-port`), for transfers of its calls.
    var sip: SIPBridge?
    /// Tenants and their configuration (`/admin/v1`), when the hub keeps SQLite data.
    var platform: PlatformContext?
    /// The chat model that analyses ended calls (`--analysis-url`); nil: the rules do.
    var analyst: ChatCompletionsAnalyst? {
        guard let text = configuration.analysisURL, let url = URL(string: text) else { return nil }
        return ChatCompletionsAnalyst(baseURL: url, model: configuration.analysisModel, apiKey: configuration.analysisAPIKey)
    }

    public init(configuration: HubConfiguration, catalog: PersonaCatalog, model: any RealtimeModel, store: any SessionStore,
                metrics: HubMetrics, logger: Logger, tools: ToolRegistry, router: any UtteranceRouter, packs: HubPacks?,
                classifier: (any UtteranceClassifier)? = nil) {
        self.configuration = configuration
        self.catalog = catalog
        self.model = model
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.tools = tools
        self.router = router
        self.packs = packs
        self.classifier = classifier
        self.connections = ConnectionLimiter(maxTotal: configuration.relay.maxConnections, maxPerIP: configuration.relay.maxConnectionsPerIP)
        self.sessionSlots = SessionSlots(limit: configuration.relay.maxSessions)
        self.identity = IdentityPolicy(configuration: configuration)
        self.origins = OriginPolicy(configuration: configuration)
        self.keyLimits = KeyRateLimiter(maxSessions: configuration.keyMaxSessions, sessionsPerSecond: configuration.keySessionsPerSecond,
                                        callsPerMinute: configuration.keyCallsPerMinute)
        self.calls = CallLog(store: MemoryCallStore(), webhooks: CallLog.Webhooks(), metrics: metrics, logger: logger)
    }

    /// Every agent as a session of `customer` sees it: instructions filled in, tools as
    /// function definitions from the registry.
    public func agentProfiles(for customer: Customer) -> [String: AgentProfile] {
        var profiles: [String: AgentProfile] = [:]
        for persona in catalog.personas {
            var profile = persona.profile(for: customer)
            profile.tools = persona.tools.compactMap { tools.spec(named: $0.name)?.functionTool }
            profiles[persona.name] = profile
        }
        return profiles
    }

    /// The customer a session belongs to, from what proved it (see ``CustomerSource``): the
    /// demo customer only on an open hub; a verified caller's number looked up in the business
    /// data (an unknown number is a guest); a name filled in from the business data when the
    /// proof gave only the id.
    func resolveCustomer(_ source: CustomerSource, saved: Customer, logger: Logger) async -> Customer {
        var customer: Customer
        switch source {
        case .demo:
            customer = Customer(name: nil, id: configuration.demoCustomerID)
        case .proven(let given):
            customer = given
        case .saved:
            customer = saved
        case .guest:
            return Customer()
        case .phone(let number):
            guard let pack = packs?.main else { return Customer() }
            do {
                guard let record = try await pack.customer(phone: number) else { return Customer() }
                return Customer(name: record.name, id: record.id)
            } catch {
                logger.warning("could not look the caller up", metadata: ["error": "\(error)"])
                return Customer()
            }
        }
        guard customer.name == nil, let id = customer.id, let pack = packs?.main else { return customer }
        do {
            customer.name = try await pack.customer(id: id)?.name
        } catch {
            logger.warning("could not look up the customer", metadata: ["error": "\(error)"])
        }
        return customer
    }
}
