import Foundation
import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCalls
import SwitchboardTelephony
import SwitchboardTools

/// A phone call recorded for its session: the recording the call bridge feeds, the pack's
/// policy (the notice said first, the refusals that stop it) and the id of the call record,
/// which names the file (`<recordings>/<call id>.wav`).
struct SessionRecording: Sendable {
    let recording: CallRecording
    let policy: RecordingPolicy
    let recordID: String

    /// Starts recording a phone call when its pack records calls: on the channel's event loop,
    /// from the call bridge's start callback, so the bridge records from the call's first audio.
    static func start(_ call: CallStart, channel: any Channel, hub: HubContext, logger: Logger) -> SessionRecording? {
        guard let policy = hub.packs?.main.pack.recording, let law = CallRecording.law(of: call.codec),
              let bridge = try? channel.pipeline.syncOperations.handler(type: CallBridge.self) else { return nil }
        // A placed call has its record already: the file is named by it.
        let recordID = call.outbound?.recordID.flatMap { CallRecord.isID($0) ? $0 : nil } ?? CallRecord.newID()
        let path = hub.configuration.recordingsDirectory + "/" + recordID + ".wav"
        let recording = CallRecording(path: path, law: law, logger: logger)
        bridge.record(recording)
        logger.info("recording the call", metadata: ["call.record_id": "\(recordID)"])
        return SessionRecording(recording: recording, policy: policy, recordID: recordID)
    }

    /// What the call record says of a recording that ended this way.
    static func json(_ summary: CallRecording.Summary) -> JSONValue {
        switch summary.status {
        case .recorded:
            return .object(JSONObject([
                ("status", .string("recorded")), ("path", .string(summary.path)), ("format", .string("wav")),
                ("channels", .object(JSONObject([("left", .string("caller")), ("right", .string("agent"))]))),
                ("sample_rate", .int(RecordingTimeline.sampleRate)),
                ("duration_seconds", .double((summary.durationSeconds * 1000).rounded() / 1000)),
                ("consent", .string("notice_given")),
            ]))
        case .deleted:
            return refused
        case .failed:
            return .object(JSONObject([
                ("status", .string("failed")), ("path", .null), ("error", .string(String((summary.error ?? "").prefix(300)))),
            ]))
        }
    }

    /// The record of a call whose caller refused to be recorded.
    static let refused: JSONValue = .object(JSONObject([("status", .string("refused")), ("path", .null)]))
}
