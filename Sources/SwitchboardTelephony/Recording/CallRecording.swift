import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RealtimeProtocol
import SwitchboardAudio

/// One call recorded as a stereo 16-bit 8 kHz WAV file: the caller on the left channel, the
/// agent on the right, time-aligned as the caller heard it (``RecordingTimeline``). Fed by the
/// call bridge on its event loop, the G.711 audio decoded as it passes; the file is written on
/// a queue of its own (``RecordingFile``), so the loop never waits for the disk.
///
/// Recording stops at the longest duration, on a disk error (logged; the call goes on), or
/// with `stop(keep:)`, which finishes the file or deletes it.
package final class CallRecording: Sendable {
    /// How a recording ended.
    package struct Summary: Sendable, Equatable {
        package enum Status: String, Sendable {
            /// The file is complete at `path`.
            case recorded
            /// Stopped without keeping: the file is deleted.
            case deleted
            /// Writing failed: the partial file is deleted.
            case failed
        }

        package var status: Status
        package var path: String
        /// Seconds of audio in the file (0 unless recorded).
        package var durationSeconds: Double
        package var error: String?
    }

    package let path: String
    private let law: G711Law
    private let file: RecordingFile
    private let clock: @Sendable () -> Duration
    private let logger: Logger

    private struct State {
        var timeline: RecordingTimeline
        /// Whether audio is still taken (not stopped, full or failed).
        var active = true
        /// When the call ended (samples): the clock stops there.
        var endedAt: Int?
    }

    private let state: NIOLockedValueBox<State>
    private let finishing = NIOLockedValueBox<Task<Summary, Never>?>(nil)
    /// Frames are written in batches of at least this many (200 ms).
    private static let batch = 1_600

    /// Starts recording to `path` (created now, mode 0600) in `law`. `clock`: the time since the
    /// call started (tests give their own).
    package init(path: String, law: G711Law, limits: RecordingTimeline.Limits = .init(), logger: Logger,
                 clock: (@Sendable () -> Duration)? = nil) {
        self.path = path
        self.law = law
        self.logger = logger
        let started = ContinuousClock.now
        self.clock = clock ?? { ContinuousClock.now - started }
        state = NIOLockedValueBox(State(timeline: RecordingTimeline(limits: limits)))
        let box = NIOLockedValueBox<(@Sendable (String) -> Void)?>(nil)
        file = RecordingFile(path: path) { message in box.withLockedValue { $0 }?(message) }
        box.withLockedValue { [state, logger] in
            $0 = { message in
                state.withLockedValue { $0.active = false }
                logger.error("call recording stopped: a disk error", metadata: ["recording.path": "\(path)", "error": "\(message)"])
            }
        }
    }

    /// The law of a call's codec (`g711_ulaw`, `g711_alaw`); `nil` for another format.
    package static func law(of codec: AudioFormat) -> G711Law? {
        switch codec {
        case .g711ulaw: return .muLaw
        case .g711alaw: return .aLaw
        default: return nil
        }
    }

    /// The caller's audio, as it arrived.
    package func caller(_ audio: CallAudio) {
        let samples = decode(audio)
        guard !samples.isEmpty else { return }
        update { timeline, now in samples.withUnsafeBufferPointer { timeline.caller($0, at: now) } }
    }

    /// The agent's audio (base64 of the call's law), as it is sent to the phone.
    package func agent(base64: ByteBuffer) {
        let samples = decode(.base64(base64))
        guard !samples.isEmpty else { return }
        update { timeline, now in samples.withUnsafeBufferPointer { timeline.agent($0, at: now) } }
    }

    /// The phone's queue was cleared (a barge-in): the agent's audio not yet played never was.
    package func cleared() {
        update { timeline, now in timeline.clear(at: now) }
    }

    /// The call ended: the recording's clock stops now (the file is finished by `stop`).
    package func callEnded() {
        let now = samples(clock())
        state.withLockedValue { if $0.endedAt == nil { $0.endedAt = now } }
    }

    /// Stops recording: finishes the file when `keep`, deletes it otherwise. Only the first
    /// call decides; later ones return its summary.
    package func stop(keep: Bool) async -> Summary {
        let task = finishing.withLockedValue { task -> Task<Summary, Never> in
            if let task { return task }
            let made = Task { await self.finish(keep: keep) }
            task = made
            return made
        }
        return await task.value
    }

    private func finish(keep: Bool) async -> Summary {
        let now = samples(clock())
        state.withLockedValue { state in
            if state.active, keep { file.append(state.timeline.finish(at: min(now, state.endedAt ?? now))) }
            state.active = false
        }
        switch await file.finish(keep: keep) {
        case .success(let bytes):
            let seconds = Double(bytes / 4) / Double(RecordingTimeline.sampleRate)
            return Summary(status: keep ? .recorded : .deleted, path: path, durationSeconds: keep ? seconds : 0)
        case .failure(let error):
            return Summary(status: .failed, path: path, durationSeconds: 0, error: error.message)
        }
    }

    private func update(_ change: (inout RecordingTimeline, Int) -> Void) {
        let now = samples(clock())
        state.withLockedValue { state in
            guard state.active else { return }
            let at = min(now, state.endedAt ?? now)
            change(&state.timeline, at)
            let frames = state.timeline.take(at: at, minimum: Self.batch)
            if !frames.isEmpty, !file.append(frames) { state.active = false }
            if state.timeline.isFull {
                state.active = false
                logger.notice("call recording stopped: it reached its longest duration", metadata: ["recording.path": "\(path)"])
            }
        }
    }

    private func decode(_ audio: CallAudio) -> [Int16] {
        var samples: [Int16] = []
        switch audio {
        case .base64(let text):
            var bytes: [UInt8] = []
            let valid = text.withUnsafeReadableBytes { raw in
                (try? Base64Audio.decode(raw, frameSize: 1, appendingTo: &bytes)) != nil
            }
            guard valid else { return [] }
            bytes.withUnsafeBytes { law.decode($0, appendingTo: &samples) }
        case .raw(let bytes):
            bytes.withUnsafeReadableBytes { law.decode($0, appendingTo: &samples) }
        }
        return samples
    }

    private func samples(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int.max / RecordingTimeline.sampleRate) - 1 else { return .max }
        return Int(seconds) * RecordingTimeline.sampleRate + Int(attoseconds / (1_000_000_000_000_000_000 / Int64(RecordingTimeline.sampleRate)))
    }
}
