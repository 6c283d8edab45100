import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardAudio
import SwitchboardSpeech
import Synchronization
import Testing

/// Spoken turns through the local model's link: synthesized speech in, VAD turns, recognition,
/// tool calls, spoken answers, barge-in and truncation.
@Suite("the local model hears and speaks", .timeLimit(.minutes(2)))
struct VoiceTurnTests {
    static let question = "Is flight SB204 on time tomorrow?"
    static let statusOutput = #"{"outcome":"found","flight_number":"SB204","date":"2026-11-19","status":"delayed","gate":"B12"}"#

    func model() throws -> LocalRealtimeModel {
        LocalRealtimeModel(catalog: try Fixtures.catalog(), today: { wednesday }, speech: try VoiceAudio.speech.get())
    }

    /// A GA session of the test flight agent with server VAD and the given formats.
    func open(input: AudioFormat = .pcm16, output: AudioFormat = .pcm16, createResponse: Bool = true,
              modalities: String = #"["audio"]"#) async throws -> VoiceSession {
        let session = try await VoiceSession.open(try model())
        let instructions = try #require(try Fixtures.catalog().persona(named: "flight")).instructions
        try await session.send(#"""
            {"type":"session.update","session":{"type":"realtime","output_modalities":\#(modalities),
             "instructions":\#(JSONValue.string(instructions).jsonString),"tools":\#(Fixtures.flightTools),
             "audio":{"input":{"format":\#(input.json(in: .ga).jsonString),
                               "turn_detection":{"type":"server_vad","silence_duration_ms":500,"create_response":\#(createResponse)}},
                      "output":{"format":\#(output.json(in: .ga).jsonString)}}}}
            """#)
        let updated = try await session.events(until: "session.updated")
        #expect(updated.all("error").isEmpty)
        return session
    }

    enum Speaker: String, CaseIterable, Sendable {
        case flite, espeak
    }

    @Test("a spoken question: VAD turn, transcript, tool call, then a spoken answer", arguments: Speaker.allCases)
    func spokenQuestion(speaker: Speaker) async throws {
        let session = try await open()
        let speech = try await VoiceAudio.utterance(Self.question, engine: speaker == .flite ? .flite : .espeak)
        // Loaded beforehand, so the timings below are those of a running hub.
        _ = try await VoiceAudio.speech.get().recognizer()
        try await session.send(VoiceAudio.appends(speech + VoiceAudio.silence(seconds: 1)))
        let turn = try await session.events(until: "response.done")
        let types = turn.map(\.type)
        let started = try #require(turn.first("input_audio_buffer.speech_started"))
        let stopped = try #require(turn.first("input_audio_buffer.speech_stopped"))
        let committed = try #require(turn.first("input_audio_buffer.committed"))
        let itemID = try #require(started["item_id"]?.stringValue)
        #expect(stopped["item_id"]?.stringValue == itemID)
        #expect(committed["item_id"]?.stringValue == itemID)
        let startMs = try #require(started["audio_start_ms"]?.intValue)
        let endMs = try #require(stopped["audio_end_ms"]?.intValue)
        let spokenMs = speech.count * 1000 / 24_000
        #expect(startMs < 400 && endMs > spokenMs - 300 && endMs < spokenMs + 900, "\(startMs)…\(endMs) for \(spokenMs) ms of speech")
        #expect(types.firstIndex(of: "input_audio_buffer.speech_stopped")! < types.firstIndex(of: "input_audio_buffer.committed")!)
        let completed = try #require(turn.first("conversation.item.input_audio_transcription.completed"))
        #expect(completed["item_id"]?.stringValue == itemID)
        let transcript = completed["transcript"]?.stringValue ?? ""
        #expect(transcript.contains("SB204"), "heard \"\(transcript)\"")
        // create_response: the answer to the transcript is the status check.
        let call = try #require(turn.functionCall(.ga))
        #expect(call.name == "check_flight_status")
        #expect(call.arguments["flight_number"] == .string("SB204"))
        // The user item keeps its transcript.
        try await session.send(#"{"type":"conversation.item.retrieve","item_id":"\#(itemID)"}"#)
        let retrieved = try await session.events(until: "conversation.item.retrieved").last
        #expect(retrieved?["item"]?["content"]?[0]?["transcript"]?.stringValue == transcript)

        let output = JSONValue.object(["type": .string("function_call_output"), "call_id": .string(call.callID), "output": .string(Self.statusOutput)])
        let asked = ContinuousClock.now
        try await session.send([#"{"type":"conversation.item.create","item":\#(output.jsonString)}"#, #"{"type":"response.create"}"#])
        let answer = try await session.events(until: "response.done")
        if let recognition = session.sink.interval(from: "input_audio_buffer.speech_stopped", to: "conversation.item.input_audio_transcription.completed"),
           let firstAudio = session.sink.arrivals.withLock({ $0["response.output_audio.delta"] }) {
            print("voice \(speaker.rawValue): \(speech.count / 24) ms of speech; speech_stopped → transcript \(recognition); "
                + "response.create → first audio delta \(asked.duration(to: firstAudio))")
        }
        let audioSeconds = try VoiceAudio.seconds(ofDeltasIn: answer)
        #expect(audioSeconds > 1.5 && audioSeconds < 8, "\(audioSeconds) s of audio")
        let deltas = answer.all("response.output_audio_transcript.delta").compactMap { $0["delta"]?.stringValue }.joined()
        let done = try #require(answer.first("response.output_audio_transcript.done")?["transcript"]?.stringValue)
        #expect(deltas == done)
        #expect(done.contains("SB204") && done.contains("delayed"), "\(done)")
        let final = answer.last?["response"]
        #expect(final?["status"]?.stringValue == "completed")
        #expect(final?["output"]?[0]?["content"]?[0]?["type"]?.stringValue == "output_audio")
        #expect(final?["output"]?[0]?["content"]?[0]?["transcript"]?.stringValue == done)
        let order = Array(answer.map(\.type).drop { $0 != "response.created" })
        #expect(order.first == "response.created")
        #expect(order.firstIndex(of: "response.content_part.added")! < order.firstIndex(of: "response.output_audio.delta")!)
        #expect(order.lastIndex(of: "response.output_audio.delta")! < order.firstIndex(of: "response.output_audio.done")!)
        try await session.close()
    }

    @Test("barge-in: speech during a spoken answer cancels it; truncation cuts the transcript, not past the end")
    func bargeIn() async throws {
        let session = try await open(createResponse: false)
        // A long answer: the knowledge tool's answer is spoken as it is.
        let long = (1...20).map { "This is sentence number \($0) of a very long answer about the baggage policy." }.joined(separator: " ")
        try await session.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"What is the baggage policy?"}]}}"#)
        try await session.send(#"{"type":"response.create"}"#)
        let call = try #require(try await session.events(until: "response.done").functionCall(.ga))
        #expect(call.name == "search_flight_knowledgebase")
        let output = JSONValue.object([
            "type": .string("function_call_output"), "call_id": .string(call.callID),
            "output": .string(JSONValue.object(["outcome": .string("found"), "answer": .string(long)]).jsonString),
        ])
        try await session.send([#"{"type":"conversation.item.create","item":\#(output.jsonString)}"#, #"{"type":"response.create"}"#])
        _ = try await session.events(until: "response.output_audio.delta")
        let interruption = try await VoiceAudio.utterance("Wait, stop.")
        try await session.send(VoiceAudio.appends(interruption))
        let cancelled = try await session.events(until: "response.done")
        #expect(cancelled.contains { $0.type == "input_audio_buffer.speech_started" })
        let response = cancelled.last?["response"]
        #expect(response?["status"]?.stringValue == "cancelled")
        #expect(response?["status_details"]?["reason"]?.stringValue == "turn_detected")
        let item = try #require(response?["output"]?[0])
        #expect(item["status"]?.stringValue == "incomplete")
        let itemID = try #require(item["id"]?.stringValue)
        let heard = item["content"]?[0]?["transcript"]?.stringValue ?? ""
        #expect(!heard.isEmpty && heard.count < long.count, "\(heard.count) of \(long.count) characters")
        let delivered = try VoiceAudio.seconds(ofDeltasIn: cancelled)
        // Nothing for the response after it is done.
        try await Task.sleep(for: .milliseconds(300))
        #expect(session.unread.allSatisfy { $0["response_id"]?.stringValue != response?["id"]?.stringValue })

        // Truncate at half of what was delivered: the transcript keeps about half its words.
        let half = Int(delivered * 1000) / 2
        try await session.send(#"{"type":"conversation.item.truncate","item_id":"\#(itemID)","content_index":0,"audio_end_ms":\#(half)}"#)
        let truncated = try await session.events(until: "conversation.item.truncated")
        #expect(truncated.last?["audio_end_ms"]?.intValue == half)
        try await session.send(#"{"type":"conversation.item.retrieve","item_id":"\#(itemID)"}"#)
        let kept = try await session.events(until: "conversation.item.retrieved").last?["item"]?["content"]?[0]?["transcript"]?.stringValue ?? ""
        #expect(kept.count < heard.count && heard.hasPrefix(kept) && !kept.isEmpty, "\"\(kept)\" of \"\(heard)\"")
        // Past the end of the (now shorter) audio: an error, and the session goes on.
        try await session.send(#"{"type":"conversation.item.truncate","event_id":"t2","item_id":"\#(itemID)","content_index":0,"audio_end_ms":\#(half + 1000)}"#)
        let error = try #require(RealtimeError(event: try await session.events(until: "error").last!))
        #expect(error.code == "invalid_value")
        #expect(error.eventID == "t2")
        try await session.close()
    }

    @Test("silence alone, and noise alone (steady, then louder), never make a turn")
    func silenceAndNoise() async throws {
        // Digital silence followed by noise is not in here: the detector takes that step for an
        // onset (a SwitchboardAudio matter; the recognizer then hears nothing and the model asks
        // the caller to say it again).
        let inputs = [
            VoiceAudio.silence(seconds: 3),
            VoiceAudio.noise(seconds: 2, level: -45) + VoiceAudio.noise(seconds: 2, level: -30, seed: 7),
        ]
        for audio in inputs {
            let session = try await open()
            try await session.send(VoiceAudio.appends(audio))
            // A marker event: everything before its error was caused by the audio.
            try await session.send(#"{"type":"conversation.item.retrieve","event_id":"marker","item_id":"nothing"}"#)
            let events = try await session.events(until: "error")
            #expect(events.map(\.type) == ["error"], "\(events.map { "\($0.type) \($0["audio_start_ms"] ?? $0["audio_end_ms"] ?? .null)" })")
            try await session.close()
        }
    }

    @Test("bad audio is an error and the session goes on")
    func badAudio() async throws {
        let session = try await open()
        try await session.send(#"{"type":"input_audio_buffer.append","event_id":"odd","audio":"AAAA"}"#)
        let odd = try #require(RealtimeError(event: try await session.events(until: "error").last!))
        #expect(odd.code == "invalid_audio")
        #expect(odd.eventID == "odd")
        try await session.send(#"{"type":"input_audio_buffer.append","event_id":"b64","audio":"not base64!!"}"#)
        #expect(RealtimeError(event: try await session.events(until: "error").last!)?.code == "invalid_base64")
        try await session.send(#"{"type":"session.update","event_id":"fmt","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/mp3"}}}}}"#)
        #expect(RealtimeError(event: try await session.events(until: "error").last!)?.code == "invalid_value")
        // The session still hears.
        let speech = try await VoiceAudio.utterance(Self.question)
        try await session.send(VoiceAudio.appends(speech + VoiceAudio.silence(seconds: 1)))
        let completed = try await session.events(until: "conversation.item.input_audio_transcription.completed")
        #expect(completed.last?["transcript"]?.stringValue?.contains("SB204") == true)
        try await session.close()
    }

    @Test("manual commit: audio nobody can make out gets an empty transcript, and the model asks again")
    func notUnderstood() async throws {
        let session = try await VoiceSession.open(try model())
        try await session.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"local"}}}}}"#)
        _ = try await session.events(until: "session.updated")
        try await session.send(VoiceAudio.appends(VoiceAudio.noise(seconds: 1.5, level: -25, seed: 3)))
        try await session.send(#"{"type":"input_audio_buffer.commit"}"#)
        let committed = try await session.events(until: "input_audio_buffer.committed")
        #expect(!committed.contains { $0.type.hasPrefix("input_audio_buffer.speech") })
        let completed = try await session.events(until: "conversation.item.input_audio_transcription.completed")
        #expect(completed.last?["transcript"]?.stringValue == "")
        try await session.send(#"{"type":"response.create"}"#)
        let answer = try await session.events(until: "response.done")
        #expect(answer.first("response.output_text.done")?["text"]?.stringValue == LocalModelSession.didNotCatch)
        // An empty buffer cannot be committed.
        try await session.send(#"{"type":"input_audio_buffer.commit","event_id":"empty"}"#)
        #expect(RealtimeError(event: try await session.events(until: "error").last!)?.code == "input_audio_buffer_commit_empty")
        try await session.close()
    }

    @Test("a recognizer that cannot load: transcription fails, the session goes on")
    func recognizerMissing() async throws {
        var configuration = SpeechRecognizer.Configuration()
        configuration.acousticModel = "/nonexistent/acoustic-model"
        let broken = LocalSpeech(domain: SpeechDomain(sentences: ["Is my flight on time?"]), configuration: configuration)
        let session = try await VoiceSession.open(LocalRealtimeModel(catalog: try Fixtures.catalog(), today: { wednesday }, speech: broken))
        try await session.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"turn_detection":{"type":"server_vad"}}}}}"#)
        _ = try await session.events(until: "session.updated")
        let speech = try await VoiceAudio.utterance(Self.question)
        try await session.send(VoiceAudio.appends(speech + VoiceAudio.silence(seconds: 1)))
        let failed = try await session.events(until: "conversation.item.input_audio_transcription.failed").last
        #expect(failed?["error"]?["code"]?.stringValue == "transcription_failed")
        #expect(failed?["content_index"]?.intValue == 0)
        // create_response (the default): the model answers anyway, asking the caller to repeat.
        let answer = try await session.events(until: "response.done")
        #expect(answer.first("response.output_text.done")?["text"]?.stringValue == LocalModelSession.didNotCatch)
        try await session.close()
    }

    @Test("g711_ulaw in and out at 8 kHz")
    func muLaw() async throws {
        let session = try await open(input: .g711ulaw, output: .g711ulaw)
        let speech = try await VoiceAudio.utterance(Self.question, rate: 8_000)
        try await session.send(VoiceAudio.appends(speech + VoiceAudio.silence(seconds: 1, rate: 8_000), rate: 8_000, milliseconds: 20, format: .g711ulaw))
        let turn = try await session.events(until: "response.done")
        #expect(turn.contains { $0.type == "input_audio_buffer.speech_stopped" })
        let transcript = turn.first("conversation.item.input_audio_transcription.completed")?["transcript"]?.stringValue ?? ""
        #expect(transcript.contains("SB204"), "heard \"\(transcript)\"")
        let call = try #require(turn.functionCall(.ga))
        let output = JSONValue.object(["type": .string("function_call_output"), "call_id": .string(call.callID), "output": .string(Self.statusOutput)])
        try await session.send([#"{"type":"conversation.item.create","item":\#(output.jsonString)}"#, #"{"type":"response.create"}"#])
        let answer = try await session.events(until: "response.done")
        let seconds = try VoiceAudio.seconds(ofDeltasIn: answer, format: .g711ulaw)
        #expect(seconds > 1.5 && seconds < 8, "\(seconds) s")
        // Deltas of about 100 ms: 800 μ-law bytes.
        let first = try Base64Audio.decode(answer.first("response.output_audio.delta")?["delta"]?.stringValue ?? "", frameSize: 1)
        #expect(first.count == 800)
        // The μ-law audio is speech: loud enough.
        var samples: [Int16] = []
        for delta in answer.all("response.output_audio.delta") {
            samples += G711Law.muLaw.decode(try Base64Audio.decode(delta["delta"]?.stringValue ?? "", frameSize: 1))
        }
        #expect(PCM16.dBFS(samples) > -35)
        try await session.close()
    }
}

@Suite("spoken answers in the beta dialect", .timeLimit(.minutes(2)))
struct BetaVoiceTests {
    @Test("beta names: response.audio.delta, response.audio_transcript.*, item content `audio`")
    func betaSpokenAnswer() async throws {
        let model = LocalRealtimeModel(catalog: try Fixtures.catalog(), today: { wednesday }, speech: try VoiceAudio.speech.get())
        let session = try await VoiceSession.open(model, dialect: .beta)
        try await session.send(#"{"type":"session.update","session":{"modalities":["text","audio"],"output_audio_format":"pcm16"}}"#)
        _ = try await session.events(until: "session.updated")
        try await session.send([
            #"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}}"#,
            #"{"type":"response.create"}"#,
        ])
        let events = try await session.events(until: "response.done")
        let types = Set(events.map(\.type))
        #expect(types.isSuperset(of: ["response.audio.delta", "response.audio.done", "response.audio_transcript.delta",
                                      "response.audio_transcript.done", "conversation.item.created"]))
        #expect(!types.contains { $0.hasPrefix("response.output_audio") || $0 == "conversation.item.added" || $0.hasPrefix("response.text") })
        #expect(try VoiceAudio.seconds(ofDeltasIn: events) > 0.5)
        let content = events.last?["response"]?["output"]?[0]?["content"]?[0]
        #expect(content?["type"]?.stringValue == "audio")
        #expect(content?["transcript"]?.stringValue == "Hello, this is the concierge.")
        // A spoken turn in beta: VAD events, `conversation.item.created`, the transcript.
        try await session.send(#"{"type":"session.update","session":{"turn_detection":{"type":"server_vad","create_response":false}}}"#)
        _ = try await session.events(until: "session.updated")
        let speech = try await VoiceAudio.utterance(VoiceTurnTests.question)
        try await session.send(VoiceAudio.appends(speech + VoiceAudio.silence(seconds: 1)))
        let turn = try await session.events(until: "conversation.item.input_audio_transcription.completed")
        #expect(turn.map(\.type).filter { !$0.contains("transcription.delta") } == [
            "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
            "conversation.item.created", "conversation.item.input_audio_transcription.completed",
        ])
        #expect(turn.last?["transcript"]?.stringValue?.contains("SB204") == true)
        // A second response while one is being spoken is refused.
        try await session.send([#"{"type":"response.create"}"#, #"{"type":"response.create","event_id":"second"}"#])
        let refused = try await session.events(until: "error")
        #expect(RealtimeError(event: refused.last!)?.code == "conversation_already_has_active_response")
        _ = try await session.events(until: "response.done")
        try await session.close()
    }
}
