import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardCalls

/// `GET /v1/calls` and `GET /v1/calls/{id}`: the call records, for admin keys (anyone on an
/// open loopback hub).
///
/// The list is newest first, a page at a time: `{"object": "list", "data": [...], "next": cursor}`
/// (`next` is `null` on the last page). Filters: `started_after` / `started_before` (RFC 3339 or
/// Unix seconds), `number` (the call's from or to), `outcome` (an end reason, or `ongoing`),
/// `channel`, `direction`, `pack`; `limit` 1–100 (default 20); `cursor` the previous page's `next`.
enum CallsAPI {
    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.get("/v1/calls") { request, _ -> Response in
            do {
                try authorize(request, hub: hub)
                let query = try Self.query(ConnectionRequest.query(of: request.uri.description))
                let page = try await hub.calls.store.records(query)
                return ClientSecretRoute.json(.ok, JSONObject([
                    ("object", .string("list")), ("data", .array(page.data.map(\.json))), ("next", page.next.map { .string($0) } ?? .null),
                ]))
            } catch {
                return failure(error, hub: hub).response
            }
        }
        router.get("/v1/calls/:id") { request, context -> Response in
            do {
                try authorize(request, hub: hub)
                let id = context.parameters.get("id") ?? ""
                guard CallRecord.isID(id), let record = try await hub.calls.store.record(id: id) else {
                    throw HTTPFailure(.notFound, "invalid_request_error", "call_not_found", "No call record has this id.", param: "id")
                }
                return ClientSecretRoute.json(.ok, record.json.objectValue ?? JSONObject())
            } catch {
                return failure(error, hub: hub).response
            }
        }
    }

    private static func authorize(_ request: Request, hub: HubContext) throws {
        switch hub.identity.scope(of: KeyStore.presented(fields: request.headers)) {
        case .admin?:
            return
        case nil:
            throw HTTPFailure(.unauthorized, "invalid_request_error", "invalid_api_key", "Missing or wrong API key: send 'Authorization: Bearer <admin key>'.")
        case let scope?:
            throw HTTPFailure(.forbidden, "invalid_request_error", "insufficient_scope", "Call records need an admin key (--admin-key); this key's scope is \(scope).")
        }
    }

    private static func failure(_ error: any Error, hub: HubContext) -> HTTPFailure {
        if let failure = error as? HTTPFailure { return failure }
        if let error = error as? CallStoreError, error.kind == .badCursor {
            return .badRequest("invalid_cursor", "The cursor is not one this hub gave: pass the 'next' of the previous page as it came.", param: "cursor")
        }
        hub.metrics.error("call_records_unavailable")
        hub.logger.error("could not read call records", metadata: ["error": "\(error)"])
        return HTTPFailure(.serviceUnavailable, "server_error", "call_records_unavailable", "The call records could not be read; try again.")
    }

    /// The filters of a list request; a malformed one is a 400 naming the parameter.
    static func query(_ parameters: [(String, String)]) throws -> CallQuery {
        func value(_ name: String) -> String? { parameters.last(where: { $0.0 == name })?.1 }
        var query = CallQuery()
        if let text = value("limit") {
            guard let limit = Int(text), (1...CallQuery.maximumLimit).contains(limit) else {
                throw HTTPFailure.badRequest("invalid_limit", "limit must be a whole number from 1 to \(CallQuery.maximumLimit).", param: "limit")
            }
            query.limit = limit
        }
        for (name, keyPath) in [("started_after", \CallQuery.startedFrom), ("started_before", \CallQuery.startedBefore)] {
            guard let text = value(name) else { continue }
            guard let date = time(text) else {
                throw HTTPFailure.badRequest("invalid_time", "\(name) must be an RFC 3339 time (2026-12-07T09:30:00Z) or Unix seconds.", param: name)
            }
            query[keyPath: keyPath] = date
        }
        if let number = value("number") {
            guard !number.isEmpty, number.utf8.count <= 256 else {
                throw HTTPFailure.badRequest("invalid_number", "number must be a phone number or address of at most 256 bytes.", param: "number")
            }
            query.number = number
        }
        if let outcome = value("outcome") {
            if outcome == "ongoing" {
                query.ongoing = true
            } else if let reason = CallEndReason(rawValue: outcome) {
                query.endReason = reason
            } else {
                let known = ["ongoing"] + CallEndReason.allCases.map(\.rawValue)
                throw HTTPFailure.badRequest("invalid_outcome", "outcome must be one of \(known.joined(separator: ", ")).", param: "outcome")
            }
        }
        if let text = value("channel") {
            guard let channel = CallChannel(rawValue: text) else {
                throw HTTPFailure.badRequest("invalid_channel", "channel must be one of \(CallChannel.allCases.map(\.rawValue).joined(separator: ", ")).", param: "channel")
            }
            query.channel = channel
        }
        if let text = value("direction") {
            guard let direction = CallDirection(rawValue: text) else {
                throw HTTPFailure.badRequest("invalid_direction", "direction must be inbound or outbound.", param: "direction")
            }
            query.direction = direction
        }
        if let pack = value("pack") {
            guard !pack.isEmpty, pack.utf8.count <= 64 else {
                throw HTTPFailure.badRequest("invalid_pack", "pack must be a pack's name.", param: "pack")
            }
            query.pack = pack
        }
        if let cursor = value("cursor") {
            guard !cursor.isEmpty, cursor.utf8.count <= 512 else {
                throw HTTPFailure.badRequest("invalid_cursor", "The cursor is not one this hub gave: pass the 'next' of the previous page as it came.", param: "cursor")
            }
            query.cursor = cursor
        }
        return query
    }

    /// RFC 3339 (with or without fractional seconds) or Unix seconds within years 1970–9999.
    static func time(_ text: String) -> Date? {
        if let seconds = Double(text), seconds.isFinite, (0...253_402_300_799).contains(seconds) {
            return Date(timeIntervalSince1970: seconds)
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        return ISO8601DateFormatter().date(from: text)
    }
}
