import Logging
import ServiceLifecycle
import SwitchboardCore
import SwitchboardRedis

/// Runs for the life of the hub beside the server: hands takeover notices from other replicas to
/// the sessions live here, and closes the store's connections last, once every session has saved.
struct SessionStoreService: Service {
    let store: any SessionStore
    let live: LiveSessions
    let replicaID: String
    /// The Redis connections to close at the end, when the store is Redis.
    let redis: RedisClient?
    let logger: Logger

    func run() async throws {
        // Listens until the hub shuts down; a notice stream that ends early is opened again.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let notices = await store.takeovers(owner: replicaID)
            for await key in notices.cancelOnGracefulShutdown() {
                logger.info("session taken over by another replica", metadata: ["session.key": "\(SessionKey(key)?.redacted ?? "?")"])
                live.takeOver(key)
            }
            if !Task.isShuttingDownGracefully { try? await Task.sleep(for: .milliseconds(200)) }
        }
        if let redis {
            do {
                try await redis.shutdown()
            } catch {
                logger.warning("closing the Redis connections failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
