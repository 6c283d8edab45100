import Foundation
import RealtimeProtocol
import SwitchboardAudio
import SwitchboardData
import SwitchboardServer
import SwitchboardSpeech
import SwitchboardTesting
import Testing

/// The clinic pack (Personas/clinic), a business written only as files, served offline by the
/// embedded model: by text and by voice, with no Swift that knows about it.
@Suite("a second business from files alone: the clinic pack end to end", .timeLimit(.minutes(3)))
struct ClinicPackTests {
    private func clinic() -> HubConfiguration {
        testConfiguration { $0.defaultPack = "clinic" }
    }

    private func open(_ port: Int, audio: Bool = false) async throws -> RealtimeTestClient {
        let client = try await RealtimeTestClient.connect(port: port, uri: "/v1/realtime?hub_events=1&session_state_key=\(UUID().uuidString)")
        #expect(try await client.nextEvent().type == "hub.session.ready")
        #expect(try await client.nextEvent().type == "session.created")
        if audio {
            try await client.send(#"""
                {"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],
                 "audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":{"type":"server_vad","silence_duration_ms":500}},
                          "output":{"format":{"type":"audio/pcm","rate":24000},"voice":"alloy"}}}}
                """#)
        } else {
            try await client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        }
        _ = try await client.events(until: "session.updated")
        return client
    }

    private func say(_ client: RealtimeTestClient, _ text: String) async throws -> [RealtimeEvent] {
        try await client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(text)"}]}}"#)
        try await client.send(#"{"type":"response.create"}"#)
        return try await client.events(until: "response.done")
    }

    /// `text` spoken by flite's kal16 voice, sent as 24 kHz PCM16 in 40 ms frames, then a second of silence.
    private func speak(_ client: RealtimeTestClient, _ text: String) async throws {
        let rate = 24_000
        let audio = try await SpeechSynthesizer().synthesize(text, voice: "kal16", language: "en-US", engine: .flite)
        let resampler = try Resampler(from: audio.sampleRate, to: rate)
        var samples = resampler.process(audio.samples)
        resampler.flush(appendingTo: &samples)
        samples += [Int16](repeating: 0, count: rate)
        for start in stride(from: 0, to: samples.count, by: rate / 25) {
            let piece = Array(samples[start..<min(samples.count, start + rate / 25)])
            try await client.send(#"{"type":"input_audio_buffer.append","audio":"\#(Base64Audio.encodePCM16(piece))"}"#)
        }
    }

    private func answer(_ events: [RealtimeEvent]) -> String {
        let output = events.last?["response"]?["output"]?.arrayValue ?? []
        return output.compactMap { item in
            item["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue ?? $0["transcript"]?.stringValue }.joined(separator: " ")
        }.joined(separator: " ")
    }

    @Test("by text: list, book, cancel and a practice question, each by the right agent and tool, answered from the data")
    func text() async throws {
        let configuration = clinic()
        try await withHub(configuration) { port in
            let client = try await open(port)
            let list = try await say(client, "When is my next appointment?")
            #expect(list.first { $0.type == "hub.agent.switched" }?["to"] == .string("appointments"))
            let listed = try #require(list.first { $0.type == "hub.tool.result" })
            #expect(listed["tool"] == .string("list_my_appointments"))
            #expect(listed["outcome"] == .string("found"))
            #expect(answer(list).contains("A1001"), "\(answer(list))")
            #expect(answer(list).contains("Doctor Patel"))

            let book = try await say(client, "I'd like to book a cleaning tomorrow.")
            let booked = try #require(book.first { $0.type == "hub.tool.result" })
            #expect(booked["tool"] == .string("book_appointment"))
            #expect(booked["outcome"] == .string("booked"))
            #expect(booked["arguments"]?["reason"] == .string("cleaning"))
            let code = try #require(booked["output"]?["code"]?.stringValue)
            #expect(code.range(of: "^A[1-9][0-9]{3}$", options: .regularExpression) != nil)
            #expect(answer(book).contains(code))
            #expect(answer(book).contains("09:00") || answer(book).contains("9"), "\(answer(book))")

            let cancel = try await say(client, "Please cancel appointment A1001.")
            let cancelled = try #require(cancel.first { $0.type == "hub.tool.result" })
            #expect(cancelled["tool"] == .string("cancel_appointment"))
            #expect(cancelled["arguments"]?["code"] == .string("A1001"))
            #expect(cancelled["outcome"] == .string("cancelled"))
            let again = try await say(client, "Please cancel appointment A1001.")
            #expect(again.first { $0.type == "hub.tool.result" }?["outcome"] == .string("already_cancelled"))
            let other = try await say(client, "Please cancel appointment A1002.")
            // Another patient's appointment does not exist for this caller.
            #expect(other.first { $0.type == "hub.tool.result" }?["outcome"] == .string("not_found"))

            let hours = try await say(client, "What are your opening hours?")
            #expect(hours.first { $0.type == "hub.agent.switched" }?["to"] == .string("practice"))
            let searched = try #require(hours.first { $0.type == "hub.tool.result" })
            #expect(searched["tool"] == .string("search_clinic_info"))
            #expect(searched["outcome"] == .string("found"))
            #expect(answer(hours).contains("Monday to Friday"), "\(answer(hours))")
            await client.close()

            // The data agrees: the slot is taken, A1001 is cancelled and its slot free again.
            let data = try await openTestData(configuration)
            let rows = try await data.rows("SELECT code, status FROM appointments WHERE patient_id = 'C-1001' ORDER BY code")
            #expect(rows.map { $0["status"] } == [.text("cancelled"), .text("booked")])
            #expect(try await data.rows("SELECT free FROM slots WHERE id = 9").first?["free"] == .integer(1))
            await data.shutdown()
        }
    }

    @Test("by voice: a spoken request is heard, routed and answered with the pack's own code spoken back")
    func voice() async throws {
        try await withHub(clinic()) { port in
            let client = try await open(port, audio: true)
            try await speak(client, "Please cancel appointment A1001.")
            let events = try await client.events(until: "response.done", timeout: .seconds(60))
            let transcript = events.first { $0.type == "conversation.item.input_audio_transcription.completed" }?["transcript"]?.stringValue ?? ""
            #expect(transcript.contains("A1001"), "heard \"\(transcript)\"")
            #expect(events.first { $0.type == "hub.agent.switched" }?["to"] == .string("appointments"))
            let result = try #require(events.first { $0.type == "hub.tool.result" })
            #expect(result["tool"] == .string("cancel_appointment"))
            #expect(result["outcome"] == .string("cancelled"))
            #expect(events.contains { $0.type == "response.output_audio.delta" })
            let spokenAnswer = events.first { $0.type == "response.output_audio_transcript.done" }?["transcript"]?.stringValue ?? ""
            #expect(spokenAnswer.contains("A1001"), "\(spokenAnswer)")
            await client.close()
        }
    }

    @Test("the dentists' names come from the data: a caller who names one by text gets that dentist's times and booking")
    func vocabularyByText() async throws {
        try await withHub(clinic()) { port in
            let client = try await open(port)
            let free = try await say(client, "Is Doctor Nguyen free tomorrow?")
            let found = try #require(free.first { $0.type == "hub.tool.result" })
            #expect(found["tool"] == .string("find_open_slots"))
            #expect(found["arguments"]?["dentist"] == .string("Doctor Nguyen"))
            let slots = found["output"]?["slots"]?.arrayValue ?? []
            #expect(!slots.isEmpty)
            #expect(slots.allSatisfy { $0["dentist"] == .string("Doctor Nguyen") }, "\(slots)")
            #expect(answer(free).contains("Doctor Nguyen") && !answer(free).contains("Doctor Patel"), "\(answer(free))")

            let book = try await say(client, "Can I book a checkup with Doctor Nguyen tomorrow?")
            let booked = try #require(book.first { $0.type == "hub.tool.result" })
            #expect(booked["tool"] == .string("book_appointment"))
            #expect(booked["arguments"]?["dentist"] == .string("Doctor Nguyen"))
            #expect(booked["output"]?["dentist"] == .string("Doctor Nguyen"))
            #expect(booked["outcome"] == .string("booked"))
            await client.close()
        }
    }

    @Test("by voice: a dentist's name from the data is heard and fills the tool's argument")
    func vocabularyByVoice() async throws {
        try await withHub(clinic()) { port in
            let client = try await open(port, audio: true)
            try await speak(client, "Is Doctor Nguyen free tomorrow?")
            let events = try await client.events(until: "response.done", timeout: .seconds(60))
            let transcript = events.first { $0.type == "conversation.item.input_audio_transcription.completed" }?["transcript"]?.stringValue ?? ""
            #expect(transcript.localizedCaseInsensitiveContains("Nguyen"), "heard \"\(transcript)\"")
            let result = try #require(events.first { $0.type == "hub.tool.result" }, "heard \"\(transcript)\"")
            #expect(result["tool"] == .string("find_open_slots"))
            #expect(result["arguments"]?["dentist"] == .string("Doctor Nguyen"))
            await client.close()
        }
    }

    @Test("the recognizer prompt names the business and the dentists its data holds; a pack that is not there is an error")
    func recognizerPrompt() async throws {
        let packs = testConfiguration { _ in }.packsDirectory
        #expect(try await HubPacks.recognizerPrompt(directory: packs, pack: "clinic") == "Riverside Dental, Doctor Patel, Doctor Nguyen.")
        let travel = try await HubPacks.recognizerPrompt(directory: packs, pack: nil)
        #expect(travel.hasPrefix("Switchboard Air and Hotels, SB204"), "\(travel)")
        await #expect(throws: (any Error).self) { try await HubPacks.recognizerPrompt(directory: packs, pack: "nope") }
    }
}
