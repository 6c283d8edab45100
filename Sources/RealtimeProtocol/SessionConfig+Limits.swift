/// The numeric ranges of the realtime protocol's session and response settings.
///
/// A number a client sends is checked against its field's range before anything acts on it, so
/// `1e19` where milliseconds are expected is an `invalid_value` error naming the field, not a
/// value that overflows the arithmetic of whatever reads it later. The ranges are the protocol's
/// documented ones where it has them and generous bounds where it does not (no realtime model
/// pads 10 s of speech or waits a day for a pause).
public enum SessionLimits {
    /// A number out of its field's range, or of the wrong kind.
    public typealias Invalid = SessionConfig.Invalid

    /// `temperature` (the beta protocol's range is 0.6–1.2; models accept up to 2).
    public static let temperature: ClosedRange<Double> = 0...2
    /// `speed` of the output voice.
    public static let speed: ClosedRange<Double> = 0.25...4
    /// `max_output_tokens` / `max_response_output_tokens` when a number (else `"inf"`).
    public static let maxOutputTokens: ClosedRange<Int> = 1...4096
    /// VAD `threshold`.
    public static let threshold: ClosedRange<Double> = 0...1
    /// VAD `prefix_padding_ms` and `silence_duration_ms`.
    public static let vadMilliseconds: ClosedRange<Int> = 0...10_000
    /// VAD `idle_timeout_ms`.
    public static let idleTimeoutMilliseconds: ClosedRange<Int> = 0...3_600_000
    /// `truncation.retention_ratio`.
    public static let retentionRatio: ClosedRange<Double> = 0...1

    /// A number in `range`, or `nil` when `value` is absent or `null`.
    public static func number(_ value: JSONValue?, _ param: String, in range: ClosedRange<Double>) throws(Invalid) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard case .number = value else {
            throw Invalid(param: param, message: "'\(param)' must be a number between \(format(range.lowerBound)) and \(format(range.upperBound)); got \(shown(value)).")
        }
        guard let number = value.doubleValue, range.contains(number) else {
            throw Invalid(param: param, message: "'\(param)' must be between \(format(range.lowerBound)) and \(format(range.upperBound)); got \(shown(value)).")
        }
        return number
    }

    /// An integer in `range`, or `nil` when `value` is absent or `null`.
    public static func integer(_ value: JSONValue?, _ param: String, in range: ClosedRange<Int>) throws(Invalid) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let integer = value.intValue, range.contains(integer) else {
            throw Invalid(param: param, message: "'\(param)' must be an integer from \(range.lowerBound) to \(range.upperBound); got \(shown(value)).")
        }
        return integer
    }

    /// `max_output_tokens`: an integer in range or the string `"inf"`.
    public static func maxTokens(_ value: JSONValue?, _ param: String) throws(Invalid) {
        guard let value, !value.isNull, value.stringValue != "inf" else { return }
        _ = try integer(value, param, in: maxOutputTokens)
    }

    /// Checks the numbers of a `turn_detection` object (`null` and absent are fine).
    public static func turnDetection(_ value: JSONValue?, _ param: String) throws(Invalid) {
        guard let value, !value.isNull else { return }
        guard let object = value.objectValue else {
            throw Invalid(param: param, message: "'\(param)' must be an object or null; got \(shown(value)).")
        }
        _ = try number(object["threshold"], param + ".threshold", in: threshold)
        _ = try integer(object["prefix_padding_ms"], param + ".prefix_padding_ms", in: vadMilliseconds)
        _ = try integer(object["silence_duration_ms"], param + ".silence_duration_ms", in: vadMilliseconds)
        _ = try integer(object["idle_timeout_ms"], param + ".idle_timeout_ms", in: idleTimeoutMilliseconds)
        for flag in ["create_response", "interrupt_response"] {
            if let member = object[flag], !member.isNull, member.boolValue == nil {
                throw Invalid(param: param + "." + flag, message: "'\(param).\(flag)' must be true or false; got \(shown(member)).")
            }
        }
    }

    /// Checks the numbers of the settings a `response.create` may carry (`response` object).
    public static func response(_ object: JSONObject) throws(Invalid) {
        _ = try number(object["temperature"], "response.temperature", in: temperature)
        try maxTokens(object["max_output_tokens"], "response.max_output_tokens")
        try maxTokens(object["max_response_output_tokens"], "response.max_response_output_tokens")
        if let audio = object["audio"]?.objectValue?["output"]?.objectValue {
            _ = try number(audio["speed"], "response.audio.output.speed", in: speed)
            try format(audio["format"], "response.audio.output.format")
        }
        try format(object["output_audio_format"], "response.output_audio_format")
        try modalities(object["output_modalities"], "response.output_modalities")
        try modalities(object["modalities"], "response.modalities")
    }

    /// An audio format the protocol has (`null` and absent are fine).
    public static func format(_ value: JSONValue?, _ param: String) throws(Invalid) {
        guard let value, !value.isNull, AudioFormat(json: value) == nil else { return }
        if value["type"]?.stringValue == "audio/pcm", let rate = value["rate"] {
            throw Invalid(param: param + ".rate", message: "'\(param).rate' must be 24000 for audio/pcm; got \(shown(rate)).")
        }
        throw Invalid(param: param, message: "Unsupported audio format \(shown(value)); use pcm16 (24 kHz), g711_ulaw or g711_alaw.")
    }

    /// A list of output modalities: `text` and `audio` only.
    public static func modalities(_ value: JSONValue?, _ param: String) throws(Invalid) {
        guard let value, !value.isNull else { return }
        guard let items = value.arrayValue, items.count <= 2,
              items.allSatisfy({ ["text", "audio"].contains($0.stringValue ?? "") }) else {
            throw Invalid(param: param, message: "'\(param)' must be a list of \"text\" and \"audio\"; got \(shown(value)).")
        }
    }

    static func format(_ value: Double) -> String {
        if let integral = Int(exactly: value) { return String(integral) }
        return String(value)
    }

    /// A value as shown in an error: its JSON, cut short.
    static func shown(_ value: JSONValue) -> String {
        let text = value.jsonString
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

extension SessionConfig {
    /// Checks every number the session object carries against its range (after parsing, with
    /// the parameter paths of `dialect`).
    func checkLimits(dialect: Dialect, raw object: JSONObject) throws(Invalid) {
        _ = try SessionLimits.number(temperature, "session.temperature", in: SessionLimits.temperature)
        if let type = extra["type"], type.stringValue == nil {
            throw Invalid(param: "session.type", message: "'session.type' must be \"realtime\" or \"transcription\"; got \(SessionLimits.shown(type)).")
        }
        try SessionLimits.modalities(object[dialect == .ga ? "output_modalities" : "modalities"],
                                     dialect == .ga ? "session.output_modalities" : "session.modalities")
        switch dialect {
        case .beta:
            try SessionLimits.maxTokens(maxOutputTokens, "session.max_response_output_tokens")
            _ = try SessionLimits.number(speed, "session.speed", in: SessionLimits.speed)
            try SessionLimits.turnDetection(turnDetection, "session.turn_detection")
        case .ga:
            try SessionLimits.maxTokens(maxOutputTokens, "session.max_output_tokens")
            _ = try SessionLimits.number(speed, "session.audio.output.speed", in: SessionLimits.speed)
            try SessionLimits.turnDetection(turnDetection, "session.audio.input.turn_detection")
        }
        if let truncation = extra["truncation"]?.objectValue {
            _ = try SessionLimits.number(truncation["retention_ratio"], "session.truncation.retention_ratio", in: SessionLimits.retentionRatio)
        }
    }
}
