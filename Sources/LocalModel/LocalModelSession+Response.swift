import RealtimeProtocol
import SwitchboardAgents
import SwitchboardSpeech

extension LocalModelSession {
    /// Answers `response.create`: the brain decides, and the reply streams as a cloud model's
    /// would, as an assistant message or as a function call.
    mutating func responseCreate(_ event: RealtimeEvent) -> [RealtimeEvent] {
        if speaking != nil {
            return [error("conversation_already_has_active_response",
                          "Conversation already has an active response in progress; wait until it is done.", event: event)]
        }
        let overrides = event["response"]?.objectValue
        let instructions = overrides?["instructions"]?.stringValue ?? config.instructions
        let persona = brain.persona(forInstructions: instructions)
        let toolChoice = overrides?["tool_choice"] ?? config.toolChoice
        let declared = toolChoice?.stringValue == "none" ? [] : FunctionTool.tools(in: overrides?["tools"]?.arrayValue ?? config.tools ?? [])
        let modalities = (overrides?[dialect == .ga ? "output_modalities" : "modalities"]?.arrayValue?.compactMap(\.stringValue))
            ?? config.outputModalities ?? ["text"]
        // Out of band (`conversation: "none"`): the response is made as any other, but its item
        // joins no conversation; with `input`, it answers those items instead of the conversation.
        let outOfBand = overrides?["conversation"]?.stringValue == "none"
        var stream = ResponseStream(session: self, modalities: modalities)
        stream.outOfBand = outOfBand
        stream.metadata = overrides?["metadata"] ?? .null
        let context = outOfBand ? overrides?["input"]?.arrayValue.map { $0.compactMap(\.objectValue) } ?? items : items
        let out: [RealtimeEvent]
        let item: JSONObject
        let reply: BrainReply
        if let sentence = overrides?["instructions"]?.stringValue.flatMap(SpokenVerbatim.sentence(in:)) {
            reply = .say(sentence)
        } else if !outOfBand && lastUtteranceUnheard {
            reply = .say(Self.didNotCatch)
        } else {
            reply = brain.reply(to: context, as: persona, tools: declared, memory: &memory)
        }
        switch reply {
        case .say(let text) where modalities.contains("audio"):
            let voice = config.voice ?? persona.voice
            let format = config.outputFormat ?? .pcm16
            speaking = SpokenResponse(responseID: stream.responseID, itemID: stream.itemID, text: text, modalities: modalities,
                                      format: format, previous: stream.previous, outOfBand: outOfBand, metadata: stream.metadata)
            effects.append(.speak(responseID: stream.responseID, text: text, voice: voice, format: format))
            (out, item) = stream.audioMessageStart()
        case .say(let text):
            (out, item) = stream.message(text)
        case .call(let name, let arguments):
            (out, item) = stream.functionCall(name: name, arguments: arguments.jsonString)
        }
        if !outOfBand { items.append(item) }
        return out
    }

    /// What the model says to audio it could not make out.
    public static let didNotCatch = "Sorry, I didn't catch that. Could you say it again?"

    /// Whether the last thing in the conversation is the caller's audio with no transcript (the
    /// recognizer did not understand it, or transcription is off).
    var lastUtteranceUnheard: Bool {
        guard let last = items.last, LocalBrain.isUserMessage(last),
              let content = last["content"]?.arrayValue, !content.isEmpty else { return false }
        return content.allSatisfy { part in
            part["type"]?.stringValue == "input_audio" && (part["transcript"]?.stringValue ?? "").trimmingWhitespace.isEmpty
        }
    }

    func usage(outputText: String) -> JSONObject {
        let outputTokens = max(1, outputText.split(separator: " ").count)
        let inputTokens = items.count * 8
        var usage = JSONObject([
            ("total_tokens", .int(inputTokens + outputTokens)), ("input_tokens", .int(inputTokens)), ("output_tokens", .int(outputTokens)),
            ("input_token_details", .object(["text_tokens": .int(inputTokens), "audio_tokens": .int(0), "cached_tokens": .int(0)])),
            ("output_token_details", .object(["text_tokens": .int(outputTokens), "audio_tokens": .int(0)])),
        ])
        // The CPU the speech work took since the last response (none for a text session).
        let cpu = self.cpu.takeUnreported()
        if cpu > .zero { usage["switchboard_cpu_seconds"] = .double(Double(cpu.components.seconds) + Double(cpu.components.attoseconds) / 1e18) }
        return usage
    }

    /// Splits an answer into word-sized deltas.
    static func chunks(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Splits function call arguments into deltas of at most `size` characters.
    static func argumentChunks(_ text: String, size: Int = 16) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            out.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return out.isEmpty ? [""] : out
    }
}

/// The events of one response, in the session's dialect.
struct ResponseStream {
    let session: LocalModelSession
    let modalities: [String]
    var responseID = RealtimeID.make("resp")
    var itemID = RealtimeID.make("item")
    /// The item before the response's, when it is not the conversation's last one.
    var previousID: JSONValue? = nil
    /// Whether the response is out of band: its items join no conversation.
    var outOfBand = false
    /// The `metadata` the response was asked with.
    var metadata: JSONValue = .null

    var dialect: Dialect { session.dialect }
    var previous: JSONValue { previousID ?? session.items.last?["id"] ?? .null }

    func eventID() -> (String, JSONValue) { ("event_id", session.eventID()) }

    func response(status: String, output: [JSONValue], usageText: String, details: JSONValue = .null) -> JSONValue {
        var object = JSONObject([
            ("object", .string("realtime.response")), ("id", .string(responseID)), ("status", .string(status)),
            ("status_details", details), ("output", .array(output)), ("conversation_id", outOfBand ? .null : .string(session.conversationID)),
        ])
        object[dialect == .ga ? "output_modalities" : "modalities"] = .array(modalities.map(JSONValue.string))
        object["usage"] = status == "completed" ? .object(session.usage(outputText: usageText)) : .null
        object["metadata"] = metadata
        return .object(object)
    }

