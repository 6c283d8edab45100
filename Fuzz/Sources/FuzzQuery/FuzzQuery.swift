// The `/realtime` request a client opens: ConnectionRequest.query(of:), percentDecode, path(of:),
// ConnectionRequest(uri:headers:apiKeys:) with its session key, dialect header, subprotocols and
// API-key checks.
//
// Input: the request target on the first line, then `Name: value` header lines.
import FuzzSupport
import NIOHTTP1
import RealtimeProtocol
@testable import SwitchboardServer
import SwitchboardCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let lines = split(bytes(data, size), separator: [0x0A], limit: 16)
    let uri = String(decoding: lines.first ?? [], as: UTF8.self)
    var headers = HTTPHeaders()
    for line in lines.dropFirst() {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { continue }
        let name = String(text[..<colon])
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { continue }
        headers.add(name: name, value: String(text[text.index(after: colon)...].drop { $0 == " " }))
    }
    _ = ConnectionRequest.path(of: uri)
    for (name, value) in ConnectionRequest.query(of: uri) {
        _ = SessionKey(name)
        _ = SessionKey(value)
    }
    _ = ConnectionRequest.percentDecode(uri)
    _ = Dialect.fromBetaHeader(headers["OpenAI-Beta"].first)
    for apiKeys in [[], ["sk-fuzz-key"]] {
        let request = ConnectionRequest(uri: uri, headers: headers, apiKeys: apiKeys)
        _ = request.refusalError?.event
        _ = request.sessionKey.redacted
    }
    return 0
}
