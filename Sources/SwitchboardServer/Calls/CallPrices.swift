import Foundation
import RealtimeProtocol
import SwitchboardCalls

/// What calls cost (`--prices FILE`, JSON): telephony per minute by channel and direction, the
/// model's tokens per million, speech per minute and per thousand characters. What the file
/// leaves out costs nothing (the embedded model and local speech servers cost nothing).
///
/// ```json
/// {"currency": "USD",
///  "telephony": {"twilio": {"inbound": 0.0085, "outbound": 0.014}, "sip": {"inbound": 0.001, "outbound": 0.002}},
///  "model": {"audio_input": 32, "audio_output": 64, "text_input": 4, "text_output": 16, "cached_input": 0.4},
///  "speech": {"stt_per_minute": 0.006, "tts_per_1k_characters": 0.015}}
/// ```
struct CallPrices: Sendable, Equatable {
    var currency = "USD"
    /// Per minute, by channel then direction (`twilio` → `inbound` → 0.0085).
    var telephony: [String: [String: Double]] = [:]
    /// Per million tokens: `audio_input`, `audio_output`, `text_input`, `text_output`, `cached_input`.
    var model: [String: Double] = [:]
    var sttPerMinute = 0.0
    var ttsPerThousandCharacters = 0.0

    /// Reads the price file; a problem names what is wrong.
    init(json text: String) throws(ConfigurationError) {
        guard let root = (try? JSONParser.parse(text))?.objectValue else { throw ConfigurationError("--prices: the file is not a JSON object") }
        func price(_ value: JSONValue?, _ path: String) throws(ConfigurationError) -> Double {
            guard let number = value?.doubleValue, number.isFinite, number >= 0, number < 1_000_000 else {
                throw ConfigurationError("--prices: \(path) must be a price, a number from 0")
            }
            return number
        }
        for key in root.keys where !["currency", "telephony", "model", "speech"].contains(key) {
            throw ConfigurationError("--prices: unknown field '\(key.prefix(40))' (currency, telephony, model, speech)")
        }
        if let currency = root["currency"] {
            guard let text = currency.stringValue, text.range(of: "^[A-Z]{3}$", options: .regularExpression) != nil else {
                throw ConfigurationError("--prices: currency must be a three-letter code like USD")
            }
            self.currency = text
        }
        for (channel, value) in root["telephony"]?.objectValue ?? JSONObject() {
            guard CallChannel(rawValue: channel) != nil, let directions = value.objectValue else {
                throw ConfigurationError("--prices: telephony has channels twilio, sip, websocket, each {inbound, outbound}")
            }
            for (direction, amount) in directions {
                guard CallDirection(rawValue: direction) != nil else { throw ConfigurationError("--prices: telephony.\(channel) has inbound and outbound") }
                telephony[channel, default: [:]][direction] = try price(amount, "telephony.\(channel).\(direction)")
            }
        }
        let tokenKinds = ["audio_input", "audio_output", "text_input", "text_output", "cached_input"]
        for (kind, amount) in root["model"]?.objectValue ?? JSONObject() {
            guard tokenKinds.contains(kind) else { throw ConfigurationError("--prices: model has \(tokenKinds.joined(separator: ", "))") }
            model[kind] = try price(amount, "model.\(kind)")
        }
        if let speech = root["speech"]?.objectValue {
            for key in speech.keys where !["stt_per_minute", "tts_per_1k_characters"].contains(key) {
                throw ConfigurationError("--prices: speech has stt_per_minute and tts_per_1k_characters")
            }
            if let value = speech["stt_per_minute"] { sttPerMinute = try price(value, "speech.stt_per_minute") }
            if let value = speech["tts_per_1k_characters"] { ttsPerThousandCharacters = try price(value, "speech.tts_per_1k_characters") }
        }
    }

    init() {}

