/// What went wrong with audio the hub was given or asked to convert.
///
/// Errors compare equal by kind (`AudioError.oddByteCount == error`); `description` carries the
/// details (offsets, counts, rates) for logs and for the `message` of a protocol error.
public struct AudioError: Error, Hashable, CustomStringConvertible, Sendable {
    private enum Kind: Hashable, Sendable {
        case oddByteCount
        case partialFrame
        case invalidBase64
        case unsupportedSampleRate
        case resamplerFailure
    }

    private let kind: Kind
    /// A human-readable account of the failure.
    public let description: String

    private init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// Whether two errors are of the same kind (details aside).
    public static func == (lhs: AudioError, rhs: AudioError) -> Bool { lhs.kind == rhs.kind }
    /// Hashes the kind only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }

    /// PCM16 bytes whose count is odd: half a sample.
    public static let oddByteCount = AudioError(.oddByteCount, "PCM16 audio has an odd number of bytes")
    /// A byte count that is not a whole number of frames.
    public static let partialFrame = AudioError(.partialFrame, "audio is not a whole number of frames")
    /// Text that is not standard base64.
    public static let invalidBase64 = AudioError(.invalidBase64, "audio payload is not valid base64")
    /// A sample rate the operation does not accept.
    public static let unsupportedSampleRate = AudioError(.unsupportedSampleRate, "unsupported sample rate")
    /// libspeexdsp refused to create or run a resampler.
    public static let resamplerFailure = AudioError(.resamplerFailure, "the resampler failed")

    static func oddByteCount(_ count: Int) -> AudioError {
        AudioError(.oddByteCount, "PCM16 audio has an odd number of bytes (\(count))")
    }

    static func partialFrame(byteCount: Int, frameSize: Int) -> AudioError {
        AudioError(.partialFrame, "audio of \(byteCount) bytes is not a whole number of \(frameSize)-byte frames")
    }

    static func invalidBase64(at offset: Int, _ reason: String) -> AudioError {
        AudioError(.invalidBase64, "audio payload is not valid base64: \(reason) at offset \(offset)")
    }

    static func unsupportedSampleRate(_ rate: Int) -> AudioError {
        AudioError(.unsupportedSampleRate, "unsupported sample rate \(rate) Hz")
    }

    static func resamplerFailure(_ reason: String) -> AudioError {
        AudioError(.resamplerFailure, "the resampler failed: \(reason)")
    }
}
