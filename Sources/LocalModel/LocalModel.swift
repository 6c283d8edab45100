import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardAudio
import SwitchboardCore
import SwitchboardSpeech

/// The model built into the hub: deterministic, offline, answering from the personas.
public struct LocalRealtimeModel: RealtimeModel {
    public let name = "local"
    public let brain: LocalBrain
    /// The recognizer and synthesizer every session shares.
    public let speech: LocalSpeech
    /// The second recognizer of the chain: it hears an utterance the grammar did not understand.
    public let fallback: FallbackTranscriber?

    /// The voice every answer is spoken in, sentence by sentence: the external one when there
    /// is one, flite for each sentence it fails.
    let voice: SentenceVoice

    /// Transcribes mono 16-bit PCM at a sample rate (a neural recognizer over Wyoming).
    public typealias FallbackTranscriber = @Sendable (_ samples: [Int16], _ sampleRate: Int) async throws -> String

    /// Speaks one sentence (its spoken form: codes already spelled out), handing `audio` each
    /// piece of mono 16-bit PCM, with its rate, as it is made (a neural voice over Wyoming).
    /// Throws when the sentence could not be spoken to its end.
    public typealias ExternalVoice = @Sendable (_ sentence: String, _ audio: (_ samples: [Int16], _ sampleRate: Int) throws -> Void) async throws -> Void

    /// A local model answering as the personas of `catalog`, with relative dates counted from
    /// `today` (this machine's date by default), hearing and speaking through `speech` (by
    /// default the process-wide one for the catalog's domain, built on first audio); an
    /// utterance the grammar does not understand goes to `fallback` when there is one. Answers
    /// are spoken by `voice` when there is one, by flite for every sentence it fails (`logger`
    /// says when it starts and stops failing; `retryAfter` a failure it is tried again).
    public init(catalog: PersonaCatalog, today: @escaping @Sendable () -> CalendarDay = CalendarDay.today, speech: LocalSpeech? = nil,
                fallback: FallbackTranscriber? = nil, voice: ExternalVoice? = nil, retryAfter: Duration = .seconds(10),
                logger: Logger = Logger(label: "switchboard.local-model")) {
        self.brain = LocalBrain(catalog: catalog, today: today)
        self.speech = speech ?? LocalSpeech.shared(for: catalog)
        self.fallback = fallback
        self.voice = SentenceVoice(synthesizer: self.speech.synthesizer, external: voice, retryAfter: retryAfter, logger: logger)
    }

    public func connect(_ request: ModelSessionRequest, on eventLoop: any EventLoop, sink: any ModelSink) -> EventLoopFuture<ModelLinkBox> {
        eventLoop.assertInEventLoop()
        let link = LocalModelLink(
            session: LocalModelSession(dialect: request.dialect, model: request.model, brain: brain),
            eventLoop: eventLoop, sink: sink, speech: speech, voice: voice, fallback: fallback
        )
        link.start()
        return eventLoop.makeSucceededFuture(ModelLinkBox(link))
    }
}

/// A local model session bound to an event loop. Answers are delivered on a later tick of the
/// loop, never from inside `write`, so the caller is never re-entered.
///
/// The session's effects run off the loop: recognition on the recognizer's decoders (results
/// handed back in the order the utterances were committed), synthesis on the synthesizer's
/// engine queues, converted to the output format in the synthesis task. Results come back on
/// the loop; once the link is closed they are dropped.
final class LocalModelLink: ModelLink, @unchecked Sendable {
    private var session: LocalModelSession
    private let eventLoop: any EventLoop
    private weak var sink: (any ModelSink)?
    private var pending: [ByteBuffer] = []
    private var outbox: [ByteBuffer] = []
    private var reading = true
    private var deliveryScheduled = false
    private var closed = false
    private let allocator = ByteBufferAllocator()
    private let speech: LocalSpeech
    private let voice: SentenceVoice
    private let fallback: LocalRealtimeModel.FallbackTranscriber?
    /// The latest transcription: the next one delivers after it.
    private var transcriptionTail: Task<Void, Never>?
    /// The utterance under way, recognised from a pause ahead of its end.
    private var preparation: (itemID: String, task: Task<Recognized, Never>)?
    /// Syntheses under way, by response id.
    private var syntheses: [String: Task<Void, Never>] = [:]

    init(session: LocalModelSession, eventLoop: any EventLoop, sink: any ModelSink, speech: LocalSpeech, voice: SentenceVoice,
         fallback: LocalRealtimeModel.FallbackTranscriber? = nil) {
        self.voice = voice
        self.fallback = fallback
        self.session = session
        self.eventLoop = eventLoop
        self.sink = sink
        self.speech = speech
    }

