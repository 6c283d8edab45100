// Twilio Media Streams messages (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) through
// TwilioMediaStream.message, one stream per input; each media payload is measured as base64
// (as the call bridge does) and wrapped into the `input_audio_buffer.append` frame the model gets,
// which must still read as that event with that audio.
//
// Input: one message per line.
import FuzzSupport
import Logging
import NIOCore
import RealtimeProtocol
import SwitchboardAudio
@testable import SwitchboardServer
@testable import SwitchboardTelephony

private let metrics = HubMetrics()
private let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
private let proof = TwilioCallerProof(authToken: HubConfiguration().twilioAuthToken)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // A keyless loopback hub's proof: unsigned starts go on unverified, so the fuzzer reaches
    // everything after `start`.
    let stream = TwilioMediaStream(logger: logger, metrics: metrics, callerProof: proof)
    for line in split(bytes(data, size), separator: [0x0A], limit: 32) {
        guard let event = stream.message(ByteBuffer(bytes: line)) else { continue }
        switch event {
        case .started(let start):
            _ = ConnectionRequest(call: start)
        case .audio(let audio):
            if case .base64(let payload) = audio {
                _ = payload.withUnsafeReadableBytes { try? Base64Audio.decodedByteCount($0, frameSize: 1) }
                _ = try? Base64Audio.decode(String(buffer: payload), frameSize: 1)
            }
            let frame = CallBridge.append(audio, allocator: ByteBufferAllocator())
            invariant(TypePeek.typeString(frame) == "input_audio_buffer.append", "the append frame lost its type")
            if case .base64(let payload) = audio {
                invariant(MemberPeek.string("audio", in: frame) == String(buffer: payload), "the append frame's audio differs from the payload")
            }
        case .dtmf, .played, .ended:
            break
        }
    }
    return 0
}
