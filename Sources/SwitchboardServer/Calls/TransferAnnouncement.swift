import Foundation
import SwitchboardAgents
import SwitchboardAudio
import SwitchboardCalls
import SwitchboardSIP
import SwitchboardSpeech

/// What the person a call is put through to hears first on a warm transfer: who is calling, why,
/// and what they last said, spoken by the hub's own voice at the phone's 8 kHz.
enum TransferAnnouncement {
    /// The most of the caller's words the announcement repeats.
    static let quotedCharacters = 240

    /// The announcement's words, from the call so far and the agent's reason for the transfer.
    static func text(record: CallRecord, reason: String?) -> String {
        var sentences = ["Hello, this is the virtual assistant with a caller for you."]
        if let number = record.direction == .inbound ? record.from : record.to, number.hasPrefix("+") {
            sentences.append("The caller's number is \(spelled(number)).")
        }
        if let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty {
            sentences.append("The reason: \(cut(reason)).")
        }
        let said = record.transcript.filter { $0.role == .user }.suffix(2).map { cut($0.text) }.filter { !$0.isEmpty }
        if !said.isEmpty {
            sentences.append("They said: \(said.joined(separator: " … ")).")
        }
        sentences.append("Connecting you now.")
        return sentences.joined(separator: " ")
    }

    /// `text` spoken as PCM16 at 8 kHz.
    static func audio(_ text: String, synthesizer: SpeechSynthesizer) async throws -> [Int16] {
        let spoken = try await synthesizer.synthesize(text, voice: nil, language: "en")
        guard spoken.sampleRate != G711Law.sampleRate else { return spoken.samples }
        let resampler = try Resampler(from: spoken.sampleRate, to: G711Law.sampleRate)
        var samples = resampler.process(spoken.samples)
        resampler.flush(appendingTo: &samples)
        return samples
    }

    /// A number read digit by digit ("+1 555" → "1 5 5 5").
    static func spelled(_ number: String) -> String {
        number.filter(\.isNumber).map(String.init).joined(separator: " ")
    }

    private static func cut(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count > quotedCharacters else { return trimmed }
        return String(trimmed.prefix(quotedCharacters)) + "…"
    }
}

/// Where the hub sends SIP for a transfer target: a `sip:` URI's own host (an IP literal), or
/// the trunk (`--sip-trunk`) for a number.
enum TransferRoute {
    static func peer(for target: String, trunk: String?) -> SIPEndpoint? {
        if target.lowercased().hasPrefix("sip:") {
            guard let uri = try? SIPURI(parsing: target) else { return nil }
            let port = uri.port ?? 5060
            guard (1...65_535).contains(port) else { return nil }
            return SIPEndpoint(host: uri.host, port: port)
        }
        return trunk.flatMap(OutboundCalls.endpoint)
    }
}
