import HTTPTypes
import Hummingbird
import NIOCore
import RealtimeProtocol
import SwitchboardPlatform

/// An admin API error as RFC 9457 problem details (`application/problem+json`): `type` names
/// the kind of problem (`urn:switchboard:problem:<code>`), `title` says it in words, `detail`
/// says what happened here, `status` repeats the HTTP status.
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var title: String
    var detail: String

    init(_ status: HTTPResponse.Status, _ code: String, _ title: String, _ detail: String) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
    }

    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not_found", "Not found", detail) }
    static func invalid(_ detail: String) -> Problem { Problem(.unprocessableContent, "invalid", "The request is not valid", detail) }
    static func conflict(_ detail: String) -> Problem { Problem(.conflict, "conflict", "It exists already", detail) }
    static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "forbidden", "Not allowed with this key", detail) }
    static let unauthorized = Problem(.unauthorized, "unauthorized", "No valid key",
                                      "Send 'Authorization: Bearer <key>' with the platform's admin key or a tenant's admin key.")

    /// A platform store failure as a problem; what is not the caller's doing is a 503 without details.
    init(_ error: PlatformError) {
        switch error.kind {
        case .notFound: self = .notFound(error.message)
        case .conflict: self = .conflict(error.message)
        case .invalid: self = .invalid(error.message)
        case .unavailable, .corrupt: self = Problem(.serviceUnavailable, "unavailable", "The platform store is unavailable", "Try again later.")
        }
    }

    var json: JSONObject {
        JSONObject([
            ("type", .string("urn:switchboard:problem:\(code)")), ("title", .string(title)), ("status", .int(status.code)), ("detail", .string(detail)),
        ])
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(json).jsonString + "\n")))
    }
}
