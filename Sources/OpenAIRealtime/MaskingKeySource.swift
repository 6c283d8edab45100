#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOWebSocket

#if canImport(Glibc)
/// The kernel's random source, opened once for the process.
private let urandom: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
#endif

/// Masking keys for frames sent to a model, from the kernel's random source, read 512 at a
/// time so a frame costs no system call (`WebSocketMaskingKey.random()` makes one per key) and
/// no allocation (building a key from a slice of the pool cost two allocations per frame).
struct MaskingKeySource {
    private var pool = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096

    /// The next 4 bytes of the pool, as a key.
    mutating func key() -> WebSocketMaskingKey {
        if offset + 4 > pool.count { refill() }
        defer { offset += 4 }
        return WebSocketMaskingKey(networkBits: pool.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) })
    }

    private mutating func refill() {
        pool.withUnsafeMutableBytes { raw in
            #if canImport(Glibc)
            var filled = 0
            while filled < raw.count {
                let n = read(urandom, raw.baseAddress! + filled, raw.count - filled)
                if n > 0 { filled += n } else if errno != EINTR { break }
            }
            if filled < raw.count {
                var generator = SystemRandomNumberGenerator()
                for i in filled..<raw.count { raw[i] = UInt8.random(in: 0...255, using: &generator) }
            }
            #else
            arc4random_buf(raw.baseAddress!, raw.count)
            #endif
        }
        offset = 0
    }
}
