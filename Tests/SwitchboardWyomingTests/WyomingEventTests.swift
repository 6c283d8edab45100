import NIOCore
import RealtimeProtocol
import SwitchboardTesting
import SwitchboardWyoming
import Testing

/// The Wyoming wire format: what this client writes, and what it reads from any peer, in any
/// pieces, with every length bounded.
@Suite("Wyoming events on the wire")
struct WyomingEventTests {
    private func decodeAll(_ bytes: [UInt8], pieces: [Int]) throws -> [WyomingEvent] {
        var decoder = WyomingEventDecoder()
        var buffer = ByteBuffer()
        var events: [WyomingEvent] = []
        var rest = bytes[...]
        for size in pieces + [rest.count] where !rest.isEmpty {
            buffer.writeBytes(rest.prefix(max(1, size)))
            rest = rest.dropFirst(max(1, size))
            while let event = try decoder.decode(buffer: &buffer) { events.append(event) }
        }
        #expect(buffer.readableBytes == 0)
        return events
    }

    private func wire(_ events: [WyomingEvent]) -> [UInt8] {
        var buffer = ByteBuffer()
        for event in events { event.write(into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    @Test("a written event is a header line, its data, its payload; and reads back the same")
    func roundTrip() throws {
        let chunk = WyomingEvent(type: "audio-chunk", data: JSONObject([("rate", .int(16_000)), ("width", .int(2)), ("channels", .int(1))]),
                                 payload: [1, 2, 3, 10, 255])
        let bytes = wire([chunk])
        let newline = try #require(bytes.firstIndex(of: UInt8(ascii: "\n")))
        let header = try #require(try JSONParser.parse(bytes[..<newline]).objectValue)
        #expect(header["type"] == .string("audio-chunk"))
        #expect(header["payload_length"] == .int(5))
        let dataLength = try #require(header["data_length"]?.intValue)
        #expect(try JSONParser.parse(bytes[(newline + 1)..<(newline + 1 + dataLength)])["rate"] == .int(16_000))
        #expect(Array(bytes.suffix(5)) == [1, 2, 3, 10, 255])
        #expect(try decodeAll(bytes, pieces: []) == [chunk])
        // No data and no payload: the header alone.
        #expect(String(decoding: wire([WyomingEvent(type: "audio-stop")]), as: UTF8.self) == #"{"type":"audio-stop","version":"\#(WyomingEvent.version)"}"# + "\n")
    }

    @Test("an older peer's inline data is read, and merged with data that follows")
    func inlineData() throws {
        let bytes = Array(#"{"type":"transcript","data":{"text":"hello","x":1}}"#.utf8) + [10]
            + Array(#"{"type":"info","data":{"a":1},"data_length":7}"#.utf8) + [10] + Array(#"{"b":2}"#.utf8)
        let events = try decodeAll(bytes, pieces: [])
        #expect(events.map(\.type) == ["transcript", "info"])
        #expect(events[0].data["text"] == .string("hello"))
        #expect(events[1].data["a"] == .int(1) && events[1].data["b"] == .int(2))
    }

    @Test("property: events read the same whatever pieces the bytes arrive in", arguments: 0..<40)
    func anyPieces(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed))
        var events: [WyomingEvent] = []
        for index in 0..<Int(random.next() % 6 + 1) {
            let payload = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let data: JSONObject = random.next() % 2 == 0 ? JSONObject() : JSONObject([("n", .int(index)), ("text", .string("é \n\"q\""))])
            events.append(WyomingEvent(type: "event-\(index)", data: data, payload: payload))
        }
        let bytes = wire(events)
        let pieces = (0..<20).map { _ in Int(random.next() % 40) }
        #expect(try decodeAll(bytes, pieces: pieces) == events)
    }

    @Test("bad input is a clear error, found before the bytes it announces arrive", arguments: [
        (#"not json"#, "a header that is not JSON"),
        (#"[1,2]"#, "a header that is not a JSON object"),
        (#"{"data":{}}"#, "a header without a 'type'"),
        (#"{"type":""}"#, "a header without a 'type'"),
        (#"{"type":"x","data_length":-1}"#, "'data_length' is not a length"),
        (#"{"type":"x","data_length":"7"}"#, "'data_length' is not a length"),
        (#"{"type":"x","payload_length":99999999999}"#, "'payload_length' 99999999999 is over 16777216 bytes"),
        (#"{"type":"x","data_length":2000000}"#, "'data_length' 2000000 is over 1048576 bytes"),
    ])
    func badHeaders(_ header: String, _ message: String) {
        var decoder = WyomingEventDecoder()
        var buffer = ByteBuffer(bytes: Array(header.utf8) + [10])
        #expect {
            _ = try decoder.decode(buffer: &buffer)
        } throws: { error in
            (error as? WyomingProtocolError)?.description.hasPrefix(message) == true
        }
    }

    @Test("data that is not an object, and a header line that never ends, are errors")
    func badDataAndEndlessHeader() {
        var decoder = WyomingEventDecoder()
        var buffer = ByteBuffer(bytes: Array(#"{"type":"x","data_length":3}"#.utf8) + [10] + Array("[1]".utf8))
        #expect(throws: WyomingProtocolError.self) { _ = try decoder.decode(buffer: &buffer) }
        var endless = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "a"), count: WyomingEventDecoder.maximumHeader + 1))
        #expect(throws: WyomingProtocolError.self) { _ = try decoder.decode(buffer: &endless) }
    }

    @Test("wyoming:// and tcp:// addresses; anything else is refused", arguments: [
        ("wyoming://127.0.0.1:10300", "127.0.0.1", 10300),
        ("tcp://localhost:1", "localhost", 1),
        ("wyoming://[::1]:10300", "::1", 10300),
    ])
    func addresses(_ url: String, _ host: String, _ port: Int) throws {
        let transcriber = try #require(WyomingTranscriber(url: url))
        #expect(transcriber.host == host && transcriber.port == port)
    }

    @Test("bad addresses", arguments: ["http://127.0.0.1:10300", "wyoming://127.0.0.1", "wyoming://:10300", "wyoming://h:0", "wyoming://h:70000", "wyoming://h:x", ""])
    func badAddresses(_ url: String) {
        #expect(WyomingTranscriber(url: url) == nil)
    }
}
