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
        case "session.update", "response.create", "transcription_session.update", "conversation.item.create": return .intercept
        case "response.cancel", "input_audio_buffer.commit", "input_audio_buffer.clear",
            "conversation.item.truncate", "conversation.item.delete":
            return .observe
        default: return .forward
        }
    }

    /// The route of a model event. Response and item lifecycle events are held back: the
    /// conversation hides the hub's own tool calls and shows a response only once it is the
    /// client's. Audio and text deltas go straight through.
    public static func model(_ type: String) -> EventRoute {
        switch type {
        case "response.output_audio.delta", "response.audio.delta", "response.output_audio_transcript.delta",
            "response.audio_transcript.delta", "response.output_text.delta", "response.text.delta":
            return .forward
        case "session.created", "session.updated", "error", "transcription_session.updated",
            "response.created", "response.done", "response.output_item.added", "response.output_item.done",
            "response.function_call_arguments.delta", "response.function_call_arguments.done",
            "conversation.item.added", "conversation.item.created", "conversation.item.done",
            "input_audio_buffer.cleared", "conversation.item.deleted":
            return .intercept
        case "conversation.item.input_audio_transcription.completed", "conversation.item.input_audio_transcription.failed",
            "input_audio_buffer.speech_started", "input_audio_buffer.committed", "conversation.item.truncated":
            return .observe
        default: return .forward
        }
    }
}
