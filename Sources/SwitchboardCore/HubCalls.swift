import RealtimeProtocol

/// The function calls the hub runs for the model, which the client never sees: their items and
/// call ids, the calls running now, and those the client cancelled while they ran.
struct HubCalls: Sendable {
    /// Items of hub calls and their outputs.
    private(set) var hiddenItemIDs: Set<String> = []
    /// Every call id the hub runs or ran in this session.
    private(set) var callIDs: Set<String> = []
    /// Calls running now.
    private(set) var running: Set<String> = []
    /// Running calls the client cancelled: their results answer the model but ask for no
    /// follow-up.
    private var cancelled: Set<String> = []
    /// Calls that finished cancelled: a response that made only these needs no follow-up, even
    /// when the model's `response.done` comes after the cancelled result.
    private var finishedCancelled: Set<String> = []
    /// A filler was said while the calls running now run: one per wait.
    private(set) var fillerSaid = false

    /// How a finished call is to be answered.
    enum Finish: Equatable {
        /// Its output goes to the model, which is asked to go on.
        case answered
        /// Its output goes to the model; nobody waits for an answer any more.
        case cancelled
    }

    /// Hides the item `id` from the client.
    mutating func hide(itemID id: String?) {
        if let id { hiddenItemIDs.insert(id) }
    }

    /// Notes `callID` as the hub's (a call item seen before its arguments are complete).
    mutating func claim(callID: String?) {
        if let callID { callIDs.insert(callID) }
    }

    /// The call `callID` (item `itemID`) starts running.
    mutating func start(callID: String, itemID: String?) {
        hide(itemID: itemID)
        callIDs.insert(callID)
        running.insert(callID)
    }

    /// Whether `event` is about a hidden item (`item_id`, or `item.id`).
    func isHidden(_ event: RealtimeEvent) -> Bool {
        if let id = event["item_id"]?.stringValue, hiddenItemIDs.contains(id) { return true }
        if let id = event["item"]?["id"]?.stringValue, hiddenItemIDs.contains(id) { return true }
        return false
    }

    func isHidden(itemID id: String) -> Bool { hiddenItemIDs.contains(id) }

    /// Whether `callID` is a call the hub runs or ran.
    func owns(callID: String) -> Bool { callIDs.contains(callID) }

    /// Marks every running call cancelled; their ids, sorted.
    mutating func cancelRunning() -> [String] {
        cancelled.formUnion(running)
        return running.sorted()
    }

    /// A filler is being said for the calls running now.
    mutating func noteFiller() {
        fillerSaid = true
    }

    /// The call `callID` finished; `nil` when it is not running (unknown, or finished already).
    mutating func finish(callID: String) -> Finish? {
        guard running.remove(callID) != nil else { return nil }
        if running.isEmpty { fillerSaid = false }
        guard cancelled.remove(callID) != nil else { return .answered }
        finishedCancelled.insert(callID)
        return .cancelled
    }

    /// Whether every call of `callIDs` was cancelled by the client (finished or still running);
    /// false for none.
    func allCancelled(_ callIDs: [String]) -> Bool {
        !callIDs.isEmpty && callIDs.allSatisfy { finishedCancelled.contains($0) || cancelled.contains($0) }
    }
}
