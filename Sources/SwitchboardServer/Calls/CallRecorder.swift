import Foundation
import NIOConcurrencyHelpers
import RealtimeProtocol
import SwitchboardAgents
import OpenAIRealtime
import SwitchboardCalls
import SwitchboardCore

/// Keeps one session's call record as the session goes: the agents it went through, every turn
/// of the transcript (the history the session keeps is cut to its last turns; the record is
/// not), each tool call with its outcome, and how and when it ended. Each change is handed to
/// the hub's call log, which saves it and sends the lifecycle webhooks.
///
/// Fed by the session's driver (one task); the lock lets a phone bridge add to it from its loop.
final class CallRecorder: Sendable {
    private struct State {
        var record: CallRecord
        /// When the last recorded turn completed: turns of the saved history up to it are in the record.
        var recordedThrough: Date
        /// When the caller's latest utterance arrived, for the time of its transcript line.
        var userSpokeAt: Date?
        var endReason: CallEndReason?
        var ended = false
        var usage = ModelUsage()
    }

    private let state: NIOLockedValueBox<State>
    private let log: CallLog

    /// What the record starts with: the session's channel, direction and parties.
    struct Start: Sendable {
        var channel: CallChannel
        var direction: CallDirection
        var from: String?
        var to: String?
        var providerCallID: String?
        /// The record made when the hub placed the call (`call.started` was sent then), and when.
        var placedRecordID: String?
        var placedAt: Date?
        /// The tenant the call's number belongs to.
        var tenant: String?
    }

    /// `id`: the record's id when it was chosen before (a recording's file is named by it).
    init(_ start: Start, id: String? = nil, sessionKey: String, customer: String?, agent: String, pack: String?, log: CallLog, now: Date = Date()) {
        let at = CallRecorder.milliseconds(now)
        let placed = start.placedRecordID.flatMap { CallRecord.isID($0) ? $0 : nil }
        var record = CallRecord(id: placed ?? id ?? CallRecord.newID(), channel: start.channel, direction: start.direction, from: start.from, to: start.to,
                                pack: pack, tenant: start.tenant, sessionKey: sessionKey, customer: customer, providerCallID: start.providerCallID,
                                startedAt: placed != nil ? CallRecorder.milliseconds(min(start.placedAt ?? now, now)) : at,
                                agents: [AgentStep(agent: agent, at: at)])
        // A call reaches a session once it is up: an inbound one was answered by the hub, an
        // outbound one by the callee.
        if start.channel != .websocket { record.answeredAt = at }
        state = NIOLockedValueBox(State(record: record, recordedThrough: at))
        self.log = log
        announced = placed != nil
    }

    /// Whether `call.started` went out when the call was placed.
    private let announced: Bool

    var id: String { state.withLockedValue { $0.record.id } }
    var snapshot: CallRecord { state.withLockedValue { $0.record } }

    /// The record is saved for the first time: `call.started` (and `call.answered` for a call).
    func started() {
        let record = snapshot
        if announced { return log.save(record, events: [.callAnswered]) }
        log.save(record, events: record.answeredAt == nil ? [.callStarted] : [.callStarted, .callAnswered])
    }

    /// The caller said something (a transcript or a typed message arrived).
    func userSpoke(at now: Date = Date()) {
        state.withLockedValue { if $0.userSpokeAt == nil { $0.userSpokeAt = CallRecorder.milliseconds(now) } }
    }

    /// The session saved its state: the turns completed since the last save join the transcript.
    func saved(history: [Turn]) {
        let changed = state.withLockedValue { state -> CallRecord? in
            guard !state.ended else { return nil }
            let new = history.filter { $0.at > state.recordedThrough }
            guard !new.isEmpty else { return nil }
            for turn in new {
                let at = CallRecorder.milliseconds(turn.at)
                if !turn.user.isEmpty {
                    state.record.transcript.append(TranscriptEntry(role: .user, text: turn.user, at: min(state.userSpokeAt ?? at, at), agent: turn.agent))
                }
                if !turn.assistant.isEmpty {
                    state.record.transcript.append(TranscriptEntry(role: .assistant, text: turn.assistant, at: at, agent: turn.agent))
                }
                state.userSpokeAt = nil
            }
            state.recordedThrough = new.map(\.at).max() ?? state.recordedThrough
            return state.record
        }
        if let changed { log.save(changed, events: []) }
    }

    /// The agent said `sentence` out of band (a notice, a reprompt, a goodbye): it is not a turn
    /// of the conversation's history, but the caller heard it, so the transcript has it.
    func agentSaid(_ sentence: String, agent: String?, at now: Date = Date()) {
        let changed = state.withLockedValue { state -> CallRecord? in
            guard !state.ended else { return nil }
            state.record.transcript.append(TranscriptEntry(role: .assistant, text: sentence, at: CallRecorder.milliseconds(now), agent: agent))
            return state.record
        }
        if let changed { log.save(changed, events: []) }
    }

    /// Another agent took the session over.
    func agentSwitched(to agent: String, at now: Date = Date()) {
        state.withLockedValue { state in
            guard !state.ended, state.record.agents.last?.agent != agent else { return }
            state.record.agents.append(AgentStep(agent: agent, at: CallRecorder.milliseconds(now)))
        }
    }

    /// A tool call began.
    func toolStarted(_ call: ToolCallRequest, agent: String, at now: Date = Date()) {
        state.withLockedValue { state in
            guard !state.ended else { return }
            state.record.toolCalls.append(ToolCallEntry(callID: call.callID, name: call.name, agent: agent, arguments: call.arguments,
                                                        startedAt: CallRecorder.milliseconds(now)))
        }
    }

