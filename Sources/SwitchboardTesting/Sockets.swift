#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small blocking socket helpers that do not go through the code under test.
public enum Sockets {
    /// A TCP port nobody listens on right now: bind port 0 on the loopback, read it, close.
    public static func freePort() throws -> Int {
        let socket = try makeSocket()
        defer { close(socket) }
        var address = loopback(port: 0)
        guard withSockaddr(&address, { bind(socket, $0, $1) }) == 0 else { throw SocketError("bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafeMutablePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }) == 0 else { throw SocketError("getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something on `port` answers `PING` like Redis (`+PONG`, or `-NOAUTH` when it wants a password).
    public static func answersPing(port: Int) -> Bool {
        guard let socket = try? makeSocket() else { return false }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        guard withSockaddr(&address, { connect(socket, $0, $1) }) == 0 else { return false }
        let ping = Array("PING\r\n".utf8)
        guard send(socket, ping, ping.count, 0) == ping.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(socket, &buffer, buffer.count, 0)
        guard count > 0 else { return false }
        let reply = String(decoding: buffer[..<count], as: UTF8.self)
        return reply.hasPrefix("+PONG") || reply.hasPrefix("-NOAUTH")
    }

    /// A listening socket that never accepts nor answers: connections succeed, commands time out.
    public static func silentListener() throws -> (socket: Int32, port: Int) {
        let socket = try makeSocket()
        var address = loopback(port: 0)
        guard withSockaddr(&address, { bind(socket, $0, $1) }) == 0, listen(socket, 16) == 0 else {
            close(socket)
            throw SocketError("bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func makeSocket() throws -> Int32 {
        #if canImport(Glibc) || canImport(Musl)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw SocketError("socket: errno \(errno)") }
        return socket
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    private static func withSockaddr(_ address: inout sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

public struct SocketError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
