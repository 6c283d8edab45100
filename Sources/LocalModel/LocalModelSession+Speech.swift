import RealtimeProtocol

/// An answer being spoken: its text, and what has been delivered of it so far.
struct SpokenResponse: Sendable {
    var responseID: String
    var itemID: String
    /// The whole answer.
    var text: String
    var modalities: [String]
    var format: AudioFormat
    /// The item before the answer's.
    var previous: JSONValue
    /// The transcript of the sentences delivered so far.
    var spoken = ""
    /// Samples delivered so far, at `format`'s rate.
    var sampleCount = 0
    /// Whether the response is out of band, and the metadata it was asked with.
    var outOfBand: Bool
    var metadata: JSONValue

    init(responseID: String, itemID: String, text: String, modalities: [String], format: AudioFormat, previous: JSONValue,
         outOfBand: Bool = false, metadata: JSONValue = .null) {
        self.outOfBand = outOfBand
        self.metadata = metadata
        self.responseID = responseID
        self.itemID = itemID
        self.text = text
        self.modalities = modalities
        self.format = format
        self.previous = previous
    }

    var milliseconds: Int { sampleCount * 1000 / format.sampleRate }
}

/// A finished spoken answer's audio length and transcript, for truncation.
struct SpokenAudio: Sendable, Hashable {
    var milliseconds: Int
    var transcript: String
}

extension LocalModelSession {
    /// Audio of one synthesized sentence for the response `responseID`: base64 chunks in the
    /// output format (about 100 ms each) holding `sampleCount` samples in all. Emits the
    /// sentence's transcript delta, then its audio deltas. Dropped when the response is over.
    public mutating func spoken(responseID: String, sentence: String, audio: [String], sampleCount: Int) -> [RealtimeEvent] {
        guard var speech = speaking, speech.responseID == responseID else { return [] }
        let stream = ResponseStream(session: self, modalities: speech.modalities, responseID: responseID, itemID: speech.itemID,
                                    previousID: speech.previous, outOfBand: speech.outOfBand, metadata: speech.metadata)
        var out: [RealtimeEvent] = []
        let delta = (speech.spoken.isEmpty ? "" : " ") + sentence
        if !sentence.isEmpty {
            out.append(stream.contentEvent(dialect == .ga ? "response.output_audio_transcript.delta" : "response.audio_transcript.delta",
                                           [("delta", .string(delta))]))
            speech.spoken += delta
        }
        for chunk in audio {
            out.append(stream.contentEvent(dialect == .ga ? "response.output_audio.delta" : "response.audio.delta", [("delta", .string(chunk))]))
        }
        speech.sampleCount += sampleCount
        speaking = speech
        return out
    }

    /// The response `responseID` has been spoken to the end (or synthesis failed: `failure`
    /// says why; the answer's text still stands as the transcript).
    public mutating func speechFinished(responseID: String, failure: String? = nil) -> [RealtimeEvent] {
        guard speaking?.responseID == responseID else { return [] }
        return finishSpeech(status: "completed", details: .null)
    }

    /// Stops the answer being spoken: it ends `cancelled` with the transcript of what was said.
    mutating func cancelSpeech(reason: String) -> [RealtimeEvent] {
        guard let speech = speaking else { return [] }
        effects.append(.stopSpeaking(responseID: speech.responseID))
        return finishSpeech(status: "cancelled", details: .object(JSONObject([("type", .string("cancelled")), ("reason", .string(reason))])))
    }

    private mutating func finishSpeech(status: String, details: JSONValue) -> [RealtimeEvent] {
        guard let speech = speaking else { return [] }
        speaking = nil
        let stream = ResponseStream(session: self, modalities: speech.modalities, responseID: speech.responseID, itemID: speech.itemID,
                                    previousID: speech.previous, outOfBand: speech.outOfBand, metadata: speech.metadata)
        let completed = status == "completed"
        let transcript = completed ? (speech.spoken.isEmpty ? speech.text : speech.spoken) : speech.spoken
        var out: [RealtimeEvent] = [
            stream.contentEvent(dialect == .ga ? "response.output_audio.done" : "response.audio.done", []),
            stream.contentEvent(dialect == .ga ? "response.output_audio_transcript.done" : "response.audio_transcript.done",
                                [("transcript", .string(transcript))]),
            stream.contentEvent("response.content_part.done", [
                ("part", .object(JSONObject([("type", .string("audio")), ("transcript", .string(transcript))]))),
            ]),
        ]
        let content = JSONValue.object(JSONObject([
            ("type", .string(dialect == .ga ? "output_audio" : "audio")), ("transcript", .string(transcript)),
        ]))
        let item = stream.assistantItem(status: completed ? "completed" : "incomplete", content: [content])
        out.append(stream.outputItem("response.output_item.done", item))
        out += stream.itemDone(item)
        out.append(RealtimeEvent(type: "response.done", [
            stream.eventID(), ("response", stream.response(status: status, output: [.object(item)], usageText: transcript, details: details)),
        ]))
        if let index = items.firstIndex(where: { $0["id"]?.stringValue == speech.itemID }) { items[index] = item }
        spokenAudio[speech.itemID] = SpokenAudio(milliseconds: speech.milliseconds, transcript: transcript)
        return out
    }