    /// `conversation.item.added` (GA) or `conversation.item.created` (beta); none out of band.
    func itemAdded(_ item: JSONObject) -> [RealtimeEvent] {
        guard !outOfBand else { return [] }
        return [RealtimeEvent(type: dialect == .ga ? "conversation.item.added" : "conversation.item.created", [
            eventID(), ("previous_item_id", previous), ("item", .object(item)),
        ])]
    }

    /// `conversation.item.done` (GA only); none out of band.
    func itemDone(_ item: JSONObject) -> [RealtimeEvent] {
        guard !outOfBand, dialect == .ga else { return [] }
        return [RealtimeEvent(type: "conversation.item.done", [eventID(), ("previous_item_id", previous), ("item", .object(item))])]
    }

    func outputItem(_ type: String, _ item: JSONObject) -> RealtimeEvent {
        RealtimeEvent(type: type, [eventID(), ("response_id", .string(responseID)), ("output_index", .int(0)), ("item", .object(item))])
    }

    /// An assistant message streamed as text, or as an audio transcript when text is not wanted.
    func message(_ answer: String) -> ([RealtimeEvent], JSONObject) {
        let asText = modalities.contains("text")
        let textType = asText ? (dialect == .ga ? "output_text" : "text") : (dialect == .ga ? "output_audio" : "audio")
        let textKey = asText ? "text" : "transcript"
        let deltaType: ServerEventKind = asText ? .responseOutputTextDelta : .responseOutputAudioTranscriptDelta
        let doneType: ServerEventKind = asText ? .responseOutputTextDone : .responseOutputAudioTranscriptDone
        func item(status: String, content: [JSONValue]) -> JSONObject {
            JSONObject([
                ("id", .string(itemID)), ("object", .string("realtime.item")), ("type", .string("message")),
                ("status", .string(status)), ("role", .string("assistant")), ("content", .array(content)),
            ])
        }
        // Content parts of response events are typed `text` / `audio` in both dialects; the item's
        // content uses the dialect's own names (GA `output_text`, beta `text`).
        let partType = asText ? "text" : "audio"
        let emptyPart = JSONValue.object(JSONObject([("type", .string(partType)), (textKey, .string(""))]))
        let fullPart = JSONValue.object(JSONObject([("type", .string(partType)), (textKey, .string(answer))]))
        let itemContent = JSONValue.object(JSONObject([("type", .string(textType)), (textKey, .string(answer))]))
        let common: [(String, JSONValue)] = [
            ("response_id", .string(responseID)), ("item_id", .string(itemID)), ("output_index", .int(0)), ("content_index", .int(0)),
        ]
        let started = item(status: "in_progress", content: [])
        var out: [RealtimeEvent] = [
            RealtimeEvent(type: "response.created", [eventID(), ("response", response(status: "in_progress", output: [], usageText: answer))]),
            outputItem("response.output_item.added", started),
        ] + itemAdded(started) + [
            RealtimeEvent(type: "response.content_part.added", [eventID()] + common + [("part", emptyPart)]),
        ]
        for chunk in LocalModelSession.chunks(answer) {
            out.append(RealtimeEvent(type: deltaType.name(in: dialect)!, [eventID()] + common + [("delta", .string(chunk))]))
        }
        out.append(RealtimeEvent(type: doneType.name(in: dialect)!, [eventID()] + common + [(textKey, .string(answer))]))
        out.append(RealtimeEvent(type: "response.content_part.done", [eventID()] + common + [("part", fullPart)]))
        let done = item(status: "completed", content: [itemContent])
        out.append(outputItem("response.output_item.done", done))
        out += itemDone(done)
        out.append(RealtimeEvent(type: "response.done", [eventID(), ("response", response(status: "completed", output: [.object(done)], usageText: answer))]))
        return (out, done)
    }

    /// A function call: the item, its streamed arguments, and the finished response.
    func functionCall(name: String, arguments: String) -> ([RealtimeEvent], JSONObject) {
        let callID = RealtimeID.make("call")
        func item(status: String, arguments: String) -> JSONObject {
            JSONObject([
                ("id", .string(itemID)), ("object", .string("realtime.item")), ("type", .string("function_call")),
                ("status", .string(status)), ("name", .string(name)), ("call_id", .string(callID)), ("arguments", .string(arguments)),
            ])
        }
        let common: [(String, JSONValue)] = [
            ("response_id", .string(responseID)), ("item_id", .string(itemID)), ("output_index", .int(0)), ("call_id", .string(callID)),
        ]
        let started = item(status: "in_progress", arguments: "")
        var out: [RealtimeEvent] = [
            RealtimeEvent(type: "response.created", [eventID(), ("response", response(status: "in_progress", output: [], usageText: arguments))]),
            outputItem("response.output_item.added", started),
        ] + itemAdded(started)
        for chunk in LocalModelSession.argumentChunks(arguments) {
            out.append(RealtimeEvent(type: "response.function_call_arguments.delta", [eventID()] + common + [("delta", .string(chunk))]))
        }
        out.append(RealtimeEvent(type: "response.function_call_arguments.done", [eventID()] + common + [
            ("name", .string(name)), ("arguments", .string(arguments)),
        ]))
        let done = item(status: "completed", arguments: arguments)
        out += itemDone(done)
        out.append(outputItem("response.output_item.done", done))
        out.append(RealtimeEvent(type: "response.done", [eventID(), ("response", response(status: "completed", output: [.object(done)], usageText: arguments))]))
        return (out, done)
    }
}
