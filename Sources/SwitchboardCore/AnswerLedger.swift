import Foundation
import RealtimeProtocol

/// The assistant's answers in one connection, message item by message item: what each said,
/// how long its audio was and how much of it the user heard. The conversation builds each
/// history turn's answer from it, so a turn keeps only the words the user heard when they
/// talked over the answer (`conversation.item.truncate`).
///
/// What was heard is an estimate: the hub knows the answer's text and its audio length, not
/// which word was playing, so the text is cut in proportion to the audio position and back to
/// the end of a whole word.
struct AnswerLedger: Sendable {
    /// One assistant message item.
    struct Part: Sendable {
        var itemID: String?
        var text: String
        /// The length of the item's audio, from the audio the model sent; 0 when unknown.
        var audioMs: Int
        /// How much of the audio the user heard, when they talked over it.
        var heardMs: Int?
        /// The turn it belongs to (see `turn`).
        var turn: Int
    }

    /// What the user heard of one turn's answer.
    struct Answer: Sendable, Equatable {
        var text: String
        var interrupted: Bool
        var heardMs: Int?
    }

    /// Where a truncation landed.
    enum Truncation: Sendable, Equatable {
        /// In the turn being built.
        case current
        /// In a turn already in the history, `back` turns before the current one (1: the last).
        case finished(back: Int)
        /// The item's text has not arrived yet; it is cut when it does.
        case waiting
    }

    /// How many finished turns keep their parts, so a late truncation still finds its turn.
    private static let finishedTurnsKept = 4
    /// How many truncations of items not seen yet are remembered.
    private static let waitingKept = 8
    /// A speaking rate for answers whose audio length is unknown: about 150 words a minute.
    static let charactersPerSecond = 15.0

    private(set) var parts: [Part] = []
    /// The number of the turn being built; the turns finished in this connection have lower numbers.
    private(set) var turn = 0
    /// The message item whose audio the model is sending now.
    private var audioItemID: String?
    /// Audio sent for items whose text has not arrived, in milliseconds.
    private var audioMs: [String: Double] = [:]
    /// Truncations of items whose text has not arrived: item id → milliseconds heard.
    private var waiting: [(itemID: String, heardMs: Int)] = []

    /// An assistant message item started: the audio the model sends next is its audio.
    mutating func itemStarted(_ itemID: String) {
        audioItemID = itemID
    }

    /// A message item outside the conversation started (a filler): its audio is no answer's.
    mutating func outOfBandItemStarted() {
        audioItemID = nil
    }

    /// The model sent `milliseconds` of audio for the item that started last.
    mutating func audioSent(milliseconds: Double) {
        guard let id = audioItemID, milliseconds > 0 else { return }
        if let index = parts.lastIndex(where: { $0.itemID == id }) {
            parts[index].audioMs += Int(milliseconds.rounded())
        } else {
            audioMs[id, default: 0] += milliseconds
        }
    }

    /// A finished message item's text, for the turn being built.
    mutating func collect(itemID: String?, text: String) {
        guard !text.isEmpty else { return }
        var part = Part(itemID: itemID, text: text, audioMs: 0, heardMs: nil, turn: turn)
        if let itemID {
            part.audioMs = Int((audioMs.removeValue(forKey: itemID) ?? 0).rounded())
            if let index = waiting.firstIndex(where: { $0.itemID == itemID }) {
                part.heardMs = waiting.remove(at: index).heardMs
            }
        }
        parts.append(part)
    }

    /// The user heard only `heardMs` of the item's audio.
    mutating func truncate(itemID: String, heardMs: Int) -> Truncation {
        let heard = max(0, heardMs)
        guard let index = parts.lastIndex(where: { $0.itemID == itemID }) else {
            waiting.removeAll { $0.itemID == itemID }
            waiting.append((itemID, heard))
            if waiting.count > Self.waitingKept { waiting.removeFirst(waiting.count - Self.waitingKept) }
            return .waiting
        }
        parts[index].heardMs = heard
        let back = turn - parts[index].turn
        return back == 0 ? .current : .finished(back: back)
    }

    /// Whether the turn being built has an answer.
    var hasCurrentAnswer: Bool { parts.contains { $0.turn == turn } }

    /// What the user heard of the answer of the turn being built (`back` 0) or of an earlier one.
    func answer(back: Int = 0) -> Answer {
        var words: [String] = []
        var heardMs = 0
        for part in parts where part.turn == turn - back {
            guard let heard = part.heardMs else {
                words.append(part.text)
                heardMs += part.audioMs
                continue
            }
            let kept = Self.heardText(part.text, heardMs: heard, audioMs: part.audioMs)
            if !kept.isEmpty { words.append(kept) }
            // What came after the interruption was not heard.
            return Answer(text: words.joined(separator: " "), interrupted: true, heardMs: heardMs + heard)
        }
        return Answer(text: words.joined(separator: " "), interrupted: false, heardMs: nil)
    }

    /// The turn being built went into the history; the next one starts.
    mutating func finishTurn() {
        turn += 1
        audioItemID = nil
        parts.removeAll { turn - $0.turn > Self.finishedTurnsKept }
    }

    /// The words of `text` heard after `heardMs` of `audioMs` of audio: the text cut in
    /// proportion to the audio position, by characters, back to the end of a whole word.
    /// An unknown audio length (0) is estimated from the text at an even speaking rate.
    static func heardText(_ text: String, heardMs: Int, audioMs: Int) -> String {
        let characters = Array(text)
        let length = audioMs > 0 ? Double(audioMs) : Double(characters.count) / charactersPerSecond * 1000
        guard length > 0 else { return text }
        let fraction = Double(max(0, heardMs)) / length
        guard fraction < 1 else { return text }
        var count = Int(Double(characters.count) * fraction)
        if count < characters.count, !characters[count].isWhitespace {
            while count > 0, !characters[count - 1].isWhitespace { count -= 1 }
        }
        return String(characters[..<count]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
