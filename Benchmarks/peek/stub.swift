public struct ByteBuffer {
    public var bytes: [UInt8]
    public init(string: String) { bytes = Array(string.utf8) }
    public func withUnsafeReadableBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T { try bytes.withUnsafeBytes(body) }
}
