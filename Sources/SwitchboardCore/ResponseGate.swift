import RealtimeProtocol

/// One response at a time, as the realtime API wants: a request waits while a response is being
/// made or asked for, while a hub tool runs, and while a committed utterance's transcript has not
/// arrived (so the utterance is routed before anyone answers it). One waiting request stands for
/// every request that arrives meanwhile.
struct ResponseGate: Sendable {
    /// A response is being made: `response.created` came, `response.done` not yet.
    private(set) var isActive = false
    /// The `event_id` of the `response.create` sent and not answered yet.
    private(set) var requestedID: String?
    /// The request waiting for the way to clear.
    private(set) var queued: RealtimeEvent?
    /// A tool's output reached the model: the next response must be asked for.
    var followUpNeeded = false
    /// Committed audio whose transcript has not arrived.
    private(set) var awaitingTranscripts: Set<String> = []
    /// The request sent and not answered yet is out of band (`conversation: "none"`).
    private var requestedOutOfBand = false
    /// The response being made (or the last one made) is out of band: it is no part of the
    /// conversation, so neither of the turn nor of its history.
    private(set) var activeIsOutOfBand = false

    /// Whether a response is being made or has been asked for.
    var isResponding: Bool { isActive || requestedID != nil }

    /// The request to send now: `event`, else the waiting one, else a new `response.create` with
    /// `newID()`; `nil` when it has to wait (it is kept, replacing any waiting one).
    mutating func request(_ event: RealtimeEvent?, toolsRunning: Bool, newID: () -> String) -> RealtimeEvent? {
        let request = event ?? queued ?? RealtimeEvent(type: "response.create", [("event_id", .string(newID()))])
        if isResponding || toolsRunning || !awaitingTranscripts.isEmpty {
            queued = request
            return nil
        }
        queued = nil
        followUpNeeded = false
        requestedID = request.eventID
        requestedOutOfBand = Self.isOutOfBand(request)
        return request
    }

    /// Sends the out-of-band request `event` only when the way is clear right now and nothing
    /// waits: such a request (a filler) is worth nothing later, so it is never queued.
    mutating func requestOutOfBand(_ event: RealtimeEvent) -> RealtimeEvent? {
        guard !isResponding, queued == nil, awaitingTranscripts.isEmpty else { return nil }
        requestedID = event.eventID
        requestedOutOfBand = true
        return event
    }

    /// Whether `request` asks for a response outside the conversation.
    static func isOutOfBand(_ request: RealtimeEvent) -> Bool {
        request["response"]?["conversation"]?.stringValue == "none"
    }

    /// The waiting request (or the follow-up a tool's output needs), once nothing stands in its way.
    mutating func release(toolsRunning: Bool, newID: () -> String) -> RealtimeEvent? {
        guard queued != nil || followUpNeeded else { return nil }
        guard !isResponding, !toolsRunning, awaitingTranscripts.isEmpty else { return nil }
        return request(nil, toolsRunning: false, newID: newID)
    }

    /// `response.created`.
    mutating func started() {
        isActive = true
        activeIsOutOfBand = requestedID != nil && requestedOutOfBand
        requestedID = nil
        requestedOutOfBand = false
    }

    /// `response.done`.
    mutating func finished() {
        isActive = false
    }

    /// The model refused the request with `eventID`.
    mutating func refused(_ eventID: String) {
        if eventID == requestedID {
            requestedID = nil
            requestedOutOfBand = false
        }
    }

    /// Forgets the waiting request and the follow-up (the client cancelled what they would answer).
    mutating func dropWaiting() {
        queued = nil
        followUpNeeded = false
    }

    /// Audio was committed as `itemID`; a response waits for its transcript.
    mutating func awaitTranscript(_ itemID: String) {
        awaitingTranscripts.insert(itemID)
    }

    /// The transcript of `itemID` arrived (or failed); whether it was awaited.
    mutating func transcriptArrived(_ itemID: String) -> Bool {
        awaitingTranscripts.remove(itemID) != nil
    }
}
