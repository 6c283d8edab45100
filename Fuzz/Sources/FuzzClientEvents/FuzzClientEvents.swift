// Client events as the relay hands them to the conversation: decode, route by type, then
// Conversation.handle — `session.update` (both dialects, audio formats, tools, turn detection)
// translated into the model's dialect, `response.create`, `conversation.item.create`, truncation.
//
// Input: one options byte (bit 0: the client speaks beta, bit 1: the model speaks beta, bit 2:
// hub events), then one client event per line.
import FuzzSupport
import NIOCore
import RealtimeProtocol
import SwitchboardCore

private let agent = AgentProfile(
    name: "concierge", description: "front desk", instructions: "You are the concierge.", voice: "alloy",
    tools: [.object(["type": .string("function"), "name": .string("lookup_booking"), "parameters": .object([:])])])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(bytes(data, size))
    let options = reader.byte()
    let clientDialect: Dialect = options & 1 == 0 ? .ga : .beta
    let modelDialect: Dialect = options & 2 == 0 ? .ga : .beta
    var conversation = Conversation(
        configuration: .init(sessionKey: "+15551234567", hubEvents: options & 4 != 0, requestedModel: "gpt-realtime",
                             modelDialect: modelDialect, historyTurns: 3, hubTools: ["lookup_booking"]),
        state: SessionState(key: "+15551234567", activeAgent: "concierge"), agent: agent, clientDialect: clientDialect,
        resumed: false)
    var actions = conversation.handle(.started)
    for line in split(reader.rest(), separator: [0x0A], limit: 32) {
        guard case .success(let event) = RealtimeEvent.decoding(ByteBuffer(bytes: line)) else { continue }
        let route = EventRoute.client(event.type)
        if let session = event["session"]?.objectValue { translate(session) }
        guard route != .forward else { continue }
        actions += conversation.handle(.client(event, route: route))
    }
    actions += conversation.handle(.clientClosed)
    for action in actions {
        switch action {
        case .sendToClient(let event), .sendToModel(let event): _ = event.encoded()
        default: break
        }
    }
    return 0
}

/// A session object read in each dialect and written in both, as the hub translates it.
private func translate(_ session: JSONObject) {
    _ = SessionConfig.dialect(of: session)
    for dialect in Dialect.allCases {
        guard let config = try? SessionConfig(json: session, dialect: dialect) else { continue }
        var merged = SessionConfig()
        merged.merge(config)
        for out in Dialect.allCases {
            let written = config.json(in: out)
            _ = JSONValue.object(written).jsonBytes
            if out == dialect {
                // What the hub writes in a dialect it can read back in that dialect.
                invariant((try? SessionConfig(json: written, dialect: out)) != nil,
                          "SessionConfig refuses its own \(out) output: \(written.jsonString)")
            }
        }
    }
}
