import NIOCore
import RealtimeProtocol

/// One event of the Wyoming protocol, the local speech servers' protocol of the Home Assistant
/// ecosystem: a JSON header line (`type`, `version`, `data_length`, `payload_length`, and in
/// older peers an inline `data`), then `data_length` bytes of JSON data, then `payload_length`
/// bytes of binary payload (audio).
public struct WyomingEvent: Sendable, Hashable {
    public var type: String
    public var data: JSONObject
    public var payload: [UInt8]

    public init(type: String, data: JSONObject = JSONObject(), payload: [UInt8] = []) {
        self.type = type
        self.data = data
        self.payload = payload
    }

    /// The protocol version this client speaks (the `wyoming` package's).
    public static let version = "1.5.2"

    /// The event on the wire: header line, data, payload.
    public func write(into buffer: inout ByteBuffer) {
        var header = JSONObject([("type", .string(type)), ("version", .string(Self.version))])
        let dataBytes = data.isEmpty ? [] : JSONValue.object(data).jsonBytes
        if !dataBytes.isEmpty { header["data_length"] = .int(dataBytes.count) }
        if !payload.isEmpty { header["payload_length"] = .int(payload.count) }
        buffer.writeBytes(JSONValue.object(header).jsonBytes)
        buffer.writeInteger(UInt8(ascii: "\n"))
        buffer.writeBytes(dataBytes)
        buffer.writeBytes(payload)
    }
}

/// What is wrong with what a Wyoming peer sent.
public struct WyomingProtocolError: Error, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads Wyoming events from a byte stream, whatever the pieces it arrives in. Every length is
/// bounded before it is waited for, so a peer cannot make the reader hold more than
/// ``maximumHeader`` + ``maximumData`` + ``maximumPayload`` bytes.
public struct WyomingEventDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = WyomingEvent

    /// The longest header line, data and payload accepted.
    public static let maximumHeader = 64 * 1024
    public static let maximumData = 1024 * 1024
    public static let maximumPayload = 16 * 1024 * 1024

    /// The longest payload this decoder accepts: ``maximumPayload`` or less.
    public let payloadLimit: Int

    /// A decoder accepting payloads of at most `payloadLimit` bytes (capped at ``maximumPayload``).
    public init(payloadLimit: Int = WyomingEventDecoder.maximumPayload) {
        self.payloadLimit = max(0, min(payloadLimit, Self.maximumPayload))
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> WyomingEvent? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumHeader { throw WyomingProtocolError("a header line longer than \(Self.maximumHeader) bytes") }
            return nil
        }
        let headerLength = newline - view.startIndex
        guard headerLength <= Self.maximumHeader else { throw WyomingProtocolError("a header line longer than \(Self.maximumHeader) bytes") }
        let header: JSONObject
        do {
            guard let object = try JSONParser.parse(view[view.startIndex..<newline]).objectValue else {
                throw WyomingProtocolError("a header that is not a JSON object")
            }
            header = object
        } catch let error as WyomingProtocolError {
            throw error
        } catch {
            throw WyomingProtocolError("a header that is not JSON: \(error)")
        }
        guard let type = header["type"]?.stringValue, !type.isEmpty else { throw WyomingProtocolError("a header without a 'type'") }
        let dataLength = try Self.length(header["data_length"], named: "data_length", maximum: Self.maximumData)
        let payloadLength = try Self.length(header["payload_length"], named: "payload_length", maximum: payloadLimit)
        let total = headerLength + 1 + dataLength + payloadLength
        guard buffer.readableBytes >= total else { return nil }

        buffer.moveReaderIndex(forwardBy: headerLength + 1)
        var data = header["data"]?.objectValue ?? JSONObject()
        if dataLength > 0 {
            let bytes = buffer.readBytes(length: dataLength) ?? []
            guard let extra = (try? JSONParser.parse(bytes))?.objectValue else {
                throw WyomingProtocolError("event '\(type)': its data is not a JSON object")
            }
            for (key, value) in extra.members { data[key] = value }
        }
        let payload = payloadLength > 0 ? buffer.readBytes(length: payloadLength) ?? [] : []
        return WyomingEvent(type: type, data: data, payload: payload)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> WyomingEvent? {
        try decode(buffer: &buffer)
    }

    private static func length(_ value: JSONValue?, named name: String, maximum: Int) throws -> Int {
        guard let value, value != .null else { return 0 }
        guard let length = value.intValue, length >= 0 else { throw WyomingProtocolError("'\(name)' is not a length") }
        guard length <= maximum else { throw WyomingProtocolError("'\(name)' \(length) is over \(maximum) bytes") }
        return length
    }
}
