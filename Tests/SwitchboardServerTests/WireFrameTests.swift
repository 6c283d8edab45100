import NIOCore
import NIOEmbedded
import NIOWebSocket
import SwitchboardTesting
import Testing
@testable import OpenAIRealtime

/// The fast path's own WebSocket framing: `WireFrameParser` against NIO's decoder on the same
/// bytes cut at random places, every frame RFC 6455 forbids, the masking key built without
/// allocating, `FrameWire.frame`, and the buffer recycler.
@Suite struct WireFrameTests {
    /// A frame to encode: what a peer may send.
    struct Sample {
        var fin: Bool
        var opcode: WebSocketOpcode
        var key: WebSocketMaskingKey?
        var payload: [UInt8]
    }

    /// Lengths around each encoding boundary (7-bit, 16-bit, 64-bit) and the control limit.
    static let lengths = [0, 1, 7, 8, 9, 124, 125, 126, 127, 1000, 65535, 65536, 70000]

    static func randomSample(_ random: inout SplitMix64, controlAllowed: Bool = true) -> Sample {
        let opcodes: [WebSocketOpcode] = controlAllowed ? [.text, .binary, .continuation, .ping, .pong, .connectionClose] : [.text, .binary, .continuation]
        let opcode = opcodes[Int(random.next() % UInt64(opcodes.count))]
        var length = lengths[Int(random.next() % UInt64(lengths.count))]
        if opcode.isControlOpcode { length = min(length, 125) }
        let payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let key: WebSocketMaskingKey? = random.next() % 2 == 0 ? nil : WebSocketMaskingKey(networkBits: UInt32(truncatingIfNeeded: random.next()))
        return Sample(fin: opcode.isControlOpcode || random.next() % 4 != 0, opcode: opcode, key: key, payload: payload)
    }