    /// What one call cost: `{"currency", "total", "telephony", "model", "speech", "usage": {…}}`,
    /// amounts rounded to a millionth. Telephony is billed by started minute from the answer.
    func cost(of record: CallRecord, usage: ModelUsage) -> JSONValue {
        let end = record.endedAt ?? record.startedAt
        let seconds = max(0, end.timeIntervalSince(record.answeredAt ?? record.startedAt))
        let billedMinutes = record.channel == .websocket ? 0 : Int((seconds / 60).rounded(.up))
        let perMinute = telephony[record.channel.rawValue]?[record.direction.rawValue] ?? 0
        let telephonyCost = Double(billedMinutes) * perMinute
        func perMillion(_ kind: String, _ tokens: Int) -> Double { Double(tokens) * (model[kind] ?? 0) / 1_000_000 }
        let modelCost = perMillion("audio_input", usage.audioInput) + perMillion("audio_output", usage.audioOutput)
            + perMillion("text_input", usage.textInput) + perMillion("text_output", usage.textOutput) + perMillion("cached_input", usage.cachedInput)
        // Speech to text by the call's length; text to speech by the characters the agent said.
        let speechCost = seconds / 60 * sttPerMinute
            + Double(record.transcript.filter { $0.role == .assistant }.reduce(0) { $0 + $1.text.count }) / 1000 * ttsPerThousandCharacters
        func amount(_ value: Double) -> JSONValue { .double((value * 1_000_000).rounded() / 1_000_000) }
        return .object(JSONObject([
            ("currency", .string(currency)),
            ("total", amount(telephonyCost + modelCost + speechCost)),
            ("telephony", amount(telephonyCost)),
            ("model", amount(modelCost)),
            ("speech", amount(speechCost)),
            ("usage", .object(JSONObject([
                ("call_seconds", .double((seconds * 1000).rounded() / 1000)),
                ("billed_minutes", .int(billedMinutes)),
                ("responses", .int(usage.responses)),
                ("input_audio_tokens", .int(usage.audioInput)), ("input_text_tokens", .int(usage.textInput)),
                ("cached_input_tokens", .int(usage.cachedInput)),
                ("output_audio_tokens", .int(usage.audioOutput)), ("output_text_tokens", .int(usage.textOutput)),
                // The embedded model's recognition and synthesis, on this machine's CPU.
                ("model_cpu_seconds", .double((usage.cpuSeconds * 1000).rounded() / 1000)),
            ]))),
        ]))
    }
}

/// The model's usage over a call, summed from each `response.done`'s `usage`.
struct ModelUsage: Sendable, Equatable {
    var responses = 0
    var audioInput = 0
    var textInput = 0
    var cachedInput = 0
    var audioOutput = 0
    var textOutput = 0
    /// CPU seconds the embedded model's speech work took (`switchboard_cpu_seconds`).
    var cpuSeconds = 0.0

    /// Adds one response's `usage` (`input_token_details.{audio,text,cached}_tokens`,
    /// `output_token_details.{audio,text}_tokens`; without details, the totals count as text).
    /// Counts that are not whole numbers from 0 to 10 million are ignored.
    mutating func add(_ usage: JSONObject) {
        func count(_ value: JSONValue?) -> Int {
            guard let number = value?.intValue, (0...10_000_000).contains(number) else { return 0 }
            return number
        }
        responses += 1
        if let cpu = usage["switchboard_cpu_seconds"]?.doubleValue, cpu.isFinite, (0...3_600).contains(cpu) { cpuSeconds += cpu }
        let input = usage["input_token_details"]?.objectValue
        let output = usage["output_token_details"]?.objectValue
        if let input {
            audioInput = audioInput.addingSaturating(count(input["audio_tokens"]))
            textInput = textInput.addingSaturating(count(input["text_tokens"]))
            cachedInput = cachedInput.addingSaturating(count(input["cached_tokens"]))
        } else {
            textInput = textInput.addingSaturating(count(usage["input_tokens"]))
        }
        if let output {
            audioOutput = audioOutput.addingSaturating(count(output["audio_tokens"]))
            textOutput = textOutput.addingSaturating(count(output["text_tokens"]))
        } else {
            textOutput = textOutput.addingSaturating(count(usage["output_tokens"]))
        }
    }
}

extension Int {
    fileprivate func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
