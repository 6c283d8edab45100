import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SwitchboardCalls
import SwitchboardCore
import SwitchboardTelephony

/// What Twilio reports about calls the hub placed or moved:
/// - `POST /twilio/status?record=…`: a placed call's final status (`StatusCallback`). A call
///   that ended unanswered (busy, no-answer, failed, canceled) closes its record with that end
///   reason and `call.ended`; an answered one's session keeps its record.
/// - `POST /twilio/amd`: Twilio's answering machine detection (`AnsweredBy`) for a placed
///   call whose voicemail is handled: handed to the call's bridge, which lets the agent speak
///   to a person or leaves the message after the machine's beep.
/// - `POST /twilio/whisper?text=…`: the TwiML Twilio plays to the person once they answer a
///   warm transfer, before the caller is connected: `<Say>` of the announcement.
/// - `POST /twilio/transfer-result?record=…&key=…`: how the dial ended (`DialCallStatus`). The
///   record's transfer is settled (`transfer.completed`); a caller the person did not take
///   comes back to the agent on a new media stream of the same session, told why (`notice`).
/// All are Twilio requests, signed over the URL the hub wrote (`X-Twilio-Signature`), so their
/// query parameters are the hub's own.
enum TwilioCallbacks {
    static let statusPath = "/twilio/status"
    static let machinePath = "/twilio/amd"
    static let whisperPath = "/twilio/whisper"
    static let resultPath = "/twilio/transfer-result"
    /// How long the person's phone rings.
    static let ringSeconds = 30
    /// The longest announcement put in a whisper URL.
    static let maximumAnnouncement = 600

    static func addRoutes(to router: Router<BasicRequestContext>, hub: HubContext) {
        router.post(RouterPath(machinePath)) { request, _ -> Response in
            let (_, form, refusal) = try await read(request, hub: hub)
            if let refusal { return refusal }
            guard let sid = form.last(where: { $0.0 == "CallSid" })?.1, let answeredBy = form.last(where: { $0.0 == "AnsweredBy" })?.1,
                  sid.utf8.count <= 64, answeredBy.utf8.count <= 32 else { return Response(status: .badRequest) }
            hub.logger.info("Twilio says who answered", metadata: ["call.id": "\(sid)", "call.answered_by": "\(answeredBy)"])
            hub.machineReports.deliver(answeredBy, for: sid)
            return Response(status: .noContent)
        }
        router.post(RouterPath(statusPath)) { request, _ -> Response in
            let (query, form, refusal) = try await read(request, hub: hub)
            if let refusal { return refusal }
            let status = form.last(where: { $0.0 == "CallStatus" })?.1 ?? ""
            let reason: CallEndReason
            switch status {
            case "busy": reason = .busy
            case "no-answer", "canceled": reason = .noAnswer
            case "failed", "completed": reason = .failed
            default: return Response(status: .noContent)
            }
            if let record = query.last(where: { $0.0 == "record" })?.1, CallRecord.isID(record) {
                do {
                    if try await hub.calls.endUnanswered(recordID: record, reason: reason) {
                        hub.logger.info("placed call not answered", metadata: ["call.record": "\(record)", "call.status": "\(status)"])
                    }
                } catch {
                    hub.logger.warning("could not close an unanswered call's record", metadata: ["call.record": "\(record)", "error": "\(error)"])
                }
            }
            return Response(status: .noContent)
        }
        router.post(RouterPath(whisperPath)) { request, _ -> Response in
            let (query, _, refusal) = try await read(request, hub: hub)
            if let refusal { return refusal }
            let text = query.last(where: { $0.0 == "text" })?.1 ?? ""
            guard !text.isEmpty, text.count <= maximumAnnouncement else { return twiml(TwiML.hangUp, status: .badRequest) }
            return twiml(TwiML.say(text))
        }
        router.post(RouterPath(resultPath)) { request, _ -> Response in
            let (query, form, refusal) = try await read(request, hub: hub)
            if let refusal { return refusal }
            func value(_ pairs: [(String, String)], _ name: String) -> String? { pairs.last(where: { $0.0 == name })?.1 }
            let status = value(form, "DialCallStatus") ?? "failed"
            let connected = status == "completed" || status == "answered"
            if let record = value(query, "record"), CallRecord.isID(record) {
                do {
                    let settled = try await hub.calls.settleTransfer(recordID: record, error: connected ? nil : "the person did not answer (\(status.prefix(32)))")
                    if !settled { hub.logger.notice("a transfer result for a call record with no transfer waiting", metadata: ["call.record": "\(record)"]) }
                } catch {
                    hub.logger.warning("could not settle a transfer", metadata: ["call.record": "\(record)", "error": "\(error)"])
                }
            }
            hub.logger.info("Twilio transfer ended", metadata: ["call.id": "\((value(form, "CallSid") ?? "").prefix(64))", "transfer.status": "\(status.prefix(32))"])
            guard !connected else { return twiml(TwiML.hangUp) }
            // Nobody took the call: back to the agent, on the caller's own session.
            var parameters: [(String, String)] = []
            if let key = value(query, "key").flatMap(SessionKey.init), key.kind == .phoneNumber { parameters.append(("from", key.rawValue)) }
            if let sid = value(form, "CallSid") { parameters.append(("callSid", sid)) }
            parameters.append(("notice", CallNotice.transferFailed.rawValue))
            let signed = TwilioCallerProof(authToken: hub.configuration.twilioAuthToken).signed(parameters)
            let base = TwilioWebhook.base(hub: hub, forwardedProto: request.headers[HTTPField.Name("X-Forwarded-Proto")!], host: request.head.authority)
            return twiml(TwiML.connectStream(url: TwilioWebhook.mediaURL(base: base), parameters: signed))
        }
    }

