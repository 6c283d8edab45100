import Foundation
import SwitchboardAudio
import SwitchboardSIP

/// Keys as in-band DTMF tones (ITU-T Q.23 frequency pairs) in 8 kHz G.711, for a line that can
/// only carry audio: a Twilio media stream has no way to send RFC 4733 events, but the tones it
/// plays reach the far end's keypad detector like a phone's.
///
/// Each key is 100 ms of its two tones (each near −15 dBFS, together peaking at −9 dBFS, rising
/// and falling over 5 ms so no click sounds like a key) and 100 ms of silence; `w` is 500 ms of
/// silence. Q.24 detectors need at least 40 ms of tone and 40 ms between keys.
package enum InBandTones {
    package static let sampleRate = 8_000
    package static let toneMilliseconds = 100
    package static let gapMilliseconds = 100
    package static let pauseMilliseconds = 500

    /// The (low, high) frequencies of an RFC 4733 event code (0–15).
    package static func frequencies(of event: UInt8) -> (low: Double, high: Double) {
        let rows: [Double] = [697, 770, 852, 941]
        let columns: [Double] = [1209, 1336, 1477, 1633]
        // Keypad layout: 1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D.
        let position: (row: Int, column: Int)
        switch event {
        case 0: position = (3, 1)
        case 1...9: position = (Int(event - 1) / 3, Int(event - 1) % 3)
        case 10: position = (3, 0)
        case 11: position = (3, 2)
        default: position = (Int(event) - 12, 3)
        }
        return (rows[position.row], columns[position.column])
    }

    /// `keys` as PCM16 at 8 kHz.
    package static func samples(_ keys: [DTMFKey]) -> [Int16] {
        var out: [Int16] = []
        let toneCount = sampleRate * toneMilliseconds / 1000
        let ramp = sampleRate * 5 / 1000
        let amplitude = 32_767.0 * pow(10, -9.0 / 20)
        for key in keys {
            switch key {
            case .pause:
                out.append(contentsOf: repeatElement(0, count: sampleRate * pauseMilliseconds / 1000))
            case .event(let code):
                let (low, high) = frequencies(of: code)
                for n in 0..<toneCount {
                    let t = Double(n) / Double(sampleRate)
                    let envelope = min(1, Double(min(n, toneCount - 1 - n)) / Double(ramp))
                    let value = amplitude * envelope * (sin(2 * .pi * low * t) + sin(2 * .pi * high * t)) / 2
                    out.append(Int16(clamping: Int(value.rounded())))
                }
                out.append(contentsOf: repeatElement(0, count: sampleRate * gapMilliseconds / 1000))
            }
        }
        return out
    }

    /// `keys` in `law`.
    package static func encoded(_ keys: [DTMFKey], law: G711Law) -> [UInt8] {
        law.encode(samples(keys))
    }
}