    /// `conversation.item.truncate`: an assistant item's audio cut at `audio_end_ms` (at most
    /// its length), its transcript cut in proportion, by characters, back to a word boundary.
    mutating func itemTruncate(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard let id = event["item_id"]?.stringValue, let index = items.firstIndex(where: { $0["id"]?.stringValue == id }) else {
            return [error("item_not_found", "No item with that item_id.", param: "item_id", event: event)]
        }
        guard items[index]["role"]?.stringValue == "assistant" else {
            return [error("invalid_value", "Only assistant items can be truncated.", param: "item_id", event: event)]
        }
        guard let end = event["audio_end_ms"]?.intValue, end >= 0 else {
            return [error("invalid_value", "'audio_end_ms' must be a non-negative integer.", param: "audio_end_ms", event: event)]
        }
        if let index = event["content_index"], index.intValue.map({ $0 >= 0 }) != true {
            return [error("invalid_value", "'content_index' must be a non-negative integer.", param: "content_index", event: event)]
        }
        var out: [RealtimeEvent] = []
        if speaking?.itemID == id { out += cancelSpeech(reason: "client_cancelled") }
        let audio = spokenAudio[id] ?? SpokenAudio(milliseconds: 0, transcript: "")
        guard end <= audio.milliseconds else {
            return out + [error("invalid_value", "audio_end_ms (\(end)) is past the end of the item's audio (\(audio.milliseconds) ms).",
                                param: "audio_end_ms", event: event)]
        }
        let kept = Self.truncated(audio.transcript, keeping: audio.milliseconds == 0 ? 0 : Double(end) / Double(audio.milliseconds))
        if spokenAudio[id] != nil {
            spokenAudio[id] = SpokenAudio(milliseconds: end, transcript: kept)
            var item = items[index]
            item["content"] = .array([.object(JSONObject([
                ("type", .string(dialect == .ga ? "output_audio" : "audio")), ("transcript", .string(kept)),
            ]))])
            items[index] = item
        }
        out.append(RealtimeEvent(type: "conversation.item.truncated", [
            ("event_id", eventID()), ("item_id", .string(id)), ("content_index", .int(event["content_index"]?.intValue ?? 0)),
            ("audio_end_ms", .int(end)),
        ]))
        return out
    }

    /// The first `fraction` of `transcript` by characters, cut back to the end of a word.
    static func truncated(_ transcript: String, keeping fraction: Double) -> String {
        guard fraction < 1 else { return transcript }
        let characters = Array(transcript)
        var count = Int(Double(characters.count) * max(0, fraction))
        if count < characters.count, !characters[count].isWhitespace {
            while count > 0, !characters[count - 1].isWhitespace { count -= 1 }
        }
        return String(characters[..<count]).trimmingWhitespace
    }
}

extension ResponseStream {
    /// An assistant message item.
    func assistantItem(status: String, content: [JSONValue]) -> JSONObject {
        JSONObject([
            ("id", .string(itemID)), ("object", .string("realtime.item")), ("type", .string("message")),
            ("status", .string(status)), ("role", .string("assistant")), ("content", .array(content)),
        ])
    }

    /// An event about the response's first content part.
    func contentEvent(_ type: String, _ members: [(String, JSONValue)]) -> RealtimeEvent {
        RealtimeEvent(type: type, [
            eventID(), ("response_id", .string(responseID)), ("item_id", .string(itemID)), ("output_index", .int(0)),
            ("content_index", .int(0)),
        ] + members)
    }

    /// The start of a spoken answer: the response, its item and its audio part; the audio and
    /// its transcript follow as synthesis goes.
    func audioMessageStart() -> ([RealtimeEvent], JSONObject) {
        let started = assistantItem(status: "in_progress", content: [])
        let out: [RealtimeEvent] = [
            RealtimeEvent(type: "response.created", [eventID(), ("response", response(status: "in_progress", output: [], usageText: ""))]),
            outputItem("response.output_item.added", started),
        ] + itemAdded(started) + [
            contentEvent("response.content_part.added", [
                ("part", .object(JSONObject([("type", .string("audio")), ("transcript", .string(""))]))),
            ]),
        ]
        return (out, started)
    }
}
