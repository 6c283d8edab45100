import Foundation
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardServer
import SwitchboardSpeech
import SwitchboardTesting
import Testing

/// A question as a caller says it: synthesized by flite, at `rate`.
private func spoken(_ text: String, rate: Int) async throws -> [Int16] {
    let audio = try await SpeechSynthesizer().synthesize(text, voice: "kal16", language: "en-US", engine: .flite)
    let resampler = try Resampler(from: audio.sampleRate, to: rate)
    var samples = resampler.process(audio.samples)
    resampler.flush(appendingTo: &samples)
    return samples
}

/// `input_audio_buffer.append` events of `milliseconds` each, in `format`.
private func appends(_ samples: [Int16], rate: Int, milliseconds: Int, format: AudioFormat) -> [String] {
    let step = rate * milliseconds / 1000
    return stride(from: 0, to: samples.count, by: step).map { start in
        let piece = Array(samples[start..<min(samples.count, start + step)])
        let audio = format == .pcm16 ? Base64Audio.encodePCM16(piece) : Base64Audio.encode(G711Law.muLaw.encode(piece))
        return #"{"type":"input_audio_buffer.append","audio":"\#(audio)"}"#
    }
}

private func deltaSeconds(_ events: [RealtimeEvent], format: AudioFormat) throws -> Double {
    var bytes = 0
    for event in events where event.type == "response.output_audio.delta" {
        bytes += try Base64Audio.decode(event["delta"]?.stringValue ?? "", frameSize: format.bytesPerSample).count
    }
    return Double(bytes / format.bytesPerSample) / Double(format.sampleRate)
}

