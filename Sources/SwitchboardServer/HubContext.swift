import Logging
import SwitchboardAgents
import SwitchboardCore

/// What every session shares: settings, agents, the model, the store, metrics.
public struct HubContext: Sendable {
    public let configuration: HubConfiguration
    public let catalog: PersonaCatalog
    public let model: any RealtimeModel
    public let store: any SessionStore
    public let metrics: HubMetrics
    public let logger: Logger

    public init(configuration: HubConfiguration, catalog: PersonaCatalog, model: any RealtimeModel, store: any SessionStore,
                metrics: HubMetrics, logger: Logger) {
        self.configuration = configuration
        self.catalog = catalog
        self.model = model
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }
}