    func start() {
        emit(session.start())
    }

    /// Applies a result to the session on the loop, emits what it says and runs what it asks.
    private func receive(_ apply: (inout LocalModelSession) -> [RealtimeEvent]) {
        guard !closed else { return }
        emit(apply(&session))
        runEffects()
    }

    private func runEffects() {
        for effect in session.takeEffects() {
            switch effect {
            case .warmUp:
                speech.warmUp()
            case .prepareTranscript(let itemID, let samples, let sampleRate):
                preparation?.task.cancel()
                let speech = speech
                let cpu = session.cpu
                preparation = (itemID, Task { await CPUMeter.$current.withValue(cpu) { await Self.recognize(samples, sampleRate: sampleRate, speech: speech) } })
            case .dropPreparedTranscript:
                preparation?.task.cancel()
                preparation = nil
            case .transcribe(let itemID, let samples, let sampleRate, let prepared):
                var ready: Task<Recognized, Never>?
                if prepared, let preparation, preparation.itemID == itemID {
                    ready = preparation.task
                } else {
                    preparation?.task.cancel()
                }
                preparation = nil
                transcribe(itemID: itemID, samples: samples, sampleRate: sampleRate, prepared: ready)
            case .speak(let responseID, let text, let voice, let format):
                speak(responseID: responseID, text: text, voice: voice, format: format)
            case .stopSpeaking(let responseID):
                syntheses.removeValue(forKey: responseID)?.cancel()
            }
        }
    }

    /// Recognises a committed utterance, or takes the result of the recognition `prepared` at its
    /// last pause when that understood it, and hands it to the session after the utterances
    /// committed before it.
    private func transcribe(itemID: String, samples: [Int16], sampleRate: Int, prepared: Task<Recognized, Never>?) {
        let previous = transcriptionTail
        let speech = speech
        let fallback = fallback
        let loop = eventLoop
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        let cpu = session.cpu
        transcriptionTail = Task { await CPUMeter.$current.withValue(cpu) {
            var recognized: Recognized
            if let prepared, case let early = await prepared.value, !early.outcome.isEmpty {
                recognized = early
            } else {
                // Not prepared, or not understood without the rest of the silence: the whole
                // utterance gets its own chance.
                recognized = await Self.recognize(samples, sampleRate: sampleRate, speech: speech)
            }
            var outcome = recognized.outcome
            // Not understood by the grammar, or not surely, or taken on the grammar's fit alone
            // (not corroborated by the language model): the neural recognizer hears it (its
            // failure leaves the grammar's outcome standing).
            if let fallback, outcome.isEmpty || recognized.confidence < Self.fastPathConfidence || !recognized.corroborated, !Task.isCancelled,
               let text = try? await fallback(samples, sampleRate), !text.isEmpty {
                outcome = .transcript(text)
            }
            await previous?.value
            let heard = outcome
            loop.execute { this.value.receive { $0.transcribed(itemID: itemID, outcome: heard) } }
        } }
    }

    /// The transcript of an utterance: resampled to the recognizer's rate, then recognised.
    /// Its band is told by the input's rate (G.711 is narrowband) or measured at that rate,
    /// before resampling: telephone audio handed over as 16 or 24 kHz PCM is narrowband too.
    /// A recognition: its outcome, and the recognizer's confidence in it (0 when nothing was understood).
    struct Recognized: Sendable {
        var outcome: TranscriptionOutcome
        var confidence: Double
        /// Whether two searches heard the same (``SpeechRecognition/isCorroborated``).
        var corroborated = false
    }

    /// The grammar's confidence below which, when a neural recognizer is configured, the
    /// utterance is heard again by it: an in-domain sentence the grammar is sure of goes the fast
    /// way; a sentence it forced into its own words is heard again.
    static let fastPathConfidence = 0.85

    static func recognize(_ samples: [Int16], sampleRate: Int, speech: LocalSpeech) async -> Recognized {
        do {
            let recognizer = try await speech.recognizer()
            let bandwidth = Bandwidth.of(samples, sampleRate: sampleRate)
            var audio = samples
            if sampleRate != SpeechRecognizer.sampleRate {
                let resampler = try Resampler(from: sampleRate, to: SpeechRecognizer.sampleRate)
                audio = resampler.process(samples)
                resampler.flush(appendingTo: &audio)
            }
            let result = try await recognizer.recognize(audio, bandwidth: bandwidth)
            return Recognized(outcome: .transcript(result.isUnderstood ? result.text : ""), confidence: result.isUnderstood ? result.confidence : 0,
                              corroborated: result.isUnderstood && result.isCorroborated)
        } catch {
            return Recognized(outcome: .failed("Speech recognition failed: \(error)"), confidence: 0)
        }
    }

