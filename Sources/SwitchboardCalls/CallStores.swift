import Logging
import SwitchboardData
import SwitchboardPostgres

/// Picks the call store for a hub's `--data`: in memory without one, an SQLite file beside
/// PATH for `sqlite:PATH` (`SQLiteCallStore.path(forDataPath:)`), the `switchboard_calls` schema
/// for `postgres://…`.
public enum CallStores {
    /// The store for `data` (`nil`: a `MemoryCallStore` keeping at most `memoryRecords` records).
    /// Throws `CallStoreError(.unavailable)` for a location that is not `sqlite:` or `postgres://`
    /// (the message never shows the password), and what the store's opening throws.
    public static func open(
        data: String?, memoryRecords: Int = 10_000, options: PostgresBusinessData.Options = .init(), logger: Logger
    ) async throws -> any CallStore {
        guard let data else { return MemoryCallStore(maximumRecords: memoryRecords) }
        let location: DataLocation
        do {
            location = try DataLocation(parsing: data)
        } catch {
            throw CallStoreError(error)
        }
        switch location {
        case .sqlite(let path):
            return try await SQLiteCallStore.open(path: SQLiteCallStore.path(forDataPath: path))
        case .postgres(let url):
            return try await PostgresCallStore.connect(url: url, options: options, logger: logger)
        }
    }
}
