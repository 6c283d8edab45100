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

/// Masking keys for frames sent to a model, from the kernel's random source, read 256 at a
/// time so a frame costs no system call (`WebSocketMaskingKey.random()` makes one per key).
struct MaskingKeySource {
    private var pool = [UInt8](repeating: 0, count: 1024)
    private var next = 1024

    mutating func key() -> WebSocketMaskingKey {
        if next + 4 > pool.count { refill() }
        defer { next += 4 }
        return WebSocketMaskingKey(pool[next..<(next + 4)])!
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
        next = 0
    }
}
