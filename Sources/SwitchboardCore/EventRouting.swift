import RealtimeProtocol

/// How the relay treats an event by its `type`, decided from the bytes alone.
public enum EventRoute: Sendable, Equatable {
    /// Written to the peer as it is, on the event loop (audio, deltas, unknown events).
    case forward
    /// Written to the peer as it is, and a copy goes to the conversation, which keeps track.
    case observe
    /// Held back: the conversation decides what the peer gets. Frames after it wait behind it.
    case intercept
}

extension EventRoute {
    /// The route of a client event.
    public static func client(_ type: String) -> EventRoute {
        switch type {
        case "input_audio_buffer.append": return .forward
        case "session.update", "response.create", "transcription_session.update": return .intercept
        case "conversation.item.create", "response.cancel", "input_audio_buffer.commit", "input_audio_buffer.clear",
            "conversation.item.truncate", "conversation.item.delete":
            return .observe
        default: return .forward
        }
    }

    /// The route of a model event.
    public static func model(_ type: String) -> EventRoute {
        switch type {
        case "response.output_audio.delta", "response.audio.delta", "response.output_audio_transcript.delta",
            "response.audio_transcript.delta", "response.output_text.delta", "response.text.delta",
            "response.function_call_arguments.delta":
            return .forward
        case "session.created", "session.updated", "error", "transcription_session.updated":
            return .intercept
        case "response.created", "response.done", "conversation.item.added", "conversation.item.created",
            "conversation.item.done", "conversation.item.input_audio_transcription.completed",
            "input_audio_buffer.speech_started", "response.output_item.done",
            "response.function_call_arguments.done":
            return .observe
        default: return .forward
        }
    }
}
