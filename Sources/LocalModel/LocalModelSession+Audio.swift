import RealtimeProtocol
import SwitchboardAudio

/// Audio appended since the last commit, and the turn detector that cuts it into utterances.
struct InputAudio: Sendable {
    /// The format the samples came in (and the VAD runs at).
    var format: AudioFormat = .pcm16
    /// Samples appended since the last commit or clear, at `format`'s rate, when turn detection
    /// is off (with it on, the detector keeps the utterance).
    var samples: [Int16] = []
    /// The turn detector, when `turn_detection` is on.
    var vad: VoiceActivityDetector?
    /// The id the utterance under way will be committed as.
    var speechItemID: String?
    /// Whether the recognizer has been asked to load.
    var warmedUp = false
    /// The pause at which the utterance under way was handed to the recognizer ahead of its end:
    /// the item and where its voice stopped.
    var prepared: (itemID: String, speechEndMs: Int)?
}

/// `turn_detection` as the local model reads it.
struct TurnDetection: Sendable, Hashable {
    var vad: VoiceActivityConfiguration
    /// Start a response once an utterance's transcript is in.
    var createResponse: Bool
    /// Cancel the response under way when the caller starts speaking.
    var interruptResponse: Bool

    /// `server_vad` (and `semantic_vad`, treated alike) settings; `nil` for none (`null`, absent).
    init?(json: JSONValue?) {
        guard let object = json?.objectValue else { return nil }
        var vad = VoiceActivityConfiguration()
        if let threshold = object["threshold"]?.doubleValue { vad.threshold = min(max(threshold, 0), 1) }
        // Clamped to the protocol's range (session.update refuses numbers outside it already).
        let range = SessionLimits.vadMilliseconds
        if let padding = object["prefix_padding_ms"]?.intValue { vad.prefixPaddingMs = min(max(padding, range.lowerBound), range.upperBound) }
        if let silence = object["silence_duration_ms"]?.intValue { vad.silenceDurationMs = min(max(silence, range.lowerBound), range.upperBound) }
        if object["type"]?.stringValue == "semantic_vad" {
            // Eagerness stands for how long a pause ends the turn.
            switch object["eagerness"]?.stringValue {
            case "high": vad.silenceDurationMs = 300
            case "low": vad.silenceDurationMs = 1_000
            default: vad.silenceDurationMs = 600
            }
        }
        vad.pauseNoticeMs = Self.pauseNoticeMs(silenceDurationMs: vad.silenceDurationMs)
        self.vad = vad
        createResponse = object["create_response"]?.boolValue ?? true
        interruptResponse = object["interrupt_response"]?.boolValue ?? true
    }

    /// How long a pause lasts before the utterance so far goes to the recognizer: the rest of
    /// the silence duration is the recognizer's head start on the turn's end. Short enough to
    /// leave most of the silence (recognition takes 0.2–0.6 s), long enough that the gaps
    /// between words and the closures of stop consonants (under 100 ms) do not start one.
    static func pauseNoticeMs(silenceDurationMs: Int) -> Int {
        min(150, silenceDurationMs / 3)
    }
}

extension LocalModelSession {
    /// The session's turn detection, if on.
    var turnDetection: TurnDetection? { TurnDetection(json: config.turnDetection) }

    /// Whether committed audio is transcribed: when transcription is configured, or always with
    /// turn detection (an utterance nobody can read cannot be answered).
    var transcriptionOn: Bool {
        turnDetection != nil || (config.inputTranscription.map { !$0.isNull } ?? false)
    }

    /// Brings the input side in line with the configuration: a new detector when the input
    /// format changes, the same one (its noise estimate and clock kept) with new settings
    /// otherwise.
    mutating func applyAudioConfiguration() {
        let format = config.inputFormat ?? .pcm16
        if format != input.format {
            input.samples.removeAll()
            input.vad = nil
            input.speechItemID = nil
            input.format = format
            dropPreparedTranscript()
        }
        if !input.warmedUp, transcriptionOn {
            // Audio is coming: the recognizer loads while the caller starts speaking.
            input.warmedUp = true
            effects.append(.warmUp)
        }
        guard let detection = turnDetection else {
            input.vad = nil
            dropPreparedTranscript()
            return
        }
        if var vad = input.vad {
            input.vad = nil
            vad.configuration = detection.vad
            input.vad = vad
        } else {
            input.vad = VoiceActivityDetector(sampleRate: format.sampleRate, configuration: detection.vad)
        }
    }