@Suite("spoken conversations through the hub on the local model", .timeLimit(.minutes(2)))
struct VoiceConversationTests {
    /// A voice client: server VAD, audio out, in `format`.
    private func openVoiceSession(_ port: Int, format: AudioFormat) async throws -> RealtimeTestClient {
        let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(UUID().uuidString)")
        #expect(try await client.nextEvent().type == "hub.session.ready")
        #expect(try await client.nextEvent().type == "session.created")
        let formatJSON = format.json(in: .ga).jsonString
        try await client.send(#"""
            {"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],
             "audio":{"input":{"format":\#(formatJSON),"turn_detection":{"type":"server_vad","silence_duration_ms":500}},
                      "output":{"format":\#(formatJSON),"voice":"alloy"}}}}
            """#)
        let updated = try await client.events(until: "session.updated")
        #expect(updated.allSatisfy { $0.type != "error" })
        return client
    }

    private func spokenFlightStatus(format: AudioFormat) async throws {
        try await withHub { port in
            let client = try await openVoiceSession(port, format: format)
            let rate = format.sampleRate
            let question = try await spoken("Is flight SB204 on time tomorrow?", rate: rate)
            let silence = [Int16](repeating: 0, count: rate)
            let clock = ContinuousClock()
            for event in appends(question + silence, rate: rate, milliseconds: format == .pcm16 ? 40 : 20, format: format) {
                try await client.send(event)
            }
            let sent = clock.now
            // Read one by one, to time the answer from the end of speech.
            var events: [RealtimeEvent] = []
            var stoppedAt: ContinuousClock.Instant?
            var firstAudioAt: ContinuousClock.Instant?
            // A slow tool on a loaded machine gets a spoken filler first (an out-of-band response):
            // it is not the answer, so its events are left out.
            var fillers: Set<String> = []
            while true {
                let event = try await client.nextEvent(timeout: .seconds(60))
                if let response = event["response"]?.objectValue, response["metadata"]?.objectValue?["switchboard"] != nil,
                   let id = response["id"]?.stringValue {
                    fillers.insert(id)
                }
                if let id = event["response_id"]?.stringValue ?? event["response"]?["id"]?.stringValue, fillers.contains(id) { continue }
                if event.type == "input_audio_buffer.speech_stopped" { stoppedAt = clock.now }
                if event.type == "response.output_audio.delta", firstAudioAt == nil { firstAudioAt = clock.now }
                events.append(event)
                if event.type == "response.done" { break }
            }
            let types = events.map(\.type)
            for type in ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed"] {
                #expect(types.contains(type), "no \(type) in \(types)")
            }
            let transcript = events.first { $0.type == "conversation.item.input_audio_transcription.completed" }?["transcript"]?.stringValue ?? ""
            #expect(transcript.contains("SB204"), "heard \"\(transcript)\"")
            #expect(events.first { $0.type == "hub.agent.switched" }?["to"] == .string("flight"))
            let result = try #require(events.first { $0.type == "hub.tool.result" })
            #expect(result["tool"] == .string("check_flight_status"))
            #expect(result["arguments"]?["flight_number"] == .string("SB204"))
            let seconds = try deltaSeconds(events, format: format)
            #expect(seconds > 1.0 && seconds < 15, "\(seconds) s of answer")
            let answer = events.first { $0.type == "response.output_audio_transcript.done" }?["transcript"]?.stringValue ?? ""
            let status = result["output"]?["status"]?.stringValue ?? "?"
            #expect(answer.contains(status), "\"\(answer)\" lacks \(status)")
            #expect(events.last?["response"]?["status"] == .string("completed"))
            if let firstDelta = events.firstIndex(where: { $0.type == "response.output_audio.delta" }) {
                #expect(firstDelta > types.firstIndex(of: "hub.tool.result")!)
            }
            if let stoppedAt, let firstAudioAt {
                // Audio is sent faster than real time, so this is the hub's own delay: transcription,
                // routing, the tool, the first sentence's synthesis.
                print("voice turn (\(format.rawValue)): speech_stopped → first audio delta \(stoppedAt.duration(to: firstAudioAt)); "
                    + "\(String(format: "%.2f", seconds)) s of answer; response.done \(sent.duration(to: clock.now)) after the last append")
            }
            if let directory = ProcessInfo.processInfo.environment["VOICE_EVENTS_DIR"] {
                try events.map(\.jsonString).joined(separator: "\n")
                    .write(toFile: "\(directory)/hub-\(format.rawValue)-ga.jsonl", atomically: true, encoding: .utf8)
            }
            await client.close()
        }
    }

    @Test("a spoken flight question: VAD turn, transcript, handoff, tool, spoken answer (pcm16 24 kHz)")
    func spokenQuestion() async throws {
        try await spokenFlightStatus(format: .pcm16)
    }

    @Test("the same over g711_ulaw at 8 kHz, in and out")
    func spokenQuestionMuLaw() async throws {
        try await spokenFlightStatus(format: .g711ulaw)
    }

    @Test("silence only makes no turn; bad audio is an error and the session goes on")
    func silenceAndBadAudio() async throws {
        try await withHub { port in
            let client = try await openVoiceSession(port, format: .pcm16)
            for event in appends([Int16](repeating: 0, count: 48_000), rate: 24_000, milliseconds: 40, format: .pcm16) {
                try await client.send(event)
            }
            try await client.send(#"{"type":"input_audio_buffer.append","event_id":"odd","audio":"AAAA"}"#)
            let before = try await client.events(until: "error")
            #expect(before.map(\.type) == ["error"], "\(before.map(\.type))")
            #expect(RealtimeError(event: before.last!)?.code == "invalid_audio")
            #expect(RealtimeError(event: before.last!)?.eventID == "odd")
            try await client.send(#"{"type":"input_audio_buffer.append","event_id":"b64","audio":"%%%%"}"#)
            #expect(RealtimeError(event: try await client.events(until: "error").last!)?.code == "invalid_base64")
            try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}}"#)
            try await client.send(#"{"type":"response.create"}"#)
            let answer = try await client.events(until: "response.done", timeout: .seconds(30))
            #expect(answer.last?["response"]?["status"] == .string("completed"))
            await client.close()
        }
    }
}
