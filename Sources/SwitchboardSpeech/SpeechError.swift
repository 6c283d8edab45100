/// What went wrong building a speech model, recognizing or synthesizing.
///
/// Errors compare equal by kind (`SpeechError.engineFailure == error`); `description` carries the
/// details (paths, voices, return codes) for logs.
public struct SpeechError: Error, Hashable, CustomStringConvertible, Sendable {
    private enum Kind: Hashable, Sendable {
        case missingModel
        case invalidDomain
        case engineFailure
        case unsupportedAudio
        case unknownVoice
    }

    private let kind: Kind
    /// A human-readable account of the failure.
    public let description: String

    private init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public static func == (lhs: SpeechError, rhs: SpeechError) -> Bool { lhs.kind == rhs.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }

    /// The acoustic model or the pronunciation dictionary is not where the configuration says.
    public static let missingModel = SpeechError(.missingModel, "the speech model files are missing")
    /// The domain gives the recognizer nothing to listen for, or refers to an unknown slot.
    public static let invalidDomain = SpeechError(.invalidDomain, "the speech domain is invalid")
    /// PocketSphinx, flite or eSpeak NG refused a call.
    public static let engineFailure = SpeechError(.engineFailure, "a speech engine failed")
    /// Audio the recognizer cannot take (a sample rate other than 16 kHz).
    public static let unsupportedAudio = SpeechError(.unsupportedAudio, "unsupported audio")
    /// A voice or language no engine has.
    public static let unknownVoice = SpeechError(.unknownVoice, "unknown voice")

    static func missingModel(_ detail: String) -> SpeechError { SpeechError(.missingModel, detail) }
    static func invalidDomain(_ detail: String) -> SpeechError { SpeechError(.invalidDomain, detail) }
    static func engineFailure(_ detail: String) -> SpeechError { SpeechError(.engineFailure, detail) }
    static func unsupportedAudio(_ detail: String) -> SpeechError { SpeechError(.unsupportedAudio, detail) }
    static func unknownVoice(_ detail: String) -> SpeechError { SpeechError(.unknownVoice, detail) }
}