    /// `input_audio_buffer.append`: decodes the audio in the input format, buffers it and, with
    /// turn detection, feeds the detector: an onset is `speech_started` (and cancels an answer
    /// being spoken), an end is `speech_stopped` and a commit.
    mutating func append(_ event: RealtimeEvent) -> [RealtimeEvent] {
        guard let audio = event["audio"]?.stringValue else {
            return [error("missing_required_parameter", "input_audio_buffer.append needs 'audio' (base64).", param: "audio", event: event)]
        }
        let format = input.format
        var samples: [Int16]
        do {
            // Bytes first, so text that is not base64 says so whatever its length.
            let bytes = try Base64Audio.decode(audio, frameSize: 1)
            switch format {
            case .pcm16:
                samples = try PCM16.samples(fromLittleEndian: bytes)
            case .g711ulaw, .g711alaw:
                samples = (format == .g711ulaw ? G711Law.muLaw : G711Law.aLaw).decode(bytes)
            }
        } catch {
            if error == .invalidBase64 {
                return [self.error("invalid_base64", "'audio' is not valid base64: \(error.description).", param: "audio", event: event)]
            }
            return [self.error("invalid_audio", "'audio' is not \(format.rawValue) audio: \(error.description).", param: "audio", event: event)]
        }
        let buffered = (input.vad?.utterance.count ?? input.samples.count) + samples.count
        guard buffered * format.bytesPerSample <= Self.maximumBufferedAudio else {
            return [error("input_audio_buffer_full", "The input audio buffer is full; commit or clear it.", param: "audio", event: event)]
        }
        if !input.warmedUp, transcriptionOn {
            input.warmedUp = true
            effects.append(.warmUp)
        }
        guard var vad = input.vad else {
            input.samples.append(contentsOf: samples)
            return []
        }
        input.vad = nil  // keeps the detector's buffers uniquely referenced while it runs
        let detected = vad.process(samples)
        var out: [RealtimeEvent] = []
        for activity in detected {
            switch activity {
            case .speechStarted(let start):
                let itemID = RealtimeID.make("item")
                input.speechItemID = itemID
                out.append(RealtimeEvent(type: "input_audio_buffer.speech_started", [
                    ("event_id", eventID()), ("audio_start_ms", .int(start)), ("item_id", .string(itemID)),
                ]))
                if speaking != nil, turnDetection?.interruptResponse ?? true {
                    out += cancelSpeech(reason: "turn_detected")
                }
            case .speechPaused(let speechEnd):
                if transcriptionOn, let itemID = input.speechItemID {
                    input.prepared = (itemID, speechEnd)
                    effects.append(.prepareTranscript(itemID: itemID, samples: vad.utterance, sampleRate: format.sampleRate))
                }
            case .speechStopped(let end):
                let itemID = input.speechItemID ?? RealtimeID.make("item")
                input.speechItemID = nil
                out.append(RealtimeEvent(type: "input_audio_buffer.speech_stopped", [
                    ("event_id", eventID()), ("audio_end_ms", .int(end)), ("item_id", .string(itemID)),
                ]))
                // The voice has not come back since the last pause: what was prepared is this speech.
                let prepared = input.prepared.map { $0.itemID == itemID && $0.speechEndMs == vad.speechEndMs } ?? false
                input.prepared = nil
                out += commitUtterance(vad.takeUtterance(), itemID: itemID, prepared: prepared)
            }
        }
        input.vad = vad
        return out
    }

    /// `input_audio_buffer.commit`: the buffered audio (with turn detection, the utterance under
    /// way) becomes a user item.
    mutating func commit(_ event: RealtimeEvent) -> [RealtimeEvent] {
        var samples: [Int16] = []
        if var vad = input.vad {
            input.vad = nil
            if vad.isSpeaking {
                samples = vad.utterance
                vad.clearBuffer()
            }
            input.vad = vad
        } else {
            samples = input.samples
            input.samples.removeAll()
        }
        guard !samples.isEmpty else {
            return [error("input_audio_buffer_commit_empty", "The input audio buffer is empty.", event: event)]
        }
        let itemID = input.speechItemID ?? RealtimeID.make("item")
        input.speechItemID = nil
        // Committed mid-utterance: the speech may go on past any pause prepared.
        dropPreparedTranscript()
        return commitUtterance(samples, itemID: itemID, prepared: false)
    }

