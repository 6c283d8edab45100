/// Converts a phone call's G.711 audio (8 kHz μ-law or A-law) to and from the PCM16 the
/// realtime protocol speaks (24 kHz by default), in both directions at once.
///
/// Each direction has its own ``Resampler``, so caller audio and agent audio stream
/// independently and without clicks at chunk borders. Like a resampler, a transcoder is owned by
/// one connection and used from one place at a time; its scratch buffer is reused, so once the
/// destination arrays have capacity, converting a chunk does not allocate.
public final class TelephonyTranscoder {
    /// The phone side's companding law.
    public let law: G711Law
    /// The PCM16 side's sample rate.
    public let pcmRate: Int

    private let upsampler: Resampler
    private let downsampler: Resampler
    /// Linear 8 kHz samples between the codec and the resampler.
    private var scratch: [Int16] = []

    /// A transcoder between `law` at 8 kHz and PCM16 at `pcmRate`.
    ///
    /// - Throws: ``AudioError/unsupportedSampleRate`` for a rate ``Resampler`` does not take.
    public init(law: G711Law = .muLaw, pcmRate: Int = 24_000, quality: Int = Resampler.defaultQuality) throws(AudioError) {
        self.law = law
        self.pcmRate = pcmRate
        upsampler = try Resampler(from: G711Law.sampleRate, to: pcmRate, quality: quality)
        downsampler = try Resampler(from: pcmRate, to: G711Law.sampleRate, quality: quality)
        scratch.reserveCapacity(1_600)
    }

    /// Phone → PCM16: decodes `codes` and appends them, resampled to ``pcmRate``, to `samples`.
    public func decode(_ codes: UnsafeRawBufferPointer, appendingTo samples: inout [Int16]) {
        scratch.removeAll(keepingCapacity: true)
        law.decode(codes, appendingTo: &scratch)
        scratch.withUnsafeBufferPointer { upsampler.process($0, appendingTo: &samples) }
    }

    /// Phone → PCM16: `codes` decoded and resampled to ``pcmRate``.
    public func decode(_ codes: [UInt8]) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(upsampler.maximumOutputCount(forInputCount: codes.count))
        codes.withUnsafeBytes { decode($0, appendingTo: &samples) }
        return samples
    }

    /// PCM16 → phone: resamples `samples` to 8 kHz and appends their codes to `codes`.
    public func encode(_ samples: UnsafeBufferPointer<Int16>, appendingTo codes: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        downsampler.process(samples, appendingTo: &scratch)
        scratch.withUnsafeBufferPointer { law.encode($0, appendingTo: &codes) }
    }

    /// PCM16 → phone: `samples` resampled to 8 kHz and encoded.
    public func encode(_ samples: [Int16]) -> [UInt8] {
        var codes: [UInt8] = []
        codes.reserveCapacity(downsampler.maximumOutputCount(forInputCount: samples.count))
        samples.withUnsafeBufferPointer { encode($0, appendingTo: &codes) }
        return codes
    }

    /// A Twilio `media` payload (base64 G.711) as an `input_audio_buffer.append` payload (base64
    /// little-endian PCM16 at ``pcmRate``).
    ///
    /// - Throws: ``AudioError/invalidBase64`` for a payload that is not base64.
    public func pcm16Base64(fromG711Base64 payload: String) throws(AudioError) -> String {
        let codes = try Base64Audio.decode(payload, frameSize: 1)
        return Base64Audio.encodePCM16(decode(codes))
    }

    /// A `response.output_audio.delta` payload (base64 little-endian PCM16 at ``pcmRate``) as a
    /// Twilio `media` payload (base64 G.711 at 8 kHz).
    ///
    /// - Throws: ``AudioError/invalidBase64`` or ``AudioError/oddByteCount`` for a bad payload.
    public func g711Base64(fromPCM16Base64 payload: String) throws(AudioError) -> String {
        let samples = try Base64Audio.decodePCM16(payload)
        return Base64Audio.encode(encode(samples))
    }

    /// Phone → PCM16 direction: appends the caller audio still held in the filter (at the end of
    /// the call, or before a commit that must include every sample) and starts a new stream.
    public func flushDecoder(appendingTo samples: inout [Int16]) {
        upsampler.flush(appendingTo: &samples)
    }

    /// PCM16 → phone direction: appends the codes of the agent audio still held in the filter (at
    /// the end of a response, so its last milliseconds are not held back until the next one) and
    /// starts a new stream.
    public func flushEncoder(appendingTo codes: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        downsampler.flush(appendingTo: &scratch)
        scratch.withUnsafeBufferPointer { law.encode($0, appendingTo: &codes) }
    }

    /// Phone → PCM16 direction: forgets the caller audio held in the filter.
    public func resetDecoder() { upsampler.reset() }

    /// PCM16 → phone direction: forgets the agent audio held in the filter (after a barge-in
    /// `clear`, so the next answer does not start with the tail of the interrupted one).
    public func resetEncoder() { downsampler.reset() }
}

@available(*, unavailable, message: "a TelephonyTranscoder holds C state: give each call its own")
extension TelephonyTranscoder: Sendable {}
