import LocalModel
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardAudio
import Testing

/// The recognizer's head start: at a pause the session hands the utterance so far to the
/// recognizer; when the turn then ends without the voice coming back, that recognition is the
/// transcript.
@Suite("the local model recognises at the pause that ends a turn")
struct PreparedTranscriptTests {
    /// A session with server VAD (500 ms of silence ends a turn), audio in.
    func script() throws -> HubScript {
        var script = try HubScript(.ga, catalog: try Fixtures.catalog())
        let events = try script.send(#"""
            {"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},
             "turn_detection":{"type":"server_vad","silence_duration_ms":500}}}}}
            """#)
        #expect(events.map(\.type) == ["session.updated"])
        _ = script.session.takeEffects()
        return script
    }

    /// Sends `samples` as 40 ms appends; the server events and the effects asked for.
    func stream(_ samples: [Int16], into script: inout HubScript) throws -> (events: [RealtimeEvent], effects: [LocalModelEffect]) {
        var events: [RealtimeEvent] = []
        var effects: [LocalModelEffect] = []
        for append in VoiceAudio.appends(samples) {
            events += try script.send(append)
            effects += script.session.takeEffects()
        }
        return (events, effects)
    }

    struct Prepared {
        var itemID: String
        var samples: [Int16]
    }

    func prepared(_ effects: [LocalModelEffect]) -> [Prepared] {
        effects.compactMap {
            if case .prepareTranscript(let itemID, let samples, _) = $0 { return Prepared(itemID: itemID, samples: samples) }
            return nil
        }
    }

    func transcriptions(_ effects: [LocalModelEffect]) -> [(itemID: String, samples: [Int16], prepared: Bool)] {
        effects.compactMap {
            if case .transcribe(let itemID, let samples, _, let prepared) = $0 { return (itemID, samples, prepared) }
            return nil
        }
    }

    @Test("a turn's transcript is prepared 150 ms into its final silence, from the same audio but the rest of the silence")
    func preparedAtTheEnd() async throws {
        var script = try script()
        let speech = try await VoiceAudio.utterance("Is flight SB204 on time?")
        let (events, effects) = try stream(speech + VoiceAudio.silence(seconds: 1), into: &script)
        let stopped = try #require(events.first { $0.type == "input_audio_buffer.speech_stopped" })
        let itemID = try #require(stopped["item_id"]?.stringValue)
        let preparations = prepared(effects)
        let last = try #require(preparations.last)
        #expect(preparations.allSatisfy { $0.itemID == itemID })
        let transcriptions = transcriptions(effects)
        #expect(transcriptions.count == 1)
        let final = try #require(transcriptions.first)
        #expect(final.itemID == itemID && final.prepared)
        // The prepared audio is the committed audio without its last 350 ms of silence, less the
        // part of the 40 ms append after the frame that noticed the pause.
        #expect(Array(final.samples.prefix(last.samples.count)) == last.samples)
        let rest = (final.samples.count - last.samples.count) * 1000 / 24_000
        #expect(rest > 310 && rest <= 350, "\(rest) ms")
        // The preparation comes before the turn ends.
        let preparedAt = try #require(effects.firstIndex { if case .prepareTranscript = $0 { true } else { false } })
        let transcribedAt = try #require(effects.firstIndex { if case .transcribe = $0 { true } else { false } })
        #expect(preparedAt < transcribedAt)
    }

    @Test("when the voice comes back after a pause, the turn is prepared again at its real end")
    func voiceComesBack() async throws {
        var script = try script()
        // Without the synthesizer's silence between them, so the gap is 300 ms.
        var first = try await VoiceAudio.utterance("Is flight SB204 on time?")
        while let last = first.last, abs(Int(last)) < 64 { first.removeLast() }
        let second = Array(try await VoiceAudio.utterance("Thank you very much.").drop { abs(Int($0)) < 64 })
        let (events, effects) = try stream(first + VoiceAudio.silence(seconds: 0.3) + second + VoiceAudio.silence(seconds: 1), into: &script)
        #expect(events.filter { $0.type == "input_audio_buffer.speech_stopped" }.count == 1,
                "\(first.count / 24) ms, then \(second.count / 24) ms: \(events.filter { $0.type.hasPrefix("input_audio_buffer.speech") }.map { "\($0.type) \($0["audio_start_ms"] ?? $0["audio_end_ms"] ?? .null)" })")
        let preparations = prepared(effects)
        #expect(preparations.count >= 2)
        let final = try #require(transcriptions(effects).first)
        #expect(final.prepared)
        // The earlier preparation stopped in the gap; the last one has both sentences.
        #expect(preparations.first!.samples.count < first.count + 24_000 * 3 / 10)
        #expect(preparations.last!.samples.count > first.count + second.count)
    }

    @Test("a commit or a clear in the middle of a pause drops the preparation")
    func dropped() async throws {
        var script = try script()
        let speech = try await VoiceAudio.utterance("Is flight SB204 on time?")
        // Speech, then 250 ms of a pause: prepared, not yet ended.
        var (events, effects) = try stream(speech + VoiceAudio.silence(seconds: 0.25), into: &script)
        #expect(events.contains { $0.type == "input_audio_buffer.speech_started" })
        #expect(!events.contains { $0.type == "input_audio_buffer.speech_stopped" })
        #expect(!prepared(effects).isEmpty)
        events = try script.send(#"{"type":"input_audio_buffer.commit"}"#)
        #expect(events.first?.type == "input_audio_buffer.committed")
        effects = script.session.takeEffects()
        #expect(effects.first == .dropPreparedTranscript)
        #expect(transcriptions(effects).map(\.prepared) == [false])

        (_, effects) = try stream(speech + VoiceAudio.silence(seconds: 0.25), into: &script)
        #expect(!prepared(effects).isEmpty)
        _ = try script.send(#"{"type":"input_audio_buffer.clear"}"#)
        #expect(script.session.takeEffects() == [.dropPreparedTranscript])
    }
}
