/// Every event a client sends to a realtime server. The names are the same in both dialects.
public enum ClientEventKind: String, Sendable, CaseIterable {
    case sessionUpdate = "session.update"
    case inputAudioBufferAppend = "input_audio_buffer.append"
    case inputAudioBufferCommit = "input_audio_buffer.commit"
    case inputAudioBufferClear = "input_audio_buffer.clear"
    case conversationItemCreate = "conversation.item.create"
    case conversationItemRetrieve = "conversation.item.retrieve"
    case conversationItemTruncate = "conversation.item.truncate"
    case conversationItemDelete = "conversation.item.delete"
    case responseCreate = "response.create"
    case responseCancel = "response.cancel"
    case outputAudioBufferClear = "output_audio_buffer.clear"
    /// Beta only: configures a transcription-only session.
    case transcriptionSessionUpdate = "transcription_session.update"

    /// The event's name on the wire.
    public var name: String { rawValue }

    /// Whether a client speaking `dialect` may send this event.
    public func exists(in dialect: Dialect) -> Bool {
        self != .transcriptionSessionUpdate || dialect == .beta
    }
}

/// Every event a realtime server sends, named by its GA name, with its beta name where it has one.
public enum ServerEventKind: String, Sendable, CaseIterable {
    case error = "error"
    case sessionCreated = "session.created"
    case sessionUpdated = "session.updated"
    case conversationCreated = "conversation.created"
    case conversationItemAdded = "conversation.item.added"
    case conversationItemDone = "conversation.item.done"
    case conversationItemRetrieved = "conversation.item.retrieved"
    case conversationItemTruncated = "conversation.item.truncated"
    case conversationItemDeleted = "conversation.item.deleted"
    case inputTranscriptionDelta = "conversation.item.input_audio_transcription.delta"
    case inputTranscriptionCompleted = "conversation.item.input_audio_transcription.completed"
    case inputTranscriptionFailed = "conversation.item.input_audio_transcription.failed"
    case inputTranscriptionSegment = "conversation.item.input_audio_transcription.segment"
    case inputAudioBufferCommitted = "input_audio_buffer.committed"
    case inputAudioBufferCleared = "input_audio_buffer.cleared"
    case inputAudioBufferSpeechStarted = "input_audio_buffer.speech_started"
    case inputAudioBufferSpeechStopped = "input_audio_buffer.speech_stopped"
    case inputAudioBufferTimeoutTriggered = "input_audio_buffer.timeout_triggered"
    case inputAudioBufferDTMFReceived = "input_audio_buffer.dtmf_event_received"
    case outputAudioBufferStarted = "output_audio_buffer.started"
    case outputAudioBufferStopped = "output_audio_buffer.stopped"
    case outputAudioBufferCleared = "output_audio_buffer.cleared"
    case responseCreated = "response.created"
    case responseDone = "response.done"
    case responseOutputItemAdded = "response.output_item.added"
    case responseOutputItemDone = "response.output_item.done"
    case responseContentPartAdded = "response.content_part.added"
    case responseContentPartDone = "response.content_part.done"
    case responseOutputTextDelta = "response.output_text.delta"
    case responseOutputTextDone = "response.output_text.done"
    case responseOutputAudioDelta = "response.output_audio.delta"
    case responseOutputAudioDone = "response.output_audio.done"
    case responseOutputAudioTranscriptDelta = "response.output_audio_transcript.delta"
    case responseOutputAudioTranscriptDone = "response.output_audio_transcript.done"
    case responseFunctionCallArgumentsDelta = "response.function_call_arguments.delta"
    case responseFunctionCallArgumentsDone = "response.function_call_arguments.done"
    case rateLimitsUpdated = "rate_limits.updated"
    case mcpListToolsInProgress = "mcp_list_tools.in_progress"
    case mcpListToolsCompleted = "mcp_list_tools.completed"
    case mcpListToolsFailed = "mcp_list_tools.failed"
    case responseMCPCallArgumentsDelta = "response.mcp_call_arguments.delta"
    case responseMCPCallArgumentsDone = "response.mcp_call_arguments.done"
    case responseMCPCallInProgress = "response.mcp_call.in_progress"
    case responseMCPCallCompleted = "response.mcp_call.completed"
    case responseMCPCallFailed = "response.mcp_call.failed"
    case transcriptionSessionUpdated = "transcription_session.updated"

    /// The GA name.
    public var gaName: String? {
        switch self {
        case .conversationCreated, .transcriptionSessionUpdated: return nil
        default: return rawValue
        }
    }

    /// The beta name, or `nil` for events beta does not have.
    public var betaName: String? {
        switch self {
        case .conversationItemAdded: return "conversation.item.created"
        case .responseOutputTextDelta: return "response.text.delta"
        case .responseOutputTextDone: return "response.text.done"
        case .responseOutputAudioDelta: return "response.audio.delta"
        case .responseOutputAudioDone: return "response.audio.done"
        case .responseOutputAudioTranscriptDelta: return "response.audio_transcript.delta"
        case .responseOutputAudioTranscriptDone: return "response.audio_transcript.done"
        case .conversationItemDone, .inputTranscriptionSegment, .inputAudioBufferTimeoutTriggered,
            .inputAudioBufferDTMFReceived, .mcpListToolsInProgress, .mcpListToolsCompleted, .mcpListToolsFailed,
            .responseMCPCallArgumentsDelta, .responseMCPCallArgumentsDone, .responseMCPCallInProgress,
            .responseMCPCallCompleted, .responseMCPCallFailed:
            return nil
        default: return rawValue
        }
    }

    /// The event's name in `dialect`, or `nil` when that dialect has no such event.
    public func name(in dialect: Dialect) -> String? {
        dialect == .ga ? gaName : betaName
    }

    private static let byGAName: [String: ServerEventKind] = {
        var map: [String: ServerEventKind] = [:]
        for kind in allCases { if let name = kind.gaName { map[name] = kind } }
        return map
    }()
    private static let byBetaName: [String: ServerEventKind] = {
        var map: [String: ServerEventKind] = [:]
        for kind in allCases { if let name = kind.betaName { map[name] = kind } }
        return map
    }()

    /// The kind named `name` in `dialect`.
    public init?(name: String, dialect: Dialect) {
        guard let kind = (dialect == .ga ? Self.byGAName : Self.byBetaName)[name] else { return nil }
        self = kind
    }

    /// The kind named `name` in either dialect, with the dialect the name belongs to
    /// (GA when the name is the same in both).
    public static func lookup(_ name: String) -> (kind: ServerEventKind, dialect: Dialect)? {
        if let kind = byGAName[name] { return (kind, .ga) }
        if let kind = byBetaName[name] { return (kind, .beta) }
        return nil
    }
}
