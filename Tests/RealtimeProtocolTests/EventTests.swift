import NIOCore
import RealtimeProtocol
import Testing

@Suite("events in both dialects")
struct EventTests {
    @Test("every server event's name maps to its kind in each dialect that has it", arguments: ServerEventKind.allCases)
    func serverNames(_ kind: ServerEventKind) throws {
        for dialect in Dialect.allCases {
            guard let name = kind.name(in: dialect) else { continue }
            #expect(ServerEventKind(name: name, dialect: dialect) == kind)
            let event = RealtimeEvent(type: name, [("event_id", .string("event_1")), ("payload", .object(["k": .int(1)]))])
            let decoded = try RealtimeEvent.decode(event.encoded())
            #expect(decoded == event)
            #expect(decoded.type == name)
        }
        #expect(kind.gaName != nil || kind.betaName != nil)
    }

    @Test("renamed events", arguments: [
        (ServerEventKind.responseOutputAudioDelta, "response.audio.delta"),
        (.responseOutputTextDone, "response.text.done"),
        (.responseOutputAudioTranscriptDelta, "response.audio_transcript.delta"),
        (.conversationItemAdded, "conversation.item.created"),
    ])
    func renamed(_ kind: ServerEventKind, _ beta: String) {
        #expect(kind.betaName == beta)
        #expect(ServerEventKind.lookup(beta)?.kind == kind)
        #expect(ServerEventKind.lookup(beta)?.dialect == .beta)
    }

    @Test("every client event round-trips", arguments: ClientEventKind.allCases)
    func clientEvents(_ kind: ClientEventKind) throws {
        let event = RealtimeEvent(type: kind.name, [("event_id", .string("evt_1")), ("future_field", .array([.int(1)]))])
        #expect(try RealtimeEvent.decode(event.jsonString) == event)
    }

    @Test("decoding errors have codes")
    func decodingErrors() {
        #expect(throws: EventDecodingError.missingType) { try RealtimeEvent.decode(#"{"a":1}"#) }
        #expect(throws: EventDecodingError.notAnObject) { try RealtimeEvent.decode("[]") }
        #expect(throws: EventDecodingError.typeNotAString) { try RealtimeEvent.decode(#"{"type":1}"#) }
        #expect(EventDecodingError.malformedJSON("x").code == "invalid_json")
    }

    @Test("error events carry type, code, message, param and event_id")
    func errorEvent() throws {
        let error = RealtimeError.invalidRequest("invalid_value", "bad", param: "session.voice", eventID: "evt_9")
        let decoded = try RealtimeEvent.decode(error.event.jsonString)
        #expect(RealtimeError(event: decoded) == error)
        #expect(decoded.eventID?.hasPrefix("event_") == true)
    }

    @Test("the beta header selects the dialect")
    func betaHeader() {
        #expect(Dialect.fromBetaHeader("realtime=v1") == .beta)
        #expect(Dialect.fromBetaHeader("assistants=v2, realtime=v1") == .beta)
        #expect(Dialect.fromBetaHeader(nil) == .ga)
    }
}

@Suite("session configuration")
struct SessionConfigTests {
    @Test("GA to beta and back")
    func translate() throws {
        let ga = try JSONParser.parse(#"""
        {"type":"realtime","instructions":"hi","output_modalities":["text"],"max_output_tokens":"inf",
         "audio":{"input":{"format":{"type":"audio/pcmu"},"turn_detection":{"type":"server_vad","create_response":false},"transcription":null},
                  "output":{"format":{"type":"audio/pcm","rate":24000},"voice":"marin","speed":1.1}},
         "tracing":"auto"}
        """#).objectValue!
        let config = try SessionConfig(json: ga, dialect: .ga)
        #expect(config.inputFormat == .g711ulaw)
        #expect(config.outputFormat == .pcm16)
        #expect(config.voice == "marin")
        #expect(config.turnDetection?["create_response"]?.boolValue == false)
        #expect(config.inputTranscription == .null)
        let beta = config.json(in: .beta)
        #expect(beta["input_audio_format"] == .string("g711_ulaw"))
        #expect(beta["modalities"] == .array([.string("text")]))
        #expect(beta["max_response_output_tokens"] == .string("inf"))
        #expect(beta["tracing"] == .string("auto"))
        let back = try SessionConfig(json: beta, dialect: .beta).json(in: .ga)
        #expect(try SessionConfig(json: back, dialect: .ga) == config)
    }

    @Test("an unsupported format names the parameter")
    func badFormat() {
        #expect(throws: SessionConfig.Invalid.self) {
            try SessionConfig(json: ["input_audio_format": .string("mp3")], dialect: .beta)
        }
        #expect(throws: SessionConfig.Invalid.self) {
            try SessionConfig(json: ["audio": .object(["input": .object(["format": .object(["type": .string("audio/pcm"), "rate": .int(16000)])])])], dialect: .ga)
        }
    }

    @Test("merge changes only what the update sets")
    func merge() {
        var base = SessionConfig(instructions: "a", voice: "alloy", inputFormat: .pcm16)
        base.merge(SessionConfig(voice: "marin"))
        #expect(base.instructions == "a")
        #expect(base.voice == "marin")
        #expect(base.inputFormat == .pcm16)
    }

    @Test("dialect guess from shape")
    func guess() {
        #expect(SessionConfig.dialect(of: ["type": .string("realtime")]) == .ga)
        #expect(SessionConfig.dialect(of: ["modalities": .array([])]) == .beta)
        #expect(SessionConfig.dialect(of: ["instructions": .string("x")]) == nil)
    }
}
