import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// The Twilio voice webhook: `POST /twilio/voice` (or `GET`) answers a call with TwiML that
/// connects it to the hub's media stream, with the caller's number as a stream parameter (Twilio
/// strips query strings from stream URLs, and `start` does not carry the caller).
enum TwilioWebhook {
    static let voicePath = "/twilio/voice"

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.post(RouterPath(voicePath)) { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let parameters = ConnectionRequest.query(of: "?" + String(buffer: body))
            return answer(request: request, parameters: parameters, signedURL: url(of: request, hub: hub), hub: hub)
        }
        router.get(RouterPath(voicePath)) { request, context -> Response in
            let parameters = ConnectionRequest.query(of: request.uri.description)
            return answer(request: request, parameters: [], signedURL: url(of: request, hub: hub), hub: hub, given: parameters)
        }
    }

    /// Checks the signature, then answers TwiML. `given` holds a GET webhook's parameters (signed
    /// as part of the URL); POST parameters are signed after it.
    private static func answer(request: Request, parameters: [(String, String)], signedURL: String, hub: HubContext,
                               given: [(String, String)]? = nil) -> Response {
        if let refusal = refusal(request: request, url: signedURL, parameters: parameters, hub: hub) { return refusal }
        let values = given ?? parameters
        func value(_ name: String) -> String? { values.last(where: { $0.0 == name })?.1 }
        let caller = value("From").flatMap(SessionKey.init).flatMap { $0.kind == .phoneNumber ? $0 : nil }
        let streamURL = mediaURL(base: base(of: request, hub: hub))
        hub.logger.info("Twilio call answered", metadata: ["call.id": "\(value("CallSid") ?? "")", "session.key": "\(caller?.redacted ?? "new")"])
        var streamParameters: [(String, String)] = []
        if let caller { streamParameters.append(("from", caller.rawValue)) }
        if let sid = value("CallSid") { streamParameters.append(("callSid", sid)) }
        let twiml = twiML(streamURL: streamURL, parameters: streamParameters)
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: twiml)))
    }

    /// Why a Twilio request is refused, or `nil` to serve it: a wrong or missing signature when
    /// an auth token is configured, or, without one, a hub that listens beyond loopback.
    static func refusal(request: Request, url: String, parameters: [(String, String)], hub: HubContext) -> Response? {
        let headers = request.headers
        return refusal(signature: headers[HTTPField.Name("X-Twilio-Signature")!], url: url, parameters: parameters, hub: hub)
    }

    static func refusal(signature: String?, url: String, parameters: [(String, String)], hub: HubContext) -> Response? {
        func forbidden(_ message: String) -> Response {
            hub.metrics.error("twilio_forbidden")
            hub.logger.warning("refused a Twilio request", metadata: ["reason": "\(message)"])
            return Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
        }
        guard let token = hub.configuration.twilioAuthToken else {
            return hub.configuration.isLoopback ? nil
                : forbidden("Twilio requests need --twilio-auth-token on a hub that listens beyond loopback")
        }
        guard let signature, !signature.isEmpty else { return forbidden("missing X-Twilio-Signature") }
        guard TwilioSignature(authToken: token).isValid(signature, url: url, parameters: parameters) else {
            return forbidden("X-Twilio-Signature does not match this request")
        }
        return nil
    }

    /// Why a media stream's WebSocket upgrade is refused (Twilio signs the `wss://` URL it opens).
    static func mediaRefusal(head: NIOHTTP1.HTTPRequestHead, hub: HubContext) -> String? {
        let base: String
        if let configured = hub.configuration.publicURL {
            base = configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        } else {
            let proto = head.headers["X-Forwarded-Proto"].first?.split(separator: ",").first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "http"
            base = "\(proto == "https" ? "https" : "http")://\(head.headers["Host"].first ?? "\(hub.configuration.host):\(hub.configuration.port)")"
        }
        let url = mediaURL(base: base) + (head.uri.firstIndex(of: "?").map { String(head.uri[$0...]) } ?? "")
        guard let response = refusal(signature: head.headers["X-Twilio-Signature"].first, url: url, parameters: [], hub: hub) else { return nil }
        _ = response
        return hub.configuration.twilioAuthToken == nil
            ? "Twilio media streams need --twilio-auth-token on a hub that listens beyond loopback"
            : "X-Twilio-Signature is missing or does not match"
    }

    /// The hub's public base URL: configured, or from the request's `Host` and `X-Forwarded-Proto`.
    static func base(of request: Request, hub: HubContext) -> String {
        if let configured = hub.configuration.publicURL {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let proto = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "http"
        let host = request.head.authority ?? "\(hub.configuration.host):\(hub.configuration.port)"
        return "\(proto == "https" ? "https" : "http")://\(host)"
    }

    /// The URL Twilio requested (what it signed).
    static func url(of request: Request, hub: HubContext) -> String {
        base(of: request, hub: hub) + request.uri.description
    }

    /// The media stream's WebSocket URL on the same host (`https` → `wss`).
    static func mediaURL(base: String) -> String {
        let ws = base.hasPrefix("https://") ? "wss://" + base.dropFirst(8) : "ws://" + base.dropFirst(base.hasPrefix("http://") ? 7 : 0)
        return ws + RealtimeChannel.twilioMediaPath
    }

    /// `<Response><Connect><Stream url=…>` with `<Parameter>`s.
    static func twiML(streamURL: String, parameters: [(String, String)]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Connect><Stream url=\"\(escaped(streamURL))\">"
        for (name, value) in parameters {
            xml += "<Parameter name=\"\(escaped(name))\" value=\"\(escaped(value))\"/>"
        }
        xml += "</Stream></Connect></Response>\n"
        return xml
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
