import NIOCore
import NIOPosix
import SwitchboardWyoming

/// A loopback listener speaking Wyoming's framing, for the fake servers of these tests: each
/// connection is handed to the server's own `answer`.
final class WyomingTestListener: Sendable {
    typealias Connection = NIOAsyncChannel<WyomingEvent, ByteBuffer>

    private let channel: NIOAsyncChannel<Connection, Never>

    /// The port it listens on (127.0.0.1).
    var port: Int { channel.channel.localAddress?.port ?? 0 }

    init() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(WyomingEventDecoder()))
                    return try Connection(wrappingChannelSynchronously: child)
                }
            }
    }

    /// Accepts connections until the task is cancelled, each answered by `answer` (its errors
    /// end that connection only).
    func serve(_ answer: @escaping @Sendable (Connection) async throws -> Void) async throws {
        try await channel.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask { try? await answer(connection) }
                }
            }
        }
    }
}