    private func speak(responseID: String, text: String, voice: String?, format: AudioFormat) {
        let speaker = self.voice
        let loop = eventLoop
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        let cpu = session.cpu
        syntheses[responseID] = Task { await CPUMeter.$current.withValue(cpu) {
            var failure: String?
            do {
                try await speaker.speak(text, voice: voice, format: format) { sentence, pieces, count in
                    loop.execute {
                        this.value.receive { $0.spoken(responseID: responseID, sentence: sentence, audio: pieces, sampleCount: count) }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failure = "Speech synthesis failed: \(error)"
            }
            let reason = failure
            loop.execute {
                this.value.syntheses[responseID] = nil
                this.value.receive { $0.speechFinished(responseID: responseID, failure: reason) }
            }
        } }
    }

    func write(_ event: consuming ByteBuffer) {
        guard !closed else { return }
        pending.append(event)
    }

    func flush() {
        guard !closed else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        for buffer in batch {
            let event: RealtimeEvent
            do {
                event = try RealtimeEvent.decode(buffer)
            } catch {
                emit([RealtimeError.invalidRequest(error.code, error.description).event])
                continue
            }
            emit(session.handle(event))
            runEffects()
        }
    }

    var isWritable: Bool { true }

    func setReading(_ enabled: Bool) {
        reading = enabled
        if enabled { scheduleDelivery() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        pending.removeAll()
        outbox.removeAll()
        for task in syntheses.values { task.cancel() }
        syntheses.removeAll()
        preparation?.task.cancel()
        preparation = nil
        let sink = NIOLoopBound(self.sink, eventLoop: eventLoop)
        eventLoop.execute { sink.value?.modelClosed(nil) }
    }

    private func emit(_ events: [RealtimeEvent]) {
        guard !events.isEmpty else { return }
        for event in events { outbox.append(event.encoded(allocator: allocator)) }
        scheduleDelivery()
    }

    private func scheduleDelivery() {
        guard !deliveryScheduled, reading, !outbox.isEmpty else { return }
        deliveryScheduled = true
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute { this.value.deliver() }
    }

    private func deliver() {
        deliveryScheduled = false
        guard !closed, let sink else { return }
        while reading, !outbox.isEmpty, !closed {
            sink.modelReceived(outbox.removeFirst())
        }
        sink.modelReadComplete()
    }
}

/// Converts synthesized speech to a response's output format, in deltas of about 100 ms. Owned
/// by one synthesis task.
final class OutputAudioEncoder {
    let format: AudioFormat
    private var resampler: Resampler?

    init(format: AudioFormat) {
        self.format = format
    }

    /// `samples` at `sampleRate` in the output format, as base64 deltas, and how many samples
    /// of the output format they hold. `endsSentence` false: more of the sentence follows (the
    /// filter keeps its tail until ``endSentence()``).
    func encode(_ samples: [Int16], sampleRate: Int, endsSentence: Bool = true) throws(AudioError) -> (deltas: [String], sampleCount: Int) {
        var converted = samples
        if sampleRate != format.sampleRate {
            if resampler?.inputRate != sampleRate { resampler = try Resampler(from: sampleRate, to: format.sampleRate) }
            converted = resampler!.process(samples)
            // Each sentence ends in silence: drain the filter so the sentence's audio is complete.
            if endsSentence { resampler!.flush(appendingTo: &converted) }
        }
        return (deltas(converted), converted.count)
    }

    /// The end of a sentence given in pieces: the audio still held in the filter.
    func endSentence() -> (deltas: [String], sampleCount: Int) {
        var tail: [Int16] = []
        resampler?.flush(appendingTo: &tail)
        return (deltas(tail), tail.count)
    }

    /// Forgets a sentence given in pieces that will not be finished.
    func abandonSentence() {
        resampler?.reset()
    }

    private func deltas(_ converted: [Int16]) -> [String] {
        let perDelta = format.sampleRate / 10
        var deltas: [String] = []
        var start = 0
        while start < converted.count {
            let piece = Array(converted[start..<min(converted.count, start + perDelta)])
            switch format {
            case .pcm16: deltas.append(Base64Audio.encodePCM16(piece))
            case .g711ulaw: deltas.append(Base64Audio.encode(G711Law.muLaw.encode(piece)))
            case .g711alaw: deltas.append(Base64Audio.encode(G711Law.aLaw.encode(piece)))
            }
            start += perDelta
        }
        return deltas
    }
}