    /// The request's query and form parameters, or the refusal of a request Twilio did not sign.
    private static func read(_ request: Request, hub: HubContext) async throws -> (query: [(String, String)], form: [(String, String)], refusal: Response?) {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form = ConnectionRequest.query(of: "?" + String(buffer: body))
        let base = TwilioWebhook.base(hub: hub, forwardedProto: request.headers[HTTPField.Name("X-Forwarded-Proto")!], host: request.head.authority)
        if let reason = TwilioWebhook.refusal(signature: request.headers[HTTPField.Name("X-Twilio-Signature")!], url: base + request.uri.description,
                                              parameters: form, hub: hub) {
            return ([], [], Response(status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                                     body: .init(byteBuffer: ByteBuffer(string: reason + "\n"))))
        }
        return (ConnectionRequest.query(of: request.uri.description), form, nil)
    }

    private static func twiml(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Twilio's answering machine detection results, handed to the bridges of the calls they are
/// for. A result that comes before its call's stream has started waits for it (a minute at most).
final class MachineReports: Sendable {
    private struct State {
        var waiting: [String: @Sendable (String) -> Void] = [:]
        var early: [String: (answeredBy: String, at: ContinuousClock.Instant)] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// `deliver` takes the call's result once it comes (at once when it came first).
    func expect(_ callSid: String, deliver: @escaping @Sendable (String) -> Void) {
        let early = state.withLockedValue { state -> String? in
            let now = ContinuousClock.now
            state.early = state.early.filter { now - $0.value.at < .seconds(60) }
            if let found = state.early.removeValue(forKey: callSid) { return found.answeredBy }
            state.waiting[callSid] = deliver
            return nil
        }
        if let early { deliver(early) }
    }

    func forget(_ callSid: String) {
        state.withLockedValue { _ = $0.waiting.removeValue(forKey: callSid) }
    }

    func deliver(_ answeredBy: String, for callSid: String) {
        let waiter = state.withLockedValue { state -> (@Sendable (String) -> Void)? in
            if let waiter = state.waiting.removeValue(forKey: callSid) { return waiter }
            // At most a few hundred early results are kept.
            if state.early.count < 512 { state.early[callSid] = (answeredBy, .now) }
            return nil
        }
        waiter?(answeredBy)
    }
}
