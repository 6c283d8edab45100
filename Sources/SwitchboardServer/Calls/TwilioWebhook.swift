import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import SwitchboardCore
import SwitchboardTelephony

/// The Twilio voice webhook: `POST /twilio/voice` (or `GET`) answers a call with TwiML that
/// connects it to the hub's media stream, with the caller's number as a stream parameter (Twilio
/// strips query strings from stream URLs, and `start` does not carry the caller), signed with
/// the call's CallSid, an expiry and a nonce (`TwilioCallerProof`): the stream proves the caller.
enum TwilioWebhook {
    static let voicePath = "/twilio/voice"

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.post(RouterPath(voicePath)) { request, _ -> Response in
            // POST parameters are signed after the URL.
            let body = try await request.body.collect(upTo: 64 * 1024)
            let parameters = ConnectionRequest.query(of: "?" + String(buffer: body))
            return await answer(request, signed: parameters, values: parameters, hub: hub)
        }
        router.get(RouterPath(voicePath)) { request, _ -> Response in
            // A GET webhook's parameters are in its URL, which is what is signed.
            await answer(request, signed: [], values: ConnectionRequest.query(of: request.uri.description), hub: hub)
        }
    }

    /// Checks the signature, then answers TwiML that streams the call with the caller's number.
    private static func answer(_ request: Request, signed: [(String, String)], values: [(String, String)], hub: HubContext) async -> Response {
        let base = base(hub: hub, forwardedProto: request.headers[HTTPField.Name("X-Forwarded-Proto")!], host: request.head.authority)
        if let reason = refusal(signature: request.headers[HTTPField.Name("X-Twilio-Signature")!], url: base + request.uri.description,
                                parameters: signed, hub: hub) {
            return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
        }
        func value(_ name: String) -> String? { values.last(where: { $0.0 == name })?.1 }
        let caller = value("From").flatMap(SessionKey.init).flatMap { $0.kind == .phoneNumber ? $0 : nil }
        hub.logger.info("Twilio call answered", metadata: ["call.id": "\((value("CallSid") ?? "").prefix(64))", "session.key": "\(caller?.redacted ?? "new")"])
        var streamParameters: [(String, String)] = []
        // A hub that routes by number: the dialled number picks the tenant and agent; a number
        // no tenant has is refused (the caller hears Twilio's rejection, not some other business).
        switch await hub.platform?.directory.route(value("To")) ?? .unrouted {
        case .unrouted:
            break
        case .tenant(let tenant, let agent):
            streamParameters += [("tenant", tenant), ("agent", agent)]
        case .unknown, .unavailable:
            hub.metrics.error("number_not_routed")
            hub.logger.notice("a call to a number no tenant has was rejected", metadata: ["call.to": "\((value("To") ?? "").prefix(32))"])
            return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: TwiML.reject)))
        }
        if let caller { streamParameters.append(("from", caller.rawValue)) }
        if let sid = value("CallSid") { streamParameters.append(("callSid", sid)) }
        if let dialled = value("To").flatMap(SessionKey.init), dialled.kind == .phoneNumber { streamParameters.append(("to", dialled.rawValue)) }
        let signed = TwilioCallerProof(authToken: hub.configuration.twilioAuthToken).signed(streamParameters)
        let twiml = TwiML.connectStream(url: mediaURL(base: base), parameters: signed)
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: twiml)))
    }

    /// Why a media stream's WebSocket upgrade is refused (Twilio signs the `wss://` URL it opens).
    static func mediaRefusal(head: NIOHTTP1.HTTPRequestHead, hub: HubContext) -> String? {
        let base = base(hub: hub, forwardedProto: head.headers["X-Forwarded-Proto"].first, host: head.headers["Host"].first)
        let url = mediaURL(base: base) + (head.uri.firstIndex(of: "?").map { String(head.uri[$0...]) } ?? "")
        return refusal(signature: head.headers["X-Twilio-Signature"].first, url: url, parameters: [], hub: hub)
    }

    /// Why a Twilio request is refused, or `nil` to serve it: a wrong or missing signature when
    /// an auth token is configured, or, without one, a hub that listens beyond loopback.
    static func refusal(signature: String?, url: String, parameters: [(String, String)], hub: HubContext) -> String? {
        let reason: String
        if let token = hub.configuration.twilioAuthToken {
            guard let signature, !signature.isEmpty else { return refused("missing X-Twilio-Signature", hub: hub) }
            guard !TwilioSignature(authToken: token).isValid(signature, url: url, parameters: parameters) else { return nil }
            reason = "X-Twilio-Signature does not match this request"
        } else {
            guard !hub.configuration.isLoopback else { return nil }
            reason = "Twilio requests need --twilio-auth-token on a hub that listens beyond loopback"
        }
        return refused(reason, hub: hub)
    }

    private static func refused(_ reason: String, hub: HubContext) -> String {
        hub.metrics.error("twilio_forbidden")
        hub.logger.warning("refused a Twilio request", metadata: ["reason": "\(reason)"])
        return reason
    }

    /// The hub's public base URL: configured, or from the request's `Host` and `X-Forwarded-Proto`.
    static func base(hub: HubContext, forwardedProto: String?, host: String?) -> String {
        if let configured = hub.configuration.publicURL {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let proto = forwardedProto?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return "\(proto == "https" ? "https" : "http")://\(host ?? "\(hub.configuration.host):\(hub.configuration.port)")"
    }

    /// The media stream's WebSocket URL on the same host (`https` → `wss`).
    static func mediaURL(base: String) -> String {
        let ws = base.hasPrefix("https://") ? "wss://" + base.dropFirst(8) : "ws://" + base.dropFirst(base.hasPrefix("http://") ? 7 : 0)
        return ws + RealtimeChannel.twilioMediaPath
    }
}
