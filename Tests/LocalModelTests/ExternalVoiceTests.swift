import Foundation
import LocalModel
import Logging
import RealtimeProtocol
import SwitchboardAudio
import Synchronization
import Testing

/// The local model speaking through an external voice (a Wyoming TTS server in the hub), and
/// flite taking over whenever that voice fails.
@Suite("the local model speaks with an external voice", .timeLimit(.minutes(2)))
struct ExternalVoiceTests {
    /// What an external voice was asked, and how it answers.
    final class FakeVoice: Sendable {
        enum Behaviour: Sendable {
            /// 0.2 s pieces of a 440 Hz tone at 22.05 kHz, `pieces` per sentence.
            case tone(pieces: Int)
            /// Nothing: it fails at once (a server that is down).
            case fail
            /// One piece, then it fails (a server that closes mid-audio).
            case failMidway
        }

        let behaviour: Behaviour
        let asked = Mutex<[String]>([])

        init(_ behaviour: Behaviour) { self.behaviour = behaviour }

        static let piece: [Int16] = (0..<4_410).map { Int16(8_000 * sin(2 * Double.pi * 440 * Double($0) / 22_050)) }

        var voice: LocalRealtimeModel.ExternalVoice {
            { [self] sentence, audio in
                asked.withLock { $0.append(sentence) }
                switch behaviour {
                case .tone(let pieces):
                    for _ in 0..<pieces { try audio(Self.piece, 22_050) }
                case .fail:
                    throw CocoaError(.fileNoSuchFile)
                case .failMidway:
                    try audio(Self.piece, 22_050)
                    throw CocoaError(.fileReadCorruptFile)
                }
            }
        }
    }

    func open(_ voice: FakeVoice, retryAfter: Duration = .seconds(10)) async throws -> VoiceSession {
        let model = LocalRealtimeModel(catalog: try Fixtures.catalog(), today: { wednesday }, speech: try VoiceAudio.speech.get(),
                                       voice: voice.voice, retryAfter: retryAfter, logger: Logger(label: "test.external-voice"))
        let session = try await VoiceSession.open(model)
        try await session.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["audio"]}}"#)
        _ = try await session.events(until: "session.updated")
        return session
    }

    func ask(_ session: VoiceSession, _ text: String = "hello") async throws -> [RealtimeEvent] {
        try await session.send([
            #"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":\#(JSONValue.string(text).jsonString)}]}}"#,
            #"{"type":"response.create"}"#,
        ])
        return try await session.events(until: "response.done")
    }

    func samples(_ events: [RealtimeEvent]) throws -> [Int16] {
        try events.all("response.output_audio.delta").flatMap { try Base64Audio.decodePCM16($0["delta"]?.stringValue ?? "") }
    }

    @Test("each sentence is the external voice's audio, resampled to the output rate as it comes")
    func speaks() async throws {
        let voice = FakeVoice(.tone(pieces: 3))
        let session = try await open(voice)
        let answer = try await ask(session)
        #expect(voice.asked.withLock { $0 } == ["Hello, this is the concierge."])
        // 3 × 0.2 s at 22.05 kHz is 14 400 samples at 24 kHz, in order and complete.
        let audio = try samples(answer)
        #expect(audio.count == 14_400)
        #expect(PCM16.dBFS(audio) > -20)
        #expect(answer.all("response.output_audio_transcript.delta").count == 1)
        #expect(answer.last?["response"]?["status"]?.stringValue == "completed")
        #expect(answer.last?["response"]?["output"]?[0]?["content"]?[0]?["transcript"]?.stringValue == "Hello, this is the concierge.")
        try await session.close()
    }

    @Test("an out-of-band verbatim filler is spoken by the same external voice")
    func outOfBandFiller() async throws {
        let voice = FakeVoice(.tone(pieces: 2))
        let session = try await open(voice)
        let instructions = JSONValue.string(SpokenVerbatim.instructions("One moment while I check that.")).jsonString
        try await session.send(#"{"type":"response.create","response":{"conversation":"none","input":[],"instructions":\#(instructions),"output_modalities":["audio"]}}"#)
        let filler = try await session.events(until: "response.done")
        #expect(voice.asked.withLock { $0 } == ["One moment while I check that."])
        #expect(try samples(filler).count == 9_600)
        try await session.close()
    }

    @Test("a voice that fails: flite says the sentence, the session goes on; the voice is left alone for a while")
    func fallsBackToFlite() async throws {
        let voice = FakeVoice(.fail)
        let session = try await open(voice, retryAfter: .seconds(60))
        let answer = try await ask(session)
        #expect(voice.asked.withLock { $0.count } == 1)
        let audio = try samples(answer)
        // flite's own audio: about 1.5 s of speech, not the tone.
        #expect(audio.count > 24_000 && audio.count != 14_400, "\(audio.count) samples")
        #expect(PCM16.dBFS(audio) > -35)
        #expect(answer.last?["response"]?["status"]?.stringValue == "completed")
        #expect(answer.all("response.output_audio_transcript.delta").count == 1)
        // Within `retryAfter` the next answer goes straight to flite.
        let next = try await ask(session)
        #expect(try samples(next).count > 24_000)
        #expect(voice.asked.withLock { $0.count } == 1)
        try await session.close()
    }

    @Test("a voice that fails midway: flite says the whole sentence after what was heard; tried again after `retryAfter`")
    func failsMidway() async throws {
        let voice = FakeVoice(.failMidway)
        let session = try await open(voice, retryAfter: .zero)
        let answer = try await ask(session)
        let audio = try samples(answer)
        // The 0.2 s heard, then flite's sentence.
        #expect(audio.count > 4_800 + 24_000, "\(audio.count) samples")
        #expect(answer.all("response.output_audio_transcript.delta").count == 1)
        #expect(answer.last?["response"]?["output"]?[0]?["content"]?[0]?["transcript"]?.stringValue == "Hello, this is the concierge.")
        _ = try await ask(session)
        #expect(voice.asked.withLock { $0.count } == 2)
        try await session.close()
    }
}
