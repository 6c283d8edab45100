/// A realtime session's configuration, read from and written to either dialect's shape.
///
/// Every field is optional: a `session.update` changes only what it carries. Members the hub does
/// not know are kept in `extra` and written back as they came.
public struct SessionConfig: Sendable, Hashable {
    public var model: String?
    public var instructions: String?
    public var voice: String?
    /// Function tools (`{type:"function", name, description, parameters}`), as given.
    public var tools: [JSONValue]?
    public var toolChoice: JSONValue?
    /// `server_vad` / `semantic_vad` settings; `.null` turns detection off.
    public var turnDetection: JSONValue?
    public var inputFormat: AudioFormat?
    public var outputFormat: AudioFormat?
    /// Input transcription settings; `.null` turns transcription off.
    public var inputTranscription: JSONValue?
    public var noiseReduction: JSONValue?
    /// `["text"]`, `["audio"]` (GA) or `["text","audio"]` (beta).
    public var outputModalities: [String]?
    public var temperature: JSONValue?
    public var maxOutputTokens: JSONValue?
    public var speed: JSONValue?
    /// Members not modelled above, kept as they came (top level of the session object).
    public var extra: JSONObject

    public init(
        model: String? = nil, instructions: String? = nil, voice: String? = nil, tools: [JSONValue]? = nil,
        toolChoice: JSONValue? = nil, turnDetection: JSONValue? = nil, inputFormat: AudioFormat? = nil,
        outputFormat: AudioFormat? = nil, inputTranscription: JSONValue? = nil, noiseReduction: JSONValue? = nil,
        outputModalities: [String]? = nil, temperature: JSONValue? = nil, maxOutputTokens: JSONValue? = nil,
        speed: JSONValue? = nil, extra: JSONObject = JSONObject()
    ) {
        self.model = model
        self.instructions = instructions
        self.voice = voice
        self.tools = tools
        self.toolChoice = toolChoice
        self.turnDetection = turnDetection
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.inputTranscription = inputTranscription
        self.noiseReduction = noiseReduction
        self.outputModalities = outputModalities
        self.temperature = temperature
        self.maxOutputTokens = maxOutputTokens
        self.speed = speed
        self.extra = extra
    }

    /// Why a session object cannot be read.
    public struct Invalid: Error, Sendable, Equatable {
        public let param: String
        public let message: String
    }

    /// Reads a session object written in `dialect`.
    public init(json object: JSONObject, dialect: Dialect) throws(Invalid) {
        self.init()
        var rest = object
        func take(_ key: String) -> JSONValue? { rest.removeValue(forKey: key) }
        func format(_ value: JSONValue?, _ param: String) throws(Invalid) -> AudioFormat? {
            guard let value, !value.isNull else { return nil }
            guard let format = AudioFormat(json: value) else {
                if value["type"]?.stringValue == "audio/pcm", let rate = value["rate"] {
                    throw Invalid(param: param + ".rate", message: "'\(param).rate' must be 24000 for audio/pcm; got \(SessionLimits.shown(rate)).")
                }
                throw Invalid(param: param, message: "Unsupported audio format \(SessionLimits.shown(value)); use pcm16 (24 kHz), g711_ulaw or g711_alaw.")
            }
            return format
        }
        model = take("model")?.stringValue
        instructions = take("instructions")?.stringValue
        tools = take("tools")?.arrayValue
        toolChoice = take("tool_choice")
        temperature = take("temperature")
        switch dialect {
        case .beta:
            voice = take("voice")?.stringValue
            turnDetection = take("turn_detection")
            inputFormat = try format(take("input_audio_format"), "session.input_audio_format")
            outputFormat = try format(take("output_audio_format"), "session.output_audio_format")
            inputTranscription = take("input_audio_transcription")
            noiseReduction = take("input_audio_noise_reduction")
            outputModalities = take("modalities")?.arrayValue?.compactMap(\.stringValue)
            maxOutputTokens = take("max_response_output_tokens")
            speed = take("speed")
        case .ga:
            outputModalities = take("output_modalities")?.arrayValue?.compactMap(\.stringValue)
            maxOutputTokens = take("max_output_tokens")
            if var audio = take("audio")?.objectValue {
                if var input = audio.removeValue(forKey: "input")?.objectValue {
                    inputFormat = try format(input.removeValue(forKey: "format"), "session.audio.input.format")
                    inputTranscription = input.removeValue(forKey: "transcription")
                    turnDetection = input.removeValue(forKey: "turn_detection")
                    noiseReduction = input.removeValue(forKey: "noise_reduction")
                    if !input.isEmpty { audio["input"] = .object(input) }
                }
                if var output = audio.removeValue(forKey: "output")?.objectValue {
                    outputFormat = try format(output.removeValue(forKey: "format"), "session.audio.output.format")
                    voice = output.removeValue(forKey: "voice")?.stringValue
                    speed = output.removeValue(forKey: "speed")
                    if !output.isEmpty { audio["output"] = .object(output) }
                }
                if !audio.isEmpty { rest["audio"] = .object(audio) }
            }
        }
        extra = rest
        try checkLimits(dialect: dialect, raw: object)
    }

