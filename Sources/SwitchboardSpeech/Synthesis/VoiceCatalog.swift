/// Which flite voice speaks for an OpenAI voice name.
///
/// The realtime protocol names voices (`alloy`, `verse`, `shimmer`, …); flite has five US
/// English ones. Known names map by the voice's character (female voices to `slt`, the rest
/// spread over the male voices, so the three personas' `alloy`, `verse` and `shimmer` sound
/// different); flite's own names map to themselves; any other name maps to a voice chosen by a
/// stable hash of the name, the same on every run and every machine.
public enum VoiceCatalog {
    /// The flite voice when none is named.
    public static let defaultVoice = "kal16"

    /// OpenAI's voices and the flite voice each maps to.
    public static let openAIVoices: [String: String] = [
        "alloy": "rms", "ash": "kal16", "ballad": "awb", "coral": "slt", "echo": "kal16", "fable": "awb",
        "nova": "slt", "onyx": "rms", "sage": "slt", "shimmer": "slt", "verse": "kal16", "marin": "slt",
        "cedar": "rms",
    ]

    /// The flite voice for `voice` (an OpenAI voice, a flite voice, anything else, or nil).
    public static func fliteVoice(for voice: String?) -> String {
        guard let voice = voice?.lowercased(), !voice.isEmpty else { return defaultVoice }
        if FliteEngine.voices.contains(voice) { return voice }
        if let mapped = openAIVoices[voice] { return mapped }
        // FNV-1a: unlike `hashValue`, the same for a name on every run.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in voice.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let choices = FliteEngine.voices.filter { $0 != "kal" }
        return choices[Int(hash % UInt64(choices.count))]
    }
}