    /// The frame's bytes on the wire (header, key, masked payload), written by hand from RFC 6455 §5.2.
    static func encode(_ sample: Sample) -> [UInt8] {
        var out: [UInt8] = [(sample.fin ? 0x80 : 0) | UInt8(webSocketOpcode: sample.opcode)]
        let maskBit: UInt8 = sample.key == nil ? 0 : 0x80
        let count = sample.payload.count
        if count < 126 {
            out.append(UInt8(count) | maskBit)
        } else if count <= 0xFFFF {
            out.append(126 | maskBit)
            out += [UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            out.append(127 | maskBit)
            out += (0..<8).reversed().map { UInt8((UInt64(count) >> (8 * UInt64($0))) & 0xFF) }
        }
        var payload = sample.payload
        if let key = sample.key {
            out += [key[0], key[1], key[2], key[3]]
            for i in payload.indices { payload[i] ^= key[i % 4] }
        }
        return out + payload
    }

    /// Parses `bytes` delivered in the given pieces.
    static func parse(_ pieces: [[UInt8]], maxFrameSize: Int = 1 << 20) throws -> [WireFrame] {
        var parser = WireFrameParser(maxFrameSize: maxFrameSize)
        var frames: [WireFrame] = []
        for piece in pieces {
            try parser.read(ByteBuffer(bytes: piece), allocator: ByteBufferAllocator()) { frames.append($0) }
        }
        return frames
    }

    /// `bytes` cut at random places (some pieces empty, some one byte).
    static func cut(_ bytes: [UInt8], _ random: inout SplitMix64) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let step = Int(random.next() % 4) == 0 ? Int(random.next() % 3) : Int(random.next() % 2000)
            let end = min(bytes.count, index + step)
            pieces.append(Array(bytes[index..<end]))
            index = end
        }
        return pieces
    }

    /// NIO's decoder on the same bytes: the oracle.
    static func nioDecode(_ pieces: [[UInt8]]) throws -> [WebSocketFrame] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        var frames: [WebSocketFrame] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(bytes: piece))
            while let frame = try channel.readInbound(as: WebSocketFrame.self) { frames.append(frame) }
        }
        _ = try channel.finish()
        return frames
    }

    @Test(arguments: 0..<40)
    func framesCutAnywhereParseLikeNIOsDecoder(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9 &+ 11)
        let samples = (0..<Int(1 + random.next() % 12)).map { _ in Self.randomSample(&random) }
        let bytes = samples.flatMap(Self.encode)
        let pieces = Self.cut(bytes, &random)
        let frames = try Self.parse(pieces)
        let oracle = try Self.nioDecode(pieces)
        #expect(frames.count == samples.count)
        #expect(oracle.count == samples.count)
        for (index, (frame, sample)) in zip(frames, samples).enumerated() {
            #expect(frame.fin == sample.fin, "frame \(index)")
            #expect(frame.opcode == sample.opcode, "frame \(index)")
            #expect(frame.maskKey == sample.key, "frame \(index)")
            #expect(Array(buffer: frame.frame.unmaskedData) == sample.payload, "frame \(index)")
            #expect(Array(buffer: frame.wire) == Self.encode(sample), "frame \(index): the wire bytes are the frame as sent")
            let nio = oracle[index]
            #expect(nio.fin == frame.fin && nio.opcode == frame.opcode && nio.maskKey == frame.maskKey)
            #expect(Array(buffer: nio.unmaskedData) == sample.payload)
        }
    }

    @Test func incompleteFrameWaitsForItsRest() throws {
        let bytes = Self.encode(Sample(fin: true, opcode: .text, key: [1, 2, 3, 4], payload: Array(repeating: 0x41, count: 300)))
        var parser = WireFrameParser(maxFrameSize: 1 << 20)
        var frames: [WireFrame] = []
        try parser.read(ByteBuffer(bytes: bytes[..<3]), allocator: ByteBufferAllocator()) { frames.append($0) }
        #expect(frames.isEmpty)
        #expect(parser.pendingBytes == 3)
        try parser.read(ByteBuffer(bytes: bytes[3..<100]), allocator: ByteBufferAllocator()) { frames.append($0) }
        #expect(frames.isEmpty)
        try parser.read(ByteBuffer(bytes: bytes[100...]), allocator: ByteBufferAllocator()) { frames.append($0) }
        #expect(frames.count == 1)
        #expect(parser.pendingBytes == 0)
        #expect(String(buffer: frames[0].frame.unmaskedData) == String(repeating: "A", count: 300))
    }

    /// Every header RFC 6455 §5.2 forbids is refused with the reason, before any payload is read.
    @Test(arguments: [
        ([0xC1, 0x00], "reserved bits"),                     // RSV1
        ([0xA1, 0x00], "reserved bits"),                     // RSV2
        ([0x91, 0x00], "reserved bits"),                     // RSV3
        ([0x83, 0x00], "unknown opcode 3"),
        ([0x87, 0x00], "unknown opcode 7"),
        ([0x8B, 0x00], "unknown opcode 11"),
        ([0x8F, 0x00], "unknown opcode 15"),
        ([0x09, 0x00], "fragmented control frame"),          // ping without FIN
        ([0x88, 0x7E, 0x00, 0x7E], "longer than 125"),       // close of 126 bytes
        ([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1], "most significant bit"),
    ] as [([UInt8], String)])
    func forbiddenHeadersAreRefused(header: [UInt8], reason: String) {
        #expect {
            _ = try Self.parse([header])
        } throws: { error in
            guard case WireFrameParser.Failure.protocolError(let text) = error else { return false }
            return text.contains(reason)
        }
    }

    @Test func framesLargerThanTheLimitAreRefusedFromTheirHeader() {
        // A 64-bit length of 2^40 announced in the header: refused without waiting for the bytes.
        let header: [UInt8] = [0x82, 0x7F, 0, 0, 0x01, 0, 0, 0, 0, 0]
        #expect(throws: WireFrameParser.Failure.tooLarge(1 << 40)) { _ = try Self.parse([header], maxFrameSize: 1024) }
        let big = Self.encode(Sample(fin: true, opcode: .text, key: nil, payload: Array(repeating: 1, count: 1025)))
        #expect(throws: WireFrameParser.Failure.tooLarge(1025)) { _ = try Self.parse([Array(big.prefix(4))], maxFrameSize: 1024) }
        #expect(throws: Never.self) { _ = try Self.parse([Self.encode(Sample(fin: true, opcode: .text, key: nil, payload: Array(repeating: 1, count: 1024)))], maxFrameSize: 1024) }
    }

    /// The key built from four bytes read big-endian is the key of those bytes in order (the
    /// construction relies on how `random(using:)` draws; this holds it to that).
    @Test func maskingKeyFromNetworkBitsIsTheKeyOfThoseBytes() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let bits = UInt32(truncatingIfNeeded: random.next())
            let bytes = [UInt8(bits >> 24), UInt8((bits >> 16) & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8(bits & 0xFF)]
            #expect(WebSocketMaskingKey(networkBits: bits) == WebSocketMaskingKey(bytes))
        }
    }

    @Test func framedBuffersDecodeWithNIO() throws {
        var random = SplitMix64(seed: 3)
        for length in Self.lengths {
            let payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            for key in [nil, WebSocketMaskingKey(networkBits: 0xA1B2_C3D4)] {
                let framed = FrameWire.frame(.binary, payload: ByteBuffer(bytes: payload), maskKey: key, allocator: ByteBufferAllocator())
                let frames = try Self.nioDecode([Array(buffer: framed)])
                #expect(frames.count == 1)
                #expect(frames.first?.opcode == .binary && frames.first?.fin == true && frames.first?.maskKey == key)
                #expect(frames.first.map { Array(buffer: $0.unmaskedData) } == payload)
            }
        }
    }

    @Test func unmaskedCopyIntoARecycledBufferReusesItsStorage() {
        var recycler = FrameWire.Recycler()
        var buffer = ByteBufferAllocator().buffer(capacity: 2048)
        buffer.writeString("old")
        recycler.keep(buffer)
        // Still referenced here (a write in flight): not taken.
        #expect(recycler.take() == nil)
        buffer = ByteBuffer()
        guard var taken = recycler.take() else {
            Issue.record("the buffer was not taken once its only reference was the recycler's")
            return
        }
        let before = taken.storageAddress
        let key = WebSocketMaskingKey(networkBits: 0x0102_0304)
        let masked = ByteBuffer(bytes: "hello".utf8.enumerated().map { $0.element ^ key[$0.offset % 4] })
        FrameWire.unmaskedCopy(masked, key: key, into: &taken)
        #expect(String(buffer: taken) == "hello")
        #expect(taken.readerIndex == FrameWire.headroom)
        #expect(taken.storageAddress == before)
        #expect(recycler.take() == nil)
    }

    @Test func recyclerKeepsFewAndSmallBuffers() {
        var recycler = FrameWire.Recycler()
        recycler.keep(ByteBufferAllocator().buffer(capacity: FrameWire.Recycler.largestKept + 1))
        #expect(recycler.take() == nil, "a large buffer is not kept")
        for _ in 0..<(FrameWire.Recycler.count + 3) { recycler.keep(ByteBufferAllocator().buffer(capacity: 64)) }
        var taken = 0
        while recycler.take() != nil { taken += 1 }
        #expect(taken == FrameWire.Recycler.count)
    }
}

extension ByteBuffer {
    /// Where the buffer's bytes live: the same storage, the same address.
    fileprivate var storageAddress: UInt {
        withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }
}
