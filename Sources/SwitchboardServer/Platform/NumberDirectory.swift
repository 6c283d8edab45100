import Foundation
import Logging
import NIOConcurrencyHelpers
import SwitchboardPlatform

/// Which tenant and agent a dialled number reaches: read through from the platform store and
/// cached until the store's version moves (checked at most every 2 s, so a number bound or
/// unbound on any replica is followed within that). A hub with no number bound serves one
/// business: calls are not routed. Once numbers are bound, a number that is not is refused.
final class NumberDirectory: Sendable {
    enum Route: Sendable, Equatable {
        /// No number is bound anywhere: the hub's own packs answer.
        case unrouted
        case tenant(tenantID: String, agent: String)
        /// Numbers are bound, this one is not (or the call says none).
        case unknown
        /// The platform store cannot be read: refused rather than sent to the wrong business.
        case unavailable
    }

    private struct Cache {
        var version: Int64?
        var checked: ContinuousClock.Instant?
        var anyBound = false
        var routes: [String: Route] = [:]
    }

    private let store: any PlatformStore
    private let logger: Logger
    private let cache = NIOLockedValueBox(Cache())
    static let recheck: Duration = .seconds(2)

    init(store: any PlatformStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func route(_ dialled: String?) async -> Route {
        do {
            try await refresh()
            let (anyBound, cached) = cache.withLockedValue { cache in (cache.anyBound, dialled.flatMap { cache.routes[$0] }) }
            guard anyBound else { return .unrouted }
            guard let dialled, let number = NumberBinding.normalized(dialled) else { return .unknown }
            if let cached { return cached }
            let route: Route = try await store.binding(of: number).map { .tenant(tenantID: $0.tenantID, agent: $0.agent) } ?? .unknown
            cache.withLockedValue { cache in
                if cache.routes.count > 10_000 { cache.routes.removeAll() }
                cache.routes[dialled] = route
            }
            return route
        } catch {
            logger.error("the number directory cannot be read; the call is refused", metadata: ["error": "\(error)"])
            return .unavailable
        }
    }

    /// Drops the cache when the store changed since it was filled.
    private func refresh() async throws {
        let now = ContinuousClock.now
        let due = cache.withLockedValue { cache in cache.checked.map { now - $0 >= Self.recheck } ?? true }
        guard due else { return }
        let version = try await store.version()
        guard cache.withLockedValue({ $0.version }) != version else {
            cache.withLockedValue { $0.checked = now }
            return
        }
        let anyBound = try await store.numberCount() > 0
        cache.withLockedValue { cache in
            cache = Cache(version: version, checked: now, anyBound: anyBound, routes: [:])
        }
    }
}
