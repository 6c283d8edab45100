// JSONParser (every client frame the relay cannot forward untouched), the writer, number access
// (`intValue`/`doubleValue`, which the hub uses for rates, offsets, counts) and RealtimeEvent.decode.
import FuzzSupport
import NIOCore
import RealtimeProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(input) else {
        _ = RealtimeEvent.decoding(ByteBuffer(bytes: input))
        return 0
    }
    // What the parser accepts, the writer writes and the parser reads back to the same value.
    let written = value.jsonBytes
    guard let reread = try? JSONParser.parse(written) else {
        invariant(false, "the parser refuses the writer's output: \(String(decoding: written, as: UTF8.self))")
        return 0
    }
    invariant(reread.jsonBytes == written, "write(parse(write(v))) != write(v)")
    visit(value, depth: 0)
    // The same bytes as a client event.
    if case .success(let event) = RealtimeEvent.decoding(ByteBuffer(bytes: input)) {
        _ = event.type
        _ = event.eventID
        _ = event.encoded()
        _ = event.hashValue
    }
    return 0
}

/// Touches every accessor the hub uses on values it reads from clients.
private func visit(_ value: JSONValue, depth: Int) {
    _ = value.intValue
    _ = value.doubleValue
    _ = value.stringValue
    _ = value.boolValue
    _ = value.isNull
    _ = value.hashValue
    switch value {
    case .array(let values):
        for element in values { visit(element, depth: depth + 1) }
    case .object(let object):
        _ = object.keys
        for (key, member) in object {
            _ = object[key]
            visit(member, depth: depth + 1)
        }
        _ = AudioFormat(json: value)
        _ = SessionConfig.dialect(of: object)
    case .string:
        _ = AudioFormat(json: value)
    default:
        break
    }
}
