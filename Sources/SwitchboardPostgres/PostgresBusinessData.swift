/// Settings shared by every PostgreSQL pack database.
public enum PostgresBusinessData {
    /// How the pool connects.
    public struct Options: Sendable {
        /// How long an operation waits for a connection (when the server is down, for example)
        /// before it fails with `DataError.unavailable`.
        public var connectionTimeout: Duration
        /// The most connections this replica opens.
        public var maximumConnections: Int

        public init(connectionTimeout: Duration = .seconds(5), maximumConnections: Int = 10) {
            self.connectionTimeout = connectionTimeout
            self.maximumConnections = maximumConnections
        }
    }
}
