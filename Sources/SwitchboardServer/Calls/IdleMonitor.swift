import NIOConcurrencyHelpers
import RealtimeProtocol
import SwitchboardAgents
import SwitchboardCore

/// Notices a caller who has gone quiet on a voice session (see ``IdlePolicy``): silence is
/// counted from the later of the caller's last sign of life (speech, a transcript, a message,
/// a key) and the end of the agent's audio (its playback, estimated from the audio sent: audio
/// plays in real time from when it is sent, so a model faster than real time queues it up).
/// While a response is being made the clock does not run.
///
/// Fed by the session's driver; read by its ticking task.
final class IdleMonitor: Sendable {
    enum Step: Sendable, Equatable {
        /// Ask whether the caller is still there.
        case reprompt
        /// Say goodbye and hang up.
        case hangUp
    }

    private struct State {
        var lastActivity: ContinuousClock.Instant
        var playbackEnd: ContinuousClock.Instant
        var responding = false
        var reprompted = false
        var hungUp = false
        /// Whether the session is heard (a phone call, or a client asking for audio).
        var voice = false
    }

    let policy: IdlePolicy
    private let state: NIOLockedValueBox<State>

    init(policy: IdlePolicy, voice: Bool, now: ContinuousClock.Instant = .now) {
        self.policy = policy
        state = NIOLockedValueBox(State(lastActivity: now, playbackEnd: now, voice: voice))
    }

    /// Whether the session is heard: silence is only watched on voice sessions.
    func setVoice(_ voice: Bool) {
        state.withLockedValue { $0.voice = voice }
    }

    /// What `input` says about who is talking.
    func observe(_ input: Conversation.Input, audioMilliseconds: (Int, Int) -> Double, now: ContinuousClock.Instant = .now) {
        state.withLockedValue { state in
            switch input {
            case .client(let event, _):
                switch event.type {
                case "conversation.item.create", "response.create", "input_audio_buffer.commit":
                    state.lastActivity = now
                    state.reprompted = false
                default:
                    break
                }
            case .model(let event, _):
                switch event.type {
                case "input_audio_buffer.speech_started":
                    // The caller talks: the agent's audio stops (barge-in) and the caller is back.
                    state.lastActivity = now
                    state.playbackEnd = now
                    state.reprompted = false
                case "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed":
                    state.lastActivity = now
                    state.reprompted = false
                case "response.created":
                    state.responding = true
                case "response.done":
                    state.responding = false
                    state.lastActivity = max(state.lastActivity, now)
                default:
                    break
                }
            case .modelAudio(let events, let bytes):
                // At most ten minutes a delta: a count no audio has cannot stop the clock for good.
                let counted = audioMilliseconds(events, bytes)
                let milliseconds = counted.isNaN ? 0 : min(max(0, counted), 600_000)
                state.playbackEnd = max(state.playbackEnd, now) + .milliseconds(Int64(milliseconds))
            default:
                break
            }
        }
    }

    /// The keys the caller pressed count as a sign of life.
    func callerActive(now: ContinuousClock.Instant = .now) {
        state.withLockedValue {
            $0.lastActivity = now
            $0.reprompted = false
        }
    }

    /// What is due at `now`, once each: the reprompt after `repromptAfter` of silence, the
    /// hang-up `hangUpAfter` after the reprompt's audio.
    func due(now: ContinuousClock.Instant = .now) -> Step? {
        state.withLockedValue { state in
            guard state.voice, !state.hungUp, !state.responding else { return nil }
            let quietSince = max(state.lastActivity, state.playbackEnd)
            guard now >= quietSince else { return nil }
            let quiet = now - quietSince
            if !state.reprompted {
                guard quiet >= policy.repromptAfter else { return nil }
                state.reprompted = true
                // The reprompt's own audio moves `playbackEnd`; until it comes, count from now.
                state.lastActivity = now
                return .reprompt
            }
            guard quiet >= policy.hangUpAfter else { return nil }
            state.hungUp = true
            return .hangUp
        }
    }

    /// When the agent's audio is expected to have finished playing.
    var playbackEnd: ContinuousClock.Instant { state.withLockedValue { $0.playbackEnd } }
}