    /// `input_audio_buffer.clear`: forgets the buffered audio and any utterance under way.
    mutating func clearInputAudio() {
        input.samples.removeAll()
        input.speechItemID = nil
        dropPreparedTranscript()
        if var vad = input.vad {
            input.vad = nil
            vad.clearBuffer()
            input.vad = vad
        }
    }

    /// Forgets the utterance handed to the recognizer at a pause, if any.
    private mutating func dropPreparedTranscript() {
        guard input.prepared != nil else { return }
        input.prepared = nil
        effects.append(.dropPreparedTranscript)
    }

    /// `input_audio_buffer.committed` and the user item (its transcript to come), and the
    /// transcription asked for (`prepared`: the pause's preparation holds this speech).
    private mutating func commitUtterance(_ samples: [Int16], itemID: String, prepared: Bool) -> [RealtimeEvent] {
        let previous = items.last?["id"] ?? .null
        let item = JSONObject([
            ("id", .string(itemID)), ("object", .string("realtime.item")), ("type", .string("message")),
            ("status", .string("completed")), ("role", .string("user")),
            ("content", .array([.object(["type": .string("input_audio"), "transcript": .null])])),
        ])
        items.append(item)
        var out = [RealtimeEvent(type: "input_audio_buffer.committed", [
            ("event_id", eventID()), ("previous_item_id", previous), ("item_id", .string(itemID)),
        ])]
        out.append(contentsOf: itemAdded(item, previous: previous))
        if transcriptionOn, !samples.isEmpty {
            effects.append(.transcribe(itemID: itemID, samples: samples, sampleRate: input.format.sampleRate, prepared: prepared))
        }
        return out
    }

    /// The work requested since the last call, in order.
    public mutating func takeEffects() -> [LocalModelEffect] {
        let taken = effects
        effects.removeAll()
        return taken
    }

    /// A committed utterance's transcript (or the failure to get one): the transcription events,
    /// the user item updated, and, when turn detection asks for it, the response.
    public mutating func transcribed(itemID: String, outcome: TranscriptionOutcome) -> [RealtimeEvent] {
        var out: [RealtimeEvent] = []
        switch outcome {
        case .transcript(let text):
            if let index = items.firstIndex(where: { $0["id"]?.stringValue == itemID }) {
                items[index]["content"] = .array([.object(["type": .string("input_audio"), "transcript": .string(text)])])
            }
            if !text.isEmpty {
                out.append(RealtimeEvent(type: "conversation.item.input_audio_transcription.delta", [
                    ("event_id", eventID()), ("item_id", .string(itemID)), ("content_index", .int(0)), ("delta", .string(text)),
                ]))
            }
            var completed: [(String, JSONValue)] = [
                ("event_id", eventID()), ("item_id", .string(itemID)), ("content_index", .int(0)), ("transcript", .string(text)),
            ]
            // Both SDKs require `usage`: the words written stand for the output tokens.
            let words = text.split(separator: " ").count
            completed.append(("usage", .object(JSONObject([
                ("type", .string("tokens")), ("input_tokens", .int(0)), ("output_tokens", .int(words)), ("total_tokens", .int(words)),
            ]))))
            out.append(RealtimeEvent(type: "conversation.item.input_audio_transcription.completed", completed))
        case .failed(let message):
            out.append(RealtimeEvent(type: "conversation.item.input_audio_transcription.failed", [
                ("event_id", eventID()), ("item_id", .string(itemID)), ("content_index", .int(0)),
                ("error", .object(JSONObject([
                    ("type", .string("server_error")), ("code", .string("transcription_failed")), ("message", .string(message)),
                    ("param", .null),
                ]))),
            ]))
        }
        if turnDetection?.createResponse == true, speaking == nil {
            out += responseCreate(RealtimeEvent(type: "response.create"))
        }
        return out
    }
}