    /// Writes the session object in `dialect` (only the fields that are set).
    public func json(in dialect: Dialect) -> JSONObject {
        var out = JSONObject()
        if dialect == .ga { out["type"] = extra["type"] ?? .string("realtime") }
        for (key, value) in extra where key != "type" && key != "audio" { out[key] = value }
        if let model { out["model"] = .string(model) }
        if let instructions { out["instructions"] = .string(instructions) }
        if let tools { out["tools"] = .array(tools) }
        if let toolChoice { out["tool_choice"] = toolChoice }
        if let temperature { out["temperature"] = temperature }
        switch dialect {
        case .beta:
            if let voice { out["voice"] = .string(voice) }
            if let turnDetection { out["turn_detection"] = turnDetection }
            if let inputFormat { out["input_audio_format"] = inputFormat.json(in: .beta) }
            if let outputFormat { out["output_audio_format"] = outputFormat.json(in: .beta) }
            if let inputTranscription { out["input_audio_transcription"] = inputTranscription }
            if let noiseReduction { out["input_audio_noise_reduction"] = noiseReduction }
            if let outputModalities { out["modalities"] = .array(outputModalities.map(JSONValue.string)) }
            if let maxOutputTokens { out["max_response_output_tokens"] = maxOutputTokens }
            if let speed { out["speed"] = speed }
        case .ga:
            if let outputModalities { out["output_modalities"] = .array(outputModalities.map(JSONValue.string)) }
            if let maxOutputTokens { out["max_output_tokens"] = maxOutputTokens }
            var audio = extra["audio"]?.objectValue ?? JSONObject()
            var input = audio["input"]?.objectValue ?? JSONObject()
            if let inputFormat { input["format"] = inputFormat.json(in: .ga) }
            if let inputTranscription { input["transcription"] = inputTranscription }
            if let turnDetection { input["turn_detection"] = turnDetection }
            if let noiseReduction { input["noise_reduction"] = noiseReduction }
            var output = audio["output"]?.objectValue ?? JSONObject()
            if let outputFormat { output["format"] = outputFormat.json(in: .ga) }
            if let voice { output["voice"] = .string(voice) }
            if let speed { output["speed"] = speed }
            if !input.isEmpty { audio["input"] = .object(input) }
            if !output.isEmpty { audio["output"] = .object(output) }
            if !audio.isEmpty { out["audio"] = .object(audio) }
        }
        return out
    }

    /// Applies an update: every field the update sets replaces this one's.
    public mutating func merge(_ update: SessionConfig) {
        if let v = update.model { model = v }
        if let v = update.instructions { instructions = v }
        if let v = update.voice { voice = v }
        if let v = update.tools { tools = v }
        if let v = update.toolChoice { toolChoice = v }
        if let v = update.turnDetection { turnDetection = v }
        if let v = update.inputFormat { inputFormat = v }
        if let v = update.outputFormat { outputFormat = v }
        if let v = update.inputTranscription { inputTranscription = v }
        if let v = update.noiseReduction { noiseReduction = v }
        if let v = update.outputModalities { outputModalities = v }
        if let v = update.temperature { temperature = v }
        if let v = update.maxOutputTokens { maxOutputTokens = v }
        if let v = update.speed { speed = v }
        for (key, value) in update.extra { extra[key] = value }
    }

    /// Guesses the dialect a session object was written in: GA objects carry `type` or `audio`,
    /// beta ones carry flat audio fields or `modalities`. `nil` when nothing tells.
    public static func dialect(of object: JSONObject) -> Dialect? {
        if object["type"] != nil || object["audio"] != nil || object["output_modalities"] != nil || object["max_output_tokens"] != nil {
            return .ga
        }
        let betaKeys = ["input_audio_format", "output_audio_format", "modalities", "voice", "turn_detection",
                        "input_audio_transcription", "max_response_output_tokens", "input_audio_noise_reduction"]
        if betaKeys.contains(where: { object[$0] != nil }) { return .beta }
        return nil
    }
}