    /// A tool call finished (or was cancelled): its output and outcome; `tool.called` is sent.
    func toolFinished(_ result: ToolCallResult, at now: Date = Date()) {
        let changed = state.withLockedValue { state -> CallRecord? in
            guard !state.ended, let index = state.record.toolCalls.lastIndex(where: { $0.callID == result.callID && $0.endedAt == nil }) else { return nil }
            state.record.toolCalls[index].output = result.output
            state.record.toolCalls[index].outcome = ToolCallEntry.Outcome(toolOutcome: result.outcome)
            state.record.toolCalls[index].endedAt = CallRecorder.milliseconds(now)
            return state.record
        }
        if let changed { log.save(changed, events: [.toolCalled]) }
    }

    /// The agent asked to transfer the call: `transfer.started`.
    func transferStarted(_ destination: TransferDestination, reason: String?, at now: Date = Date()) {
        let changed = state.withLockedValue { state -> CallRecord? in
            guard !state.ended else { return nil }
            state.record.transfers.append(TransferEntry(destination: destination.name, to: destination.to, mode: destination.mode.rawValue,
                                                        reason: reason, startedAt: CallRecorder.milliseconds(now)))
            return state.record
        }
        if let changed { log.save(changed, events: [.transferStarted]) }
    }

    /// The transfer went through (the call is the other party's now) or failed: `transfer.completed`.
    func transferFinished(error: String?, method: String? = nil, at now: Date = Date()) {
        let changed = state.withLockedValue { state -> CallRecord? in
            guard !state.ended, let index = state.record.transfers.lastIndex(where: { $0.endedAt == nil }) else { return nil }
            state.record.transfers[index].endedAt = CallRecorder.milliseconds(now)
            state.record.transfers[index].method = method
            state.record.transfers[index].outcome = error == nil ? .completed : .failed
            state.record.transfers[index].error = error
            if error == nil, state.endReason == nil { state.endReason = .transferred }
            return state.record
        }
        if let changed { log.save(changed, events: [.transferCompleted]) }
    }

    /// The provider took the call to the person and reports the outcome later (Twilio's dial
    /// result, `CallLog.settleTransfer`): the session ends as transferred, the transfer unsettled.
    func transferHandedOff(method: String) {
        state.withLockedValue { state in
            guard !state.ended, let index = state.record.transfers.lastIndex(where: { $0.endedAt == nil }) else { return }
            state.record.transfers[index].method = method
            if state.endReason == nil { state.endReason = .transferred }
        }
    }

    /// Who picked up an outbound call.
    func answered(by: String) {
        state.withLockedValue { state in
            guard !state.ended else { return }
            state.record.answeredBy = by
        }
    }

    /// Keys the caller pressed (one entry).
    func pressed(_ digits: String, at now: Date = Date()) {
        state.withLockedValue { state in
            guard !state.ended else { return }
            state.record.dtmf.append(DTMFEntry(digits: digits, at: CallRecorder.milliseconds(now)))
        }
    }

    /// What became of the call's recording (`recording` in the record): saved with the record's
    /// next save (`call.ended` at the latest), no webhook of its own.
    func recording(_ value: JSONValue) {
        state.withLockedValue { state in
            guard !state.ended else { return }
            state.record.recording = value
        }
    }

    /// Why the call is ending, when something knows better than the session's last input (the
    /// first reason given stands).
    func ending(_ reason: CallEndReason) {
        state.withLockedValue { if $0.endReason == nil { $0.endReason = reason } }
    }

    /// A model response's `usage`, for the call's cost.
    func modelUsage(_ usage: JSONObject) {
        state.withLockedValue { state in
            guard !state.ended else { return }
            state.usage.add(usage)
        }
    }

    /// The session is over: the record is closed with its cost and `call.ended` is sent (once).
    func ended(_ fallback: CallEndReason, prices: CallPrices = CallPrices(), at now: Date = Date()) {
        let record = state.withLockedValue { state -> CallRecord? in
            guard !state.ended else { return nil }
            state.ended = true
            state.record.endedAt = CallRecorder.milliseconds(now)
            state.record.endReason = state.endReason ?? fallback
            state.record.cost = prices.cost(of: state.record, usage: state.usage)
            return state.record
        }
        if let record { log.save(record, events: [.callEnded]) }
    }

    /// The ended call's analysis (`plan`'s fields, or only a summary): saved with `call.analyzed`.
    func analyze(plan: AnalysisPlan?) {
        let record = state.withLockedValue { state -> CallRecord? in
            guard state.ended, state.record.analysis == nil else { return nil }
            state.record.analysis = CallAnalyzer.analyze(state.record, plan: plan)
            return state.record
        }
        if let record { log.save(record, events: [.callAnalyzed]) }
    }

    /// The ended call's analysis by `analyst`'s chat model (the rules' when it fails): saved
    /// with `call.analyzed`.
    func analyze(plan: AnalysisPlan?, analyst: ChatCompletionsAnalyst) async {
        guard let ended = state.withLockedValue({ $0.ended && $0.record.analysis == nil ? $0.record : nil }) else { return }
        let analysis = await CallAnalyzer.analyze(ended, plan: plan, analyst: analyst)
        let record = state.withLockedValue { state -> CallRecord? in
            guard state.record.analysis == nil else { return nil }
            state.record.analysis = analysis
            return state.record
        }
        if let record { log.save(record, events: [.callAnalyzed]) }
    }

    /// `date` cut to whole milliseconds, as records keep times.
    static func milliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}

extension ToolCallEntry.Outcome {
    /// A tool's own outcome (`found`, `not_found`, `confirmed`, `error`, `cancelled`, …) as ok, error or cancelled.
    init(toolOutcome: String) {
        switch toolOutcome {
        case "error": self = .error
        case "cancelled": self = .cancelled
        default: self = .ok
        }
    }
}
